/**
 * Files and time as busybox shows them: ls, stat and date over the lab's nodes and clock
 * (src/lab/nodes.ts, src/lab/ls.ts, src/lab/stat-date.ts); mkdir, rmdir, touch, mv and cp
 * (src/lab/file-ops.ts); the sha*sum digests (src/lab/checksums.ts), cmp, hexdump and xxd
 * (src/lab/cmp.ts, src/lab/hexdump.ts); awk (src/lab/awk/) and xargs
 * (src/lab/xargs.ts). Registered by name in src/lab/commands.ts, which hands xargs the registry
 * itself to run its commands. xargs lives in this domain rather than beside the always-loaded
 * device commands: it brings the line filters with it, which a replay of dmsetup and dd never needs.
 */
import { awk } from '../awk/command.js';
import { digestCommand } from '../checksums.js';
import { cmp } from '../cmp.js';
import { diff } from '../diff.js';
import { cp, mkdir, mv, rmdir, touch } from '../file-ops.js';
import { hexdump, xxd } from '../hexdump.js';
import type { CommandHandler } from '../registry.js';
import { readlink, realpath } from '../links.js';
import { ls } from '../ls.js';
import { date, stat } from '../stat-date.js';

export { xargs } from '../xargs.js';
export { env, which } from '../env-which.js';

export const FILE_COMMANDS = {
  ls,
  stat,
  date,
  awk,
  mkdir,
  rmdir,
  touch,
  mv,
  cp,
  sha1sum: digestCommand('sha1sum'),
  sha256sum: digestCommand('sha256sum'),
  sha512sum: digestCommand('sha512sum'),
  cmp,
  diff,
  readlink,
  realpath,
  hexdump,
  xxd,
} satisfies Record<string, CommandHandler>;
