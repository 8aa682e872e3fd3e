/**
 * No user input makes the lab throw, and the pool invariants hold after every line, whatever the
 * line: random mixes of valid and broken dmsetup, dd and blkdiscard commands (fixed seed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import { checkPoolInvariants } from '../src/model/invariants.js';

const name = fc.constantFrom('pool', 'thin0', 'thin1', 'snap', 'meta', 'nosuch', '');
const num = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '2',
    '3',
    '7',
    '128',
    '384',
    '1024',
    '16777215',
    '16777216',
    '-1',
    'x',
    '18446744073709551616',
  ),
  fc.nat({ max: 300_000 }).map(String),
);
const poolTable = fc
  .tuple(
    fc.constantFrom('512', '1024', '131072', '131073', '0', 'x'),
    fc.constantFrom('/dev/ram0', '/dev/mapper/meta', '/dev/ram1', '/dev/nope'),
    fc.constantFrom('/dev/ram1', '/dev/ram0'),
    fc.constantFrom('128', '64', '384', '0', 'abc', '2097152'),
    fc.constantFrom('0', '1', '3', 'x'),
    fc.constantFrom(
      '',
      '1 skip_block_zeroing',
      '1 error_if_no_space',
      '2 read_only ignore_discard',
      '1 no_discard_passdown',
      '5 a b c d e',
      '1 frob',
      '2 x',
    ),
  )
  .map(([len, md, data, bs, lwm, feat]) => `0 ${len} thin-pool ${md} ${data} ${bs} ${lwm} ${feat}`.trim());
const thinTable = fc
  .tuple(
    fc.constantFrom('262144', '1000', '8'),
    fc.constantFrom('/dev/mapper/pool', '/dev/mapper/thin0', '/dev/ram0'),
    num,
  )
  .map(([len, pool, id]) => `0 ${len} thin ${pool} ${id}`);
const otherTable = fc.constantFrom(
  '0 2048 linear /dev/ram0 0',
  '0 65536 linear /dev/ram0 0',
  '0 2048 error',
  '0 2048 linear /dev/ram0 x',
  '1 2 linear',
);
const table = fc.oneof(poolTable, thinTable, otherTable);
const message = fc
  .tuple(
    fc.constantFrom(
      'create_thin',
      'create_snap',
      'delete',
      'set_transaction_id',
      'reserve_metadata_snap',
      'release_metadata_snap',
      'CREATE_THIN',
      'frob',
    ),
    fc.array(num, { maxLength: 3 }),
  )
  .map(([m, args]) => [m, ...args].join(' '));
const pattern = fc.constantFrom('/patterns/A', '/patterns/B', '/dev/zero', '/dev/mapper/thin0', '/nope');
const target = fc.constantFrom(
  '/dev/mapper/thin0',
  '/dev/mapper/thin1',
  '/dev/mapper/snap',
  '/dev/mapper/pool',
  '/dev/ram1',
  '/run/f',
);

const line = fc.oneof(
  fc.tuple(fc.constantFrom('create', 'reload'), name, table).map(([c, n, t]) => `dmsetup ${c} ${n} --table "${t}"`),
  fc.tuple(name, message).map(([n, m]) => `dmsetup message ${n} 0 "${m}"`),
  fc
    .tuple(fc.constantFrom('suspend', 'resume', 'remove', 'status', 'status --noflush', 'table', 'info'), name)
    .map(([c, n]) => `dmsetup ${c} ${n}`),
  fc
    .tuple(
      pattern,
      target,
      fc.constantFrom('512', '4k', '64k', '1M', '100', '0', 'x'),
      fc.nat({ max: 40 }),
      fc.nat({ max: 5000 }),
      fc.constantFrom('', ' oflag=direct', ' conv=fsync', ' iflag=direct'),
    )
    .map(([i, o, bs, count, seek, flag]) => `dd if=${i} of=${o} bs=${bs} count=${count} seek=${seek}${flag}`),
  fc
    .tuple(target, fc.nat({ max: 300 }), fc.nat({ max: 300 }))
    .map(([t, o, l]) => `blkdiscard -o ${o * 512 + (o % 3)} -l ${l * 4096} ${t}`),
  fc.constantFrom(
    'sleep 1',
    'sleep 61',
    'crash',
    'dmesg | tail -n 3',
    'echo 2 > /sys/module/dm_thin_pool/parameters/no_space_timeout',
    'echo 0 > /sys/module/dm_thin_pool/parameters/no_space_timeout',
    'dd if=/dev/zero of=/dev/ram0 bs=4096 count=1',
    'dd if=/dev/ram0 of=/run/m bs=1M',
    'dd if=/run/m of=/dev/ram0 bs=1M',
  ),
  fc.string({ maxLength: 40 }),
);

/** A start that usually makes later commands meaningful: a small pool with two thins. */
const SETUP = [
  'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 2" && dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup message pool 0 "create_thin 1"',
  'dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
  'dmsetup create thin1 --table "0 262144 thin /dev/mapper/pool 1" && dmsetup mknodes',
];

describe('the lab shell under random input', () => {
  it('never throws and keeps the pool invariants after every line', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 40 }), (lines) => {
        const shell = new LabShell({ ramdiskKb: 4096 });
        for (const l of [...SETUP, ...lines]) {
          const out = shell.runLine(l);
          expect(typeof out).toBe('string');
          for (const pool of shell.machine.livePools()) {
            const problems = checkPoolInvariants(pool.md);
            if (problems.length > 0) throw new Error(`after "${l}": ${problems.join('; ')}`);
          }
        }
      }),
      { numRuns: 150, seed: 20261127 },
    );
  });
});

/** Huge values and deep nesting: each case under a small step budget, so that none can hang. */
const hostile = fc.oneof(
  fc
    .tuple(fc.constantFrom('( ', '{ ', 'if true; then ', '$(echo '), fc.integer({ min: 1, max: 3000 }))
    .map(([o, n]) => {
      const close = o === '( ' ? ' )' : o === '{ ' ? '; }' : o === '$(echo ' ? ')' : '; fi';
      return `${o === '$(echo ' ? 'echo ' : ''}${o.repeat(n)}${o === '$(echo ' ? 'x' : 'echo x'}${close.repeat(n)}`;
    }),
  fc
    .tuple(
      fc.constantFrom('**', '*', '<<', '/', '%', '+'),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    )
    .map(([op, a, b]) => `echo $((${a} ${op} ${b}))`),
  fc.constantFrom(
    'f() { f; }; f',
    'while true; do :; done',
    'x=a; while true; do x=$x$x; done',
    'printf "%1000000000s" x',
    'dd if=/dev/zero of=/dev/null bs=100000000000 count=1',
    'printf "a\\0b" | tr -d "\\000" | tail -c 3',
  ),
);

describe('the lab shell under hostile input (huge values, deep nesting)', () => {
  it('never throws: every case ends with output or a one-line message', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 3 }), (lines) => {
        const shell = new LabShell({ ramdiskKb: 4096, maxSteps: 20_000 });
        for (const l of lines) expect(typeof shell.runLine(l)).toBe('string');
      }),
      { numRuns: 12, seed: 20261206 },
    );
  });
});
