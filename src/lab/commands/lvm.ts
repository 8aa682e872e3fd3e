/**
 * LVM2 (src/lvm/): the pv, vg and lv commands. Registered by name in src/lab/commands.ts. The lab
 * is an LVM context as it is (its machine, files and LVM state), so the handlers need no adapter.
 */
import { LVM_ALL_HANDLERS } from '../../lvm/lvm-workflows.js';
import type { CommandHandler } from '../registry.js';

export const LVM_COMMANDS: Readonly<Record<keyof typeof LVM_ALL_HANDLERS, CommandHandler>> = LVM_ALL_HANDLERS;

// What the lab needs of LVM besides its commands, reached through this domain so that it loads
// with it (src/lab/domains.ts): dmeventd's look after each command, and `lvs`'s columns for `thinlab at`.
export { runMonitor } from '../../lvm/monitor.js';
export { lvReport } from '../../lvm/lvm-commands.js';
