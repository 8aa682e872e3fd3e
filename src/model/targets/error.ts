/**
 * The `error` target (dm-target.c's io_err_target): every read, write and flush fails with EIO,
 * and on Linux 6.12, which advertises discards for it, every discard too
 * (`KernelBehaviour.zeroAndErrorDiscard`; 6.1's took none).
 */
import { Errno } from '../errno.js';
import { anyDiscardIoHints } from '../queue-limits.js';
import { fail } from '../result.js';
import { defineTargetType, finishedIo } from './target-type.js';

export interface ErrorTarget {
  readonly type: 'error';
  readonly lengthSectors: number;
}

export const errorTarget = defineTargetType<ErrorTarget>({
  name: 'error',
  // The kernel's io_err_ctr takes any arguments and ignores them.
  construct: (_core, _dev, lengthSectors) => ({ ok: true, value: { type: 'error', lengthSectors } }),
  areas: () => [],
  heldDevices: () => [],
  status: () => '',
  table: () => '',
  read: () => fail(Errno.EIO),
  write: () => finishedIo(Errno.EIO),
  discard: (core) => (core.kernel.zeroAndErrorDiscard ? Errno.EIO : Errno.EOPNOTSUPP),
  flush: () => finishedIo(Errno.EIO),
  supportsDiscard: (core) => core.kernel.zeroAndErrorDiscard,
  ioHints: (_t, limits, kernel) => (kernel.zeroAndErrorDiscard ? anyDiscardIoHints(limits) : limits),
  works: () => false,
  writeDelayMs: () => 0,
  storageUnder: () => null,
  offsetUnder: () => 0,
});
