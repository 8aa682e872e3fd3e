/**
 * Files and time as busybox shows them: ls, stat and date over the lab's nodes and clock
 * (src/lab/nodes.ts, src/lab/ls.ts, src/lab/stat-date.ts), awk (src/lab/awk/) and xargs
 * (src/lab/xargs.ts). Registered by name in src/lab/commands.ts, which hands xargs the registry
 * itself to run its commands. xargs lives in this domain rather than beside the always-loaded
 * device commands: it brings the line filters with it, which a replay of dmsetup and dd never needs.
 */
import { awk } from '../awk/command.js';
import type { CommandHandler } from '../registry.js';
import { ls } from '../ls.js';
import { date, stat } from '../stat-date.js';

export { xargs } from '../xargs.js';

export const FILE_COMMANDS = {
  ls,
  stat,
  date,
  awk,
} satisfies Record<string, CommandHandler>;
