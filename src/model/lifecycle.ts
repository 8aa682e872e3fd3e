/**
 * What the kernel answers when a pool changes mode or takes a command (dm-thin.c set_pool_mode,
 * pool_message, thin_ctr, __delete_device): the model acts on these answers. Which lifecycle
 * changes are legal at all is not stated here but once, by the xstate machines in src/lifecycle,
 * and the replay layer checks every change the model makes against them; this module only keeps
 * the data that describes the states (the pool modes) and the kernel's own decisions.
 */
import { Errno } from './errno.js';

export const POOL_MODES = ['write', 'out_of_data_space', 'out_of_metadata_space', 'read_only', 'fail'] as const;
export type PoolMode = (typeof POOL_MODES)[number];

const MODE_RANK: Readonly<Record<PoolMode, number>> = {
  write: 0,
  out_of_data_space: 1,
  out_of_metadata_space: 2,
  read_only: 3,
  fail: 4,
};

/** Modes at or past out-of-metadata-space: no metadata changes, status word `ro` (or `Fail`). */
export function isReadOnlyMode(mode: PoolMode): boolean {
  return MODE_RANK[mode] >= MODE_RANK.out_of_metadata_space;
}

/** What set_pool_mode makes of a requested mode change. */
export interface ModeDecision {
  readonly mode: PoolMode;
  /** True when write mode was refused because the metadata needs checking (logged by the kernel). */
  readonly refusedForNeedsCheck: boolean;
}

/**
 * set_pool_mode's gate: write mode is refused while needs_check is set (the pool stays where it
 * was, or becomes read-only if it was already in write mode), and fail mode is never left.
 */
export function decidePoolMode(current: PoolMode, requested: PoolMode, needsCheck: boolean): ModeDecision {
  let next = requested;
  let refused = false;
  if (next === 'write' && needsCheck) {
    refused = true;
    next = current !== next ? current : 'read_only';
  }
  if (current === 'fail') next = current;
  return { mode: next, refusedForNeedsCheck: refused };
}

/** pool_message's first check: no message is served in the read-only modes (EOPNOTSUPP). */
export function messageRefusal(mode: PoolMode): number {
  return isReadOnlyMode(mode) ? Errno.EOPNOTSUPP : 0;
}

/** __delete_device: a thin held open by an active target cannot be deleted (EBUSY). */
export function deleteRefusal(openCount: number): number {
  return openCount > 0 ? Errno.EBUSY : 0;
}

/** thin_ctr's pool checks, in order: not in fail mode, not suspended. */
export function thinActivationRefusal(mode: PoolMode, poolSuspended: boolean): string | null {
  if (mode === 'fail') return "Couldn't open thin device, Pool is in fail mode";
  if (poolSuspended) return 'Unable to activate thin device while pool is suspended';
  return null;
}
