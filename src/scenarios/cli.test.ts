/**
 * `thinlab run` and `thinlab bisect` end to end, as a user runs them: the exit statuses (0 pass,
 * 1 a failed check, 2 an invalid file), the recorded branch and the command to open a failure,
 * `--json`, and bisect over the branch a run recorded.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
let dir: string;
let db: string;

function thinlab(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-run-'));
  db = join(dir, 'lab.db');
  writeFileSync(
    join(dir, 'wrong.yaml'),
    [
      'title: expects too much',
      'report: https://example.org/report',
      'steps:',
      '  - run: dmsetup create pool --table "0 256 thin-pool /dev/ram0 /dev/ram1 128 0 1 error_if_no_space" && dmsetup mknodes',
      '  - run: dmsetup message pool 0 "create_thin 0"; dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
      '  - run: dd if=/patterns/A of=/dev/mapper/thin bs=64k count=3 oflag=direct 2>/dev/null',
      '    expect: {pool_mode: {pool: write}}',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'broken.yaml'), 'title: broken\nsteps:\n  - run: echo\n  - explode: now\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('thinlab run', () => {
  it('runs a library scenario, records it as a branch, and exits 0', () => {
    const r = thinlab(['run', join(ROOT, 'scenarios', 'pool-full-queue-extend.yaml'), '--db', db]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\[ 4\] @6 +\$ dd if=\/patterns\/B/);
    expect(r.stdout).toContain('✓ pool_mode pool = out_of_data_space');
    expect(r.stdout).toMatch(/PASS {2}10 steps, 18 checks; recorded as branch pool-full-queue-extend, 13 events/);
    expect(thinlab(['log', '--db', db, '--branch', 'pool-full-queue-extend']).stdout).toMatch(
      /branch pool-full-queue-extend, 13 events/,
    );
    expect(thinlab(['replay', '--db', db, '--branch', 'pool-full-queue-extend']).stdout).toMatch(/replayed 13 events/);
  });

  it('exits 1 on a failed expectation, highlighting it and printing the command to open the state', () => {
    const r = thinlab(['run', 'wrong.yaml', '--db', db]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('✗ pool_mode pool: expected write, got out_of_data_space');
    expect(r.stdout).toMatch(/\^\^\^ FIRST FAILURE \(step 3, line 6, position 3\)/);
    expect(r.stdout).toContain(`open the state there: thinlab at 3 --branch wrong --db ${db}`);
    expect(r.stdout).toContain(
      `open in the ui: thinlab ui --branch wrong --at 3 --db ${db}  (page /?branch=wrong&pos=3)`,
    );
    const json = JSON.parse(thinlab(['run', 'wrong.yaml', '--branch', 'wrong-json', '--json', '--db', db]).stdout);
    expect(json.scenarios[0].firstFailure.ui).toEqual({
      command: `thinlab ui --branch wrong-json --at 3 --db ${db}`,
      path: '/?branch=wrong-json&pos=3',
    });
    expect(thinlab(['at', '3', '--branch', 'wrong', '--db', db]).stdout).toMatch(
      /pool machine pool: out_of_data_space/,
    );
  });

  it('exits 2 on an invalid file, naming file:line and field, and runs nothing', () => {
    const r = thinlab(['run', 'broken.yaml', join(ROOT, 'scenarios', 'low-water-mark.yaml'), '--db', db]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "thinlab: broken.yaml:4: steps[2].explode: unknown step 'explode' (expected one of run, advance, crash, fault, mark, expect)\n",
    );
    expect(r.stdout).toBe('');
  });

  it('prints a machine-readable result with --json and --no-record', () => {
    const r = thinlab(['run', 'wrong.yaml', '--json', '--no-record']);
    expect(r.status).toBe(1);
    const json = JSON.parse(r.stdout) as {
      passed: boolean;
      scenarios: Array<{ firstFailure: { step: number; position: number; failed: unknown[] } }>;
    };
    expect(json.passed).toBe(false);
    expect(json.scenarios[0]!.firstFailure).toMatchObject({
      step: 3,
      position: 3,
      failed: [{ name: 'pool_mode pool', expected: 'write', actual: 'out_of_data_space' }],
    });
  });
});

describe('thinlab bisect', () => {
  it('finds where the recorded scenario left write mode and shows both sides', () => {
    const r = thinlab([
      'bisect',
      '--expect',
      'pool_mode pool=write',
      '--branch',
      'pool-full-queue-extend',
      '8',
      '--db',
      db,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/first bad position 6: pool_mode pool=write expected write, got out_of_data_space/);
    expect(r.stdout).toMatch(/\nposition +5 +6\n/);
    expect(r.stdout).toMatch(/\ncommand +dd if=\/patterns\/A .*dd if=\/patterns\/B/);
    expect(r.stdout).toMatch(
      /\npool pool +0 512 thin-pool 0 \d+\/16384 4\/4 - rw .* 0 512 thin-pool 0 \d+\/16384 4\/4 - out_of_data_space/,
    );
    expect(r.stdout).toContain(`thinlab at 6 --branch pool-full-queue-extend --db ${db}`);
  });

  it('refuses an expression it cannot read with a usage error', () => {
    const r = thinlab(['bisect', '--expect', 'output_contains boom', '--db', db]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^thinlab: cannot read the expectation/);
  });

  it('fails (exit 1) naming a pool that is not there, and an invariant at a position with no pool', () => {
    const where = ['--branch', 'pool-full-queue-extend', '--db', db];
    const missing = thinlab(['bisect', '--expect', 'pool_mode nosuchpool=write', '8', ...where]);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toMatch(
      /^pool_mode nosuchpool=write fails at pool-full-queue-extend@8: no live pool named 'nosuchpool' \(live pools: pool\)\n/,
    );
    expect(missing.stdout).not.toMatch(/holds/);
    const none = thinlab(['bisect', '--invariant', 'writable', '0', ...where]);
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(
      /^invariant writable fails at pool-full-queue-extend@0: there is no live pool to check\n/,
    );
  });
});
