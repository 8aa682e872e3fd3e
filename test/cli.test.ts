/**
 * The thinlab command end to end, as a user runs it: recording, log, at, rollback, branches,
 * checkout, diff, replay, and one-line errors with a non-zero exit for bad input, a corrupt
 * database and an unknown command.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
let dir: string;
let db: string;

function thinlab(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
    cwd: dir,
    input,
    encoding: 'latin1',
    env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-cli-'));
  db = join(dir, 'lab.db');
  writeFileSync(
    join(dir, 'fill.sh'),
    [
      'dmsetup create pool --table "0 512 thin-pool /dev/ram0 /dev/ram1 128 0 1 error_if_no_space" && dmsetup mknodes',
      'dmsetup message pool 0 "create_thin 0"',
      'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
      'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=2 oflag=direct',
      'dmsetup status pool',
      'dd if=/patterns/B of=/dev/mapper/thin bs=64k count=4 seek=2 oflag=direct',
      'dmsetup status pool',
    ].join('\n'),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('thinlab time travel', () => {
  it('records, lists, travels, branches and compares', () => {
    const sh = thinlab(['sh', '--db', db, 'fill.sh']);
    expect(sh.status).toBe(0);
    expect(sh.stdout).toContain('2/4 - rw');
    expect(sh.stdout).toContain("dd: error writing '/dev/mapper/thin': No space left on device");

    const log = thinlab(['log', '--db', db]);
    expect(log.stdout).toMatch(/branch main, 7 events/);
    expect(log.stdout).toMatch(/\n +6 .*dd if=\/patterns\/B.*\[exit 1\]/);

    const at = thinlab(['at', '4', '--db', db]);
    expect(at.status).toBe(0);
    expect(at.stdout).toMatch(/status: 0 512 thin-pool 0 \d+\/16384 2\/4 - rw /);
    expect(at.stdout).toMatch(/pool machine pool: write/);

    const end = thinlab(['at', '7', '--db', db]);
    expect(end.stdout).toMatch(/4\/4 - out_of_data_space/);
    expect(end.stdout).toMatch(/pool machine pool: out_of_data_space/);

    const rb = thinlab(['rollback', '4', '--name', 'bigger', '--db', db]);
    expect(rb.stdout).toMatch(/branch bigger starts at main@4/);
    const grow = thinlab(
      ['sh', '--continue', '--db', db, '-'],
      'dmsetup reload pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0 1 error_if_no_space"\ndmsetup suspend pool\ndmsetup resume pool\ndd if=/patterns/B of=/dev/mapper/thin bs=64k count=4 seek=2 oflag=direct\ndmsetup status pool\n',
    );
    expect(grow.stdout).toMatch(/6\/8 - rw/);

    const branches = thinlab(['branches', '--db', db]);
    expect(branches.stdout).toMatch(/\* bigger +9 events {2}debian12 {2}from main@4/);
    expect(branches.stdout).toMatch(/ {2}main +7 events/);

    const diff = thinlab(['diff', 'main', 'bigger', '--db', db]);
    expect(diff.stdout).toMatch(
      /pool pool:\n {2}- mode out_of_data_space.*data 4\/4[^\n]*\n {2}\+ mode write.*data 6\/8/,
    );
    expect(diff.stdout).toMatch(
      /thin pool\/0: 4 -> 6 mapped blocks; blocks left_only 0, right_only 2, different 0, same 4/,
    );

    expect(thinlab(['checkout', 'main', '--db', db]).stdout).toMatch(/head is now main \(7 events\)/);
    const replay = thinlab(['replay', '--db', db]);
    expect(replay.stdout).toMatch(/replayed 7 events of main/);
  });

  it('answers bad input with one line and a non-zero exit, leaving the log intact', () => {
    const bad = thinlab(['at', '99', '--db', db]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("thinlab: position 99 is outside branch 'main' (0..7) [BAD_POSITION]\n");
    const unknown = thinlab(['checkout', 'nope', '--db', db]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^thinlab: no branch 'nope' \(branches: main, bigger\) \[UNKNOWN_BRANCH\]\n$/);
    expect(thinlab(['frobnicate']).status).toBe(2);
    expect(thinlab(['at', 'x', '--db', db]).stderr).toMatch(/POS must be a position/);
    writeFileSync(join(dir, 'junk.db'), 'this is not a database at all'.repeat(200));
    const corrupt = thinlab(['log', '--db', join(dir, 'junk.db')]);
    expect(corrupt.status).toBe(1);
    expect(corrupt.stderr.trim().split('\n')).toHaveLength(1);
    expect(corrupt.stderr).toMatch(/STORE_CORRUPT|STORE_FOREIGN/);
    expect(thinlab(['log', '--db', db]).stdout).toMatch(/branch main, 7 events/);
    const unreachable = thinlab(['log', '--store', 'kurrentdb://127.0.0.1:1?tls=false']);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/STORE_UNREACHABLE/);
  });
});
