/**
 * The history's bookkeeping under real processes (issue 17, defects 1-6): several `thinlab`
 * processes on one database, kill -9 at store writes, read-only commands on missing, read-only
 * and damaged databases, and sizes out of range. Each test spawns the CLI as a user would.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './cli-in-process.js';
import { runKillSweep } from './store-kill-sweep.js';
import { ROOT, runThinlab } from './thinlab-process.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-processes-'));
});

afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the CLI without waiting, so several run at once. */
function start(args: readonly string[], input: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
      cwd: dir,
      env: { ...process.env, THINLAB_STORE: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

const sh = (args: readonly string[], input: string): Run => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
    cwd: dir,
    input,
    encoding: 'utf8',
    env: { ...process.env, THINLAB_STORE: '' },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('concurrent recorders on one database', () => {
  it('of four processes creating one branch name exactly one wins; the others name its branch', async () => {
    sh(['sh', '--db', 'lab.db', '--branch', 'seed'], 'echo seed\n'); // Migrated, so the race is on the name.
    const runs = await Promise.all(
      [1024, 2048, 4096, 8192].map((kb) =>
        start(['sh', '--db', 'lab.db', '--branch', 'same', '--ramdisk-kb', String(kb)], 'echo hi\n'),
      ),
    );
    const won = runs.filter((r) => r.status === 0);
    const lost = runs.filter((r) => r.status !== 0);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(3);
    for (const r of lost)
      expect(r.stderr).toMatch(
        /branch 'same' already exists \((it exists|another process created it just now): made by thinlab sh from a fresh lab, RAM disks of \d+ KiB, stack debian12\).*\[BRANCH_EXISTS\]/,
      );
    const replay = sh(['replay', '--db', 'lab.db', '--branch', 'same'], '');
    expect(replay.status, replay.stderr).toBe(0);
  }, 240_000);

  it('gives four default recordings four branches: main, run-2, run-3, run-4', async () => {
    sh(['branches', '--db', 'lab.db'], '');
    const runs = await Promise.all([1, 2, 3, 4].map((i) => start(['sh', '--db', 'lab.db'], `echo r${i}\n`)));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const names = runs.map((r) => /recorded 1 events as branch (\S+)/.exec(r.stderr)?.[1]).sort();
    expect(names).toEqual(['main', 'run-2', 'run-3', 'run-4']);
    const listed = sh(['branches', '--db', 'lab.db'], '').stdout;
    for (const n of names) expect(listed).toContain(` ${n} `);
  }, 240_000);

  it('tells a --continue that lost the race that another process moved the branch, and prints only what was recorded', async () => {
    sh(['sh', '--db', 'lab.db'], 'echo start\n');
    const script = (tag: string): string => Array.from({ length: 300 }, (_, i) => `echo ${tag}${i}`).join('\n');
    const runs = await Promise.all([
      start(['sh', '--db', 'lab.db', '--continue'], script('A')),
      start(['sh', '--db', 'lab.db', '--continue'], script('B')),
    ]);
    const log = sh(['log', '--db', 'lab.db', '--full'], '').stdout;
    for (const r of runs) {
      if (r.status !== 0)
        expect(r.stderr).toMatch(/another process moved branch 'main' while this one was recording.*\[BRANCH_MOVED\]/);
      // Every line a recorder printed is in the history: nothing unrecorded was shown.
      for (const line of r.stdout.split('\n').filter((l) => l !== '')) expect(log).toContain(`| ${line}\n`);
    }
  }, 240_000);
});

describe('kill -9 at store writes', () => {
  it('leaves the old or the new state at each write of a recording (a slice of the sweep)', async () => {
    const result = await runKillSweep({ before: 'echo base\n', script: 'echo one\necho two\n', maxWrites: 2 });
    expect(result.problems).toEqual([]);
    expect(result.points.filter((p) => p.killed)).toHaveLength(4);
    // Killed before the first write (the registry's) commits: no branch; just after: the branch, as head, empty.
    expect(result.points[0]!.branches.rec).toBeUndefined();
    expect(result.points[1]).toMatchObject({ head: 'rec', branches: { rec: 0 } });
    expect(result.points[3]).toMatchObject({ head: 'rec', branches: { rec: 1 } });
  }, 600_000);
});

describe('read-only commands', () => {
  it('never create a database: log --db typo.db says there is none', () => {
    const r = runThinlab(['log', '--db', 'typo.db'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no database typo.db: nothing was created.*\[STORE_MISSING\]/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('nor do commands that change an existing lab: checkout, rollback, sh --continue', () => {
    for (const args of [
      ['checkout', 'main'],
      ['rollback', '1'],
      ['sh', '--continue'],
    ]) {
      const r = runThinlab([...args, '--db', 'typo.db'], dir);
      expect(r.status, args[0]).toBe(1);
      expect(r.stderr).toMatch(/no database typo.db: nothing was created.*\[STORE_MISSING\]/);
    }
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it('leave no -wal or -shm next to the database', () => {
    sh(['sh', '--db', 'lab.db'], 'echo hi\n');
    for (const cmd of [['log'], ['branches'], ['at', '1'], ['replay'], ['diff', '0', '1']]) {
      const r = runThinlab([...cmd, '--db', 'lab.db'], dir);
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(dir).sort(), cmd[0]).toEqual(['lab.db']);
    }
  }, 120_000);

  it.runIf(process.getuid?.() === 0)(
    'read a database in a directory and file the user cannot write',
    () => {
      mkdirSync(join(dir, 'ro'), { recursive: true });
      sh(['sh', '--db', 'ro/lab.db'], 'echo hi\n');
      chmodSync(join(dir, 'ro', 'lab.db'), 0o444);
      chmodSync(join(dir, 'ro'), 0o555);
      chmodSync(dir, 0o755);
      const r = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          join(ROOT, 'bin', 'thinlab.js'),
          'log',
          '--db',
          'ro/lab.db',
        ],
        {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1', HOME: '/tmp' },
        },
      );
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/branch main, 1 events, stack debian12 \([^)]*\)\n\s+1 .* echo hi/);
      expect(readdirSync(join(dir, 'ro'))).toEqual(['lab.db']);
    },
    120_000,
  );
});

describe('bad sizes and damaged databases', () => {
  it('refuses --ramdisk-kb out of range before anything is written', () => {
    const r = runThinlab(['sh', '--db', 'lab.db', '--ramdisk-kb', '99999999999999'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--ramdisk-kb needs a number of KiB from 1 to 4294967296/);
    expect(existsSync(join(dir, 'lab.db'))).toBe(false);
  });

  const damage = (sql: string): Run => {
    sh(['sh', '--db', 'lab.db'], 'echo one\necho two\n');
    sh(['rollback', '1', '--db', 'lab.db'], '');
    const db = new Database(join(dir, 'lab.db'));
    db.exec(sql);
    db.close();
    return sh(['log', '--db', 'lab.db'], '');
  };

  it('reports a missing streams row as STORE_CORRUPT, not a UNIQUE constraint', () => {
    const r = damage("DELETE FROM streams WHERE stream_id = 'lab-branch-main'");
    expect(r.stderr).toMatch(/stream 'lab-branch-main' has events but no row in 'streams' \[STORE_CORRUPT\]/);
  }, 120_000);

  it('reports a damaged schema as STORE_CORRUPT, not no such column', () => {
    const r = damage('ALTER TABLE events RENAME COLUMN stream_id TO stream_ie');
    expect(r.stderr).toMatch(/table 'events' has columns \(position, stream_ie, .*\[STORE_CORRUPT\]/);
  }, 120_000);

  it('reports a branch graph with a cycle as STORE_CORRUPT at once (a database from before the registry)', async () => {
    const r =
      damage(`DELETE FROM events WHERE stream_id = 'lab-registry'; DELETE FROM streams WHERE stream_id = 'lab-registry';
      INSERT INTO stream_metadata VALUES ('lab-head', 0, '{"head":"a","branches":["a","b"]}'),
        ('lab-branch-a', 0, '{"kind":"thinlab-branch","parent":"b","forkPosition":0,"ramdiskKb":65536}'),
        ('lab-branch-b', 0, '{"kind":"thinlab-branch","parent":"a","forkPosition":0,"ramdiskKb":65536}')`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the branch parents form a cycle: (a -> b -> a|b -> a -> b) \[STORE_CORRUPT\]/);
    // replay, at and sh --continue ran forever on it too (684 MB after 40 s): in-process, at once.
    writeFileSync(join(dir, 'more.sh'), 'echo more\n');
    for (const args of [['replay'], ['at', '1'], ['sh', '--continue', 'more.sh']]) {
      const c = await cli(
        args.map((a) => (a === 'more.sh' ? join(dir, a) : a)),
        join(dir, 'lab.db'),
      );
      expect({ args, status: c.status }).toEqual({ args, status: 1 });
      expect(c.stderr).toMatch(/the branch parents form a cycle: .*\[STORE_CORRUPT\]/);
    }
  }, 120_000);

  it('reports a stored negative RAM-disk size as STORE_CORRUPT', () => {
    const r = damage(
      `UPDATE events SET data = replace(data, '"ramdiskKb":65536', '"ramdiskKb":-1') WHERE stream_id = 'lab-registry'`,
    );
    expect(r.stderr).toMatch(/has a RAM-disk size of -1 KiB .*\[STORE_CORRUPT\]/);
  }, 120_000);

  it('reports a changed byte inside an event as damage in log and replay, not as a divergence', () => {
    const r = damage(
      `UPDATE events SET data = replace(data, 'echo two', 'echo twp') WHERE stream_id = 'lab-branch-main'`,
    );
    // The head (main-at-1) does not reach the damaged event; main's log shows and names it.
    expect(r.status, r.stderr).toBe(0);
    const log = sh(['log', '--db', 'lab.db', '--branch', 'main'], '');
    expect(log.status).toBe(1);
    expect(log.stdout).toMatch(/echo twp {2}\[DAMAGED: fails its checksum\]/);
    expect(log.stderr).toMatch(/event main@2 is damaged: .*\[STORE_CORRUPT\]/);
    const replay = sh(['replay', '--db', 'lab.db', '--branch', 'main'], '');
    expect(replay.stderr).toMatch(/event main@2 is damaged.*\[STORE_CORRUPT\]/);
    expect(replay.stderr).not.toMatch(/REPLAY_DIVERGED/);
  }, 120_000);
});
