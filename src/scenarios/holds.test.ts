/** `holds:` expectations: named invariants checked on every live pool, failing with what is wrong. */
import { describe, expect, it } from 'vitest';
import { parseScenario } from './load.js';
import { runScenario } from './run.js';

describe('holds', () => {
  it('fails with the pool and the problem when a named invariant does not hold, and passes when it does', async () => {
    const scenario = parseScenario(
      'h.yaml',
      [
        'title: t',
        'machine: {ramdisk_kb: 4096}',
        'steps:',
        '  - run: |',
        '      dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0 1 error_if_no_space" && dmsetup mknodes',
        '      dmsetup message pool 0 "create_thin 0"',
        '      dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
        '    expect: {holds: [writable, free-data-space, committed]}',
        '  - run: dd if=/patterns/A of=/dev/mapper/thin bs=64k count=9 oflag=direct 2>/dev/null',
        '    expect: {holds: [writable, free-data-space]}',
      ].join('\n'),
    );
    const result = await runScenario(scenario);
    expect(result.steps[0]!.checks.every((c) => c.ok)).toBe(true);
    expect(result.steps[1]!.checks).toEqual([
      {
        name: 'holds writable',
        ok: false,
        expected: 'the pool is in write mode (rw)',
        actual: 'pool: mode is out_of_data_space',
      },
      {
        name: 'holds free-data-space',
        ok: false,
        expected: 'the pool has at least one free data block',
        actual: 'pool: no free data blocks (8 of 8 used)',
      },
    ]);
    expect(result.passed).toBe(false);
  });

  it('fails on a lab with no pool, and a pool check fails on a pool that is not there, naming it', async () => {
    const scenario = parseScenario(
      'none.yaml',
      [
        'title: t',
        'machine: {ramdisk_kb: 4096}',
        'steps:',
        '  - run: echo nothing',
        '    expect: {holds: [writable], invariants: true, pool_mode: {nosuchpool: write}, used_data_blocks: {nosuchpool: 0}}',
      ].join('\n'),
    );
    const result = await runScenario(scenario);
    expect(result.steps[0]!.checks).toEqual([
      {
        name: 'pool_mode nosuchpool',
        ok: false,
        expected: 'write',
        actual: "no live pool named 'nosuchpool' (there is no live pool)",
        missing: true,
      },
      {
        name: 'used_data_blocks nosuchpool',
        ok: false,
        expected: '0',
        actual: "no live pool named 'nosuchpool' (there is no live pool)",
        missing: true,
      },
      {
        name: 'invariants',
        ok: true,
        expected: 'every pool consistent',
        actual: 'every pool consistent (no live pool)',
      },
      {
        name: 'holds writable',
        ok: false,
        expected: 'the pool is in write mode (rw)',
        actual: 'there is no live pool to check',
        missing: true,
      },
    ]);
    expect(result.passed).toBe(false);
  });
});
