/**
 * LVM loads the kernel module of a target it needs (lvm2's target_present -> module_present,
 * fixtures/lvm/89): when the kernel has no `thin-pool` (or `thin`) target, lvm runs
 * `/sbin/modprobe dm-thin-pool` and looks again. Once per command: lvm2 remembers the answer for
 * both thin targets, so a second volume of the same command gets LVM's refusal without a second
 * modprobe. On a Debian host /sbin/modprobe is kmod's (src/lab/host/kernel-modules.ts), which
 * loads the module from its file, or fails with its own message and status 1 when the file is gone.
 */
import type { ShellContext } from '../lab/context.js';
import { modprobeLoad } from '../lab/host/kernel-modules.js';
import type { CommandIo } from '../shell/io.js';

/** lvm2's MODPROBE_CMD, as Debian builds it. */
export const MODPROBE_CMD = '/sbin/modprobe';

/** What one LVM command found out about the thin targets: lvm2's static `_checked`/`_present`. */
export interface TargetCheck {
  checked: boolean;
  present: boolean;
}

export function newTargetCheck(): TargetCheck {
  return { checked: false, present: false };
}

/**
 * Whether the kernel has the thin targets, after LVM's own modprobe when it had not: modprobe's
 * message and LVM's `/sbin/modprobe failed: N` go to standard error.
 */
export function thinTargetsPresent(ctx: ShellContext, check: TargetCheck, io: CommandIo): boolean {
  if (check.checked) return check.present;
  check.checked = true;
  const missing = (): boolean => ctx.machine.unloadedTargetTypes.some((t) => t === 'thin-pool' || t === 'thin');
  if (missing() && ctx.host !== undefined) {
    const r = modprobeLoad(ctx.machine, ctx.host, (path) => ctx.fs.get(path) !== undefined, 'dm-thin-pool');
    io.err(r.message);
    if (r.status !== 0) io.err(`  ${MODPROBE_CMD} failed: ${r.status}\n`);
  }
  check.present = !missing();
  return check.present;
}
