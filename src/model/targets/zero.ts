/**
 * The `zero` target (dm-zero): reads return zeros, writes are dropped, and on Linux 6.12 so are
 * discards (`KernelBehaviour.zeroAndErrorDiscard`; 6.1's took none).
 */
import { Errno } from '../errno.js';
import { anyDiscardIoHints } from '../queue-limits.js';
import { ok } from '../result.js';
import { defineTargetType, finishedIo } from './target-type.js';

export interface ZeroTarget {
  readonly type: 'zero';
  readonly lengthSectors: number;
}

export const zeroTarget = defineTargetType<ZeroTarget>({
  name: 'zero',
  // Arguments are ignored, as the lab always has (zero_ctr would refuse them: not modelled).
  construct: (_core, _dev, lengthSectors) => ({ ok: true, value: { type: 'zero', lengthSectors } }),
  areas: () => [],
  heldDevices: () => [],
  status: () => '',
  table: () => '',
  read: (_core, _t, _start, count) => ok(new Uint32Array(count)),
  write: () => finishedIo(0),
  discard: (core) => (core.kernel.zeroAndErrorDiscard ? 0 : Errno.EOPNOTSUPP),
  flush: () => finishedIo(0),
  supportsDiscard: (core) => core.kernel.zeroAndErrorDiscard,
  ioHints: (_t, limits, kernel) => (kernel.zeroAndErrorDiscard ? anyDiscardIoHints(limits) : limits),
  works: () => true,
  writeDelayMs: () => 0,
  storageUnder: () => null,
  offsetUnder: () => 0,
});
