/**
 * What LVM prints differently from one stack to the other: LVM 2.03.16 (debian12) and 2.03.31
 * (debian13), as the oracle recorded them (`fixtures/lvm/*.out` and `*.debian13.out`). The lab has
 * one LVM; where the two versions differ, the commands ask `lvmStack(ctx)` for the version's data
 * instead of keeping a second copy of a command.
 */
import type { ShellContext } from '../lab/context.js';
import type { StackId } from '../model/stack.js';
import type { LvmVersion } from './lvm-options.js';

export interface LvmStackBehaviour {
  /** LVM's version, as `lvm version` names it. */
  readonly version: LvmVersion;
  /**
   * lvs's Monitor column for an active pool that dmeventd does not watch: 2.03.16 leaves it empty
   * when activation/monitoring is 0, 2.03.31 says so (fixtures/lvm/80).
   */
  readonly monitoringDisabledText: string;
  /** lvconvert --repair of an active pool (fixtures/lvm/84). */
  readonly activePoolRepairText: (vg: string, pool: string) => string;
  /**
   * 2.03.31 keeps the unrepaired metadata of a repair (`POOL_meta0`) read-only: lvs shows `-ri-`
   * where 2.03.16 shows `-wi-` (fixtures/lvm/84).
   */
  readonly repairBackupReadOnly: boolean;
  /**
   * `lvextend --poolmetadatasize`: 2.03.16 checks over-provisioning and reports the resize with
   * the `_tmeta` volume it grew (`thin pools`, `vg/pool_tmeta successfully resized`), 2.03.31 with
   * the pool (`thin pool vg/pool`, `vg/pool successfully resized`) (fixtures/lvm/81).
   */
  readonly metadataResizeNamesPool: boolean;
  /**
   * lvextend of a volume that does not exist: 2.03.16's lvresize words it its own way, 2.03.31
   * as every other command (fixtures/lvm/82).
   */
  readonly lvextendOwnNotFoundText: boolean;
  /** `lvconvert --repair` of a volume that is not a pool: 2.03.31 makes the first line a WARNING (fixtures/lvm/90). */
  readonly lvTypeRefusalPrefix: string;
  /** lvm2's command-form descriptions end in a space in 2.03.16 (`Repair a thin pool. `), not in 2.03.31 (fixtures/lvm/90). */
  readonly syntaxLineEnd: string;
}

export const LVM_STACKS: Readonly<Record<StackId, LvmStackBehaviour>> = {
  debian12: {
    version: '2.03.16',
    monitoringDisabledText: '',
    activePoolRepairText: () => 'Active pools cannot be repaired.  Use lvchange -an first.',
    repairBackupReadOnly: false,
    metadataResizeNamesPool: false,
    lvextendOwnNotFoundText: true,
    lvTypeRefusalPrefix: '',
    syntaxLineEnd: ' ',
  },
  debian13: {
    version: '2.03.31',
    monitoringDisabledText: 'not enabled',
    activePoolRepairText: (vg, pool) => `Cannot repair active pool ${vg}/${pool}.  Use lvchange -an first.`,
    repairBackupReadOnly: true,
    metadataResizeNamesPool: true,
    lvextendOwnNotFoundText: false,
    lvTypeRefusalPrefix: 'WARNING: ',
    syntaxLineEnd: '',
  },
};

/** The LVM of the lab's stack. */
export function lvmStack(ctx: ShellContext): LvmStackBehaviour {
  return LVM_STACKS[ctx.machine.stack];
}
