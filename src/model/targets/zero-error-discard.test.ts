/**
 * The zero and error targets' discards per kernel (`KernelBehaviour.zeroAndErrorDiscard`): Linux
 * 6.12 advertises them (fixtures/kernel/103-queue-limits.debian13.out shows the limits) and
 * dm-zero drops a discard as it drops a write while dm-error fails it; 6.1 took none.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../errno.js';
import { Machine } from '../machine.js';
import type { StackId } from '../stack.js';

function device(stack: StackId, table: string) {
  const machine = new Machine({ ramdiskKb: 4096, stack });
  const dev = machine.create('dut');
  if (!dev.ok) throw new Error('create');
  expect(machine.load(dev.value, table).ok).toBe(true);
  expect(machine.resume(dev.value).ok).toBe(true);
  return { machine, dev: dev.value };
}

describe('discards on zero and error targets', () => {
  it('are refused on Linux 6.1, which gives neither target discard limits', () => {
    for (const type of ['zero', 'error']) {
      const { machine, dev } = device('debian12', `0 8192 ${type}`);
      expect(machine.discardSectors(dev, 0, 8), type).toBe(Errno.EOPNOTSUPP);
      expect(machine.queueLimits(dev).maxHwDiscardSectors, type).toBe(0);
    }
  });

  it('are dropped by zero and failed by error on Linux 6.12, both with 512-byte granularity', () => {
    const zero = device('debian13', '0 8192 zero');
    expect(zero.machine.discardSectors(zero.dev, 0, 8)).toBe(0);
    const error = device('debian13', '0 8192 error');
    expect(error.machine.discardSectors(error.dev, 0, 8)).toBe(Errno.EIO);
    for (const { machine, dev } of [zero, error]) {
      const limits = machine.queueLimits(dev);
      expect(limits.discardGranularityBytes).toBe(512);
      expect(limits.maxDiscardSectors * 512).toBe(2199023255040);
      expect(limits.maxHwDiscardSectors).toBe(limits.maxDiscardSectors);
    }
  });
});
