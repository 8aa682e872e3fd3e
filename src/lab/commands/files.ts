/**
 * Files and time as busybox shows them: ls, stat and date over the lab's nodes and clock
 * (src/lab/nodes.ts, src/lab/ls.ts, src/lab/stat-date.ts), and awk (src/lab/awk/). Registered by name in src/lab/commands.ts,
 * with xargs (src/lab/xargs.ts), which needs the registry itself to run its commands.
 */
import { awk } from '../awk/command.js';
import type { CommandHandler } from '../registry.js';
import { ls } from '../ls.js';
import { date, stat } from '../stat-date.js';

export const FILE_COMMANDS = {
  ls,
  stat,
  date,
  awk,
} satisfies Record<string, CommandHandler>;
