/**
 * The registry of target types: every type a table may name is registered under that name, each
 * type's table line loads back into the same target, and a name nobody registered is refused the
 * way the kernel refuses it (fixtures/kernel/22-formats: `frobnicate: unknown target type`). What
 * each target does with I/O is proved by the kernel transcripts (test/transcripts.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../errno.js';
import { DM_MAJOR, Machine, type DmDevice } from '../machine.js';
import { targetType, targetTypes, type Target } from './index.js';

/** A lab with a pool holding thin 0, and the device the sample tables are loaded into. */
function lab(): { machine: Machine; dut: DmDevice } {
  const machine = new Machine({ ramdiskKb: 4096, ramdiskCount: 4 });
  const pool = machine.create('pool');
  if (!pool.ok) throw new Error('create pool');
  expect(machine.load(pool.value, '0 4096 thin-pool /dev/ram0 /dev/ram1 128 0').ok).toBe(true);
  expect(machine.resume(pool.value).ok).toBe(true);
  expect(machine.message(pool.value, ['create_thin', '0'])).toBe(0);
  // The node `dmsetup mknodes` makes: the thin samples name the pool by path.
  machine.addMapperNode('pool', pool.value.minor);
  const dut = machine.create('dut');
  if (!dut.ok) throw new Error('create dut');
  return { machine, dut: dut.value };
}

/**
 * Table lines of every kind of target the dm core can hold: a `Record` over the `Target` union, so
 * a new kind of target does not compile until it has samples here.
 */
const SAMPLES: Record<Target['type'], readonly string[]> = {
  linear: [
    '0 100 linear /dev/ram2 8',
    '0 100 linear /dev/ram2 0\n100 50 linear /dev/ram3 16\n150 10 linear /dev/ram2 200',
  ],
  error: ['0 100 error'],
  zero: ['0 100 zero'],
  flakey: [
    '0 100 flakey /dev/ram2 0 5 1',
    '0 100 flakey /dev/ram2 8 5 1 1 drop_writes',
    '0 100 flakey /dev/ram2 0 0 7 6 error_writes corrupt_bio_byte 32 r 1 0',
  ],
  delay: [
    '0 100 delay /dev/ram2 0 10',
    '0 100 delay /dev/ram2 0 10 /dev/ram3 8 20',
    '0 100 delay /dev/ram2 0 10 /dev/ram3 8 20 /dev/ram2 16 0',
  ],
  // On the pool's own device, as only a reload of a pool's table may name its metadata device again.
  'thin-pool': [
    '0 4096 thin-pool /dev/ram0 /dev/ram1 128 0',
    '0 4096 thin-pool /dev/ram0 /dev/ram1 128 10 2 skip_block_zeroing error_if_no_space',
  ],
  thin: ['0 256 thin /dev/mapper/pool 0', '0 256 thin /dev/mapper/pool 0 /dev/ram2'],
};

/**
 * The table line of a target with its `start length type` prefix. The text of a table of several
 * lines holds the first line's parameters, then each later line whole: the prefix is the first's.
 */
function printed(machine: Machine, t: Target): string {
  const lengthSectors =
    t.type === 'linear' && t.segments !== undefined ? t.segments[0]!.lengthSectors : t.lengthSectors;
  return `0 ${lengthSectors} ${t.type} ${machine.targetTable(t)}`;
}

/**
 * A target with the device paths its arguments were given as (`/dev/ram2`, `1:2`) replaced by the
 * devices they name: the printed table names devices as major:minor, the samples by path.
 */
function withDevicesResolved(machine: Machine, t: Target): unknown {
  if (!('args' in t)) return t;
  const resolve = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        key === 'dev' && typeof v === 'string' ? machine.resolve(v) : resolve(v),
      ]),
    );
  };
  return { ...t, args: resolve(t.args) };
}

describe('the target registry', () => {
  it('registers every target type the dm core holds, under the name tables use', () => {
    expect([...targetTypes().keys()].sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const [name, type] of targetTypes()) expect(type.name).toBe(name);
  });

  for (const [name, lines] of Object.entries(SAMPLES)) {
    for (const line of lines) {
      it(`${name}: ${JSON.stringify(line)} loads, prints, and loads back as the same target`, () => {
        const { machine } = lab();
        // The pool's table reloads on the pool's own device; every other sample on a new one.
        const dev = name === 'thin-pool' ? machine.device('pool')! : machine.device('dut')!;
        expect(machine.load(dev, line).ok).toBe(true);
        const first = dev.inactive!;
        expect(first.type).toBe(name);
        const text = printed(machine, first);
        expect(machine.load(dev, text).ok).toBe(true);
        const second = dev.inactive!;
        expect(second).not.toBe(first);
        expect(withDevicesResolved(machine, second)).toEqual(withDevicesResolved(machine, first));
        expect(printed(machine, second)).toBe(text);
      });
    }
  }

  it('refuses a name nobody registered as the kernel does', () => {
    const { machine, dut } = lab();
    expect(targetType('frobnicate')).toBeUndefined();
    const logged = machine.kernelLog.length;
    expect(machine.load(dut, '0 8 frobnicate')).toEqual({ ok: false, errno: Errno.EINVAL });
    expect(machine.kernelLog.slice(logged).map((l) => l.text)).toEqual([
      `device-mapper: table: ${DM_MAJOR}:${dut.minor}: frobnicate: unknown target type`,
      'device-mapper: ioctl: error adding target to table',
    ]);
    expect(dut.inactive).toBeNull();
  });
});
