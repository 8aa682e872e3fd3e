/**
 * `thinlab bisect --invariant`, `thinlab whatif` and `thinlab explain` end to end, as a user runs
 * them, on scenarios of the library: each answer is checked against what the scenario's steps
 * make happen (positions, outputs, data), not against what the tool printed last time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runThinlab } from './thinlab-process.js';

let dir: string;
let db: string;

const thinlab = (args: string[]) => runThinlab(args, ROOT);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-incident-'));
  db = join(dir, 'lab.db');
  for (const f of ['data-device-write-errors-flakey.yaml', 'pool-full-queue-extend.yaml']) {
    expect(thinlab(['run', join('scenarios', f), '--db', db]).status).toBe(0);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('thinlab bisect --invariant', () => {
  it('finds the write whose failure leaked a data block (the scenario marks it at position 8)', () => {
    const r = thinlab([
      'bisect',
      '--invariant',
      'no-leaked-blocks',
      '--branch',
      'data-device-write-errors-flakey',
      '--db',
      db,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('first bad position 8: invariant no-leaked-blocks');
    expect(r.stdout).toContain('got pool: 1 data block counted more often than mapped (leaked): 2');
    expect(r.stdout).toMatch(
      /command +dd if=\/patterns\/B of=\/dev\/mapper\/thin bs=64k count=1 seek=1 +dd if=\/patterns\/B of=\/dev\/mapper\/thin bs=64k count=1 seek=6/,
    );
  });

  it('finds where a pool stopped being writable', () => {
    const r = thinlab(['bisect', '--invariant', 'writable', '--branch', 'pool-full-queue-extend', '8', '--db', db]);
    expect(r.stdout).toContain(
      'first bad position 6: invariant writable expected the pool is in write mode (rw), got pool: mode is out_of_data_space',
    );
  });

  it('says so when the invariant holds at the end, and refuses unknown names and two checks at once', () => {
    expect(
      thinlab(['bisect', '--invariant', 'pool', '--branch', 'pool-full-queue-extend', '--db', db]).stdout,
    ).toContain(
      'invariant pool holds at pool-full-queue-extend@13: nothing to bisect (give a position where it fails: thinlab bisect --invariant pool POS)',
    );
    const unknown = thinlab(['bisect', '--invariant', 'tidy', '--db', db]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe(
      "thinlab: unknown invariant 'tidy' (known: pool, writable, no-needs-check, free-data-space, free-metadata-space, no-queued-io, no-leaked-blocks, committed)\n",
    );
    expect(thinlab(['bisect', '--invariant', 'pool', '--expect', 'invariants', '--db', db]).status).toBe(2);
  });
});

describe('thinlab whatif', () => {
  it('another consumer taking 2 blocks before the first write: that write fails, and the data it wrote is lost', () => {
    const r = thinlab([
      'whatif',
      '--branch',
      'pool-full-queue-extend',
      '--at',
      '4',
      '--inject',
      'fault fill pool 2',
      '--name',
      'hog',
      '--db',
      db,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'recorded as branch hog: pool-full-queue-extend@0..4, the injected command at 5, then pool-full-queue-extend@5..13 run again (hog@6..14)',
    );
    expect(r.stdout).toContain('first difference: pool-full-queue-extend@5 = hog@6');
    expect(r.stdout).toContain('    | rc=0\n  hog printed (exit 0):\n    | rc=1\n');
    expect(r.stdout).toContain('pool write -> out_of_data_space at @6, pool out_of_data_space -> write at @10');
    expect(r.stdout).toContain(
      "/dev/mapper/thin bytes 131072+131072: pool-full-queue-extend every byte 'A', hog zeros  (data lost)",
    );
    // The new branch holds the injected event and the rerun, and replays like any branch.
    const log = thinlab(['log', '--branch', 'hog', '--db', db]).stdout;
    expect(log).toMatch(/branch hog \(from pool-full-queue-extend@4\), 14 events/);
    expect(log).toMatch(/\n +5 +\S+ +fault fill pool 2\n/);
    expect(thinlab(['replay', '--branch', 'hog', '--db', db]).stdout).toMatch(/replayed 14 events/);
  });

  it('a crash after the pool filled: everything after it fails, and the thin device is gone', () => {
    const r = thinlab(['whatif', '--branch', 'pool-full-queue-extend', '--at', '5', '--inject', 'crash', '--db', db]);
    expect(r.stdout).toContain('recorded as branch pool-full-queue-extend-whatif-5');
    // After the crash /dev/mapper holds only control (devtmpfs makes it), so the real dd would create
    // a regular file there; the lab refuses that by name rather than pretend.
    expect(r.stdout).toContain('thinlab: not modelled: dd of=/dev/mapper/thin with no such node');
    expect(r.stdout).toContain('pool write -> (none) at @6');
    expect(r.stdout).toContain(
      '/dev/mapper/thin bytes 0+134217728: pool-full-queue-extend the device, pool-full-queue-extend-whatif-5 no such device  (data lost)',
    );
  });

  it('a data device that does not fail: the leak never happens and every block reads the same', () => {
    const r = thinlab([
      'whatif',
      '--branch',
      'data-device-write-errors-flakey',
      '--at',
      '6',
      '--inject',
      'echo the disk was replaced',
      '--db',
      db,
    ]);
    expect(r.stdout).toContain('the injected command printed:\n    | the disk was replaced\n');
    expect(r.stdout).toContain('every thin device reads back the same');
    expect(r.stdout).toContain('output: every command after position 6 printed the same');
  });

  it('gives the outcome as JSON for machines', () => {
    const r = thinlab([
      'whatif',
      '--branch',
      'pool-full-queue-extend',
      '--at',
      '4',
      '--inject',
      'fault fill pool 2',
      '--name',
      'hog-json',
      '--json',
      '--db',
      db,
    ]);
    const j = JSON.parse(r.stdout) as {
      firstDifference: { originalPosition: number; whatIfPosition: number };
      differences: unknown[];
      data: Array<{ device: string; offsetBytes: number; lengthBytes: number; lost: boolean }>;
    };
    expect(j.firstDifference).toMatchObject({ originalPosition: 5, whatIfPosition: 6 });
    expect(j.differences.length).toBeGreaterThanOrEqual(1);
    expect(j.data).toEqual([
      {
        device: '/dev/mapper/thin',
        offsetBytes: 131072,
        lengthBytes: 131072,
        original: "every byte 'A'",
        whatIf: 'zeros',
        lost: true,
      },
    ]);
  });

  it('refuses an unknown fault, a missing --inject and a position outside the branch', () => {
    const bad = thinlab(['whatif', '--at', '3', '--inject', 'fault smash pool', '--db', db]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("thinlab: --inject: unknown fault kind 'smash' (known: io, slow-commit, fill, metadata)\n");
    expect(thinlab(['whatif', '--at', '3', '--db', db]).status).toBe(2);
    const outside = thinlab([
      'whatif',
      '--branch',
      'pool-full-queue-extend',
      '--at',
      '99',
      '--inject',
      'crash',
      '--db',
      db,
    ]);
    expect(outside.status).toBe(1);
    expect(outside.stderr).toContain("position 99 is outside branch 'pool-full-queue-extend' (0..13)");
  });
});

describe('thinlab explain', () => {
  it('reads a pool status line field by field and finds the scenarios that reach its state', () => {
    const r = thinlab([
      'explain',
      '0 131072 thin-pool 0 1649/16384 8/8 - out_of_data_space no_discard_passdown error_if_no_space - 1024 ',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('what it is: dmsetup status of a thin-pool');
    expect(r.stdout).toMatch(/data +8\/8 blocks used \(100%\): full/);
    expect(r.stdout).toContain(
      'the pool is out of data space (8/8); new-block writes fail with ENOSPC, owned blocks are still writable',
    );
    expect(r.stdout).toContain('scenarios/pool-full-error-delete.yaml');
    expect(r.stdout).toContain('scenarios/another-consumer-fills-pool.yaml');
  });

  it('explains a kernel log line with its timestamp, ranking the scenarios that declare it first', () => {
    const r = thinlab([
      'explain',
      '[  812.004051] device-mapper: thin: 253:4: switching pool to out-of-data-space (queue IO) mode',
    ]);
    expect(r.stdout).toContain('what it is: kernel log (dm-thin)');
    const files = [...r.stdout.matchAll(/^ {2}(scenarios\/\S+)$/gm)].map((m) => m[1]);
    expect(files.slice(0, 2)).toEqual([
      'scenarios/another-consumer-fills-pool.yaml',
      'scenarios/pool-full-queue-extend.yaml',
    ]);
  });

  it('explains a Docker error and finds the scenario modelled on its report', () => {
    const r = thinlab([
      'explain',
      '--json',
      'failed to register layer: devmapper: Thin Pool has 162710 free data blocks which is less than minimum required 163840 free data blocks. Create more free space in thin pool or use dm.min_free_space option to change behavior',
    ]);
    const j = JSON.parse(r.stdout) as {
      known: boolean;
      source: string;
      scenarios: Array<{ file: string; how: string }>;
    };
    expect(j.known).toBe(true);
    expect(j.source).toBe('Docker devicemapper error; docker-devicemapper.md section 4 entry 1 (moby/moby#35939)');
    // Both scenarios declare the message; within one rank scenarios come in file order.
    expect(j.scenarios.slice(0, 2)).toMatchObject([{ how: 'symptom' }, { how: 'symptom' }]);
    expect(j.scenarios[0]!.file).toMatch(/docker-pull-min-free-space\.yaml$/);
    expect(j.scenarios[1]!.file).toMatch(/pool-full-error-delete\.yaml$/);
  });

  it('says when it knows nothing (exit 1) and needs a symptom (exit 2)', () => {
    const r = thinlab(['explain', 'the printer is on fire']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('no scenario in the library reproduces it');
    expect(thinlab(['explain']).status).toBe(2);
  });
});
