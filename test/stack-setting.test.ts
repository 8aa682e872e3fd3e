/**
 * The stack as a lab setting (issue 14 item 1): chosen with --stack or THINLAB_STACK, refused by
 * name when it is no stack, recorded with the branch, inherited by the branches made from it,
 * used by every rebuild of the lab, shown by log, at and branches, and never mixed in one branch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBranchInfo } from '../src/replay/branch-registry.js';
import { History } from '../src/replay/history.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';
import { cli } from './cli-in-process.js';

// On Linux 6.1 brd cannot discard, so the pool turns passdown off and says so; 6.12's brd can.
const SCRIPT = [
  'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
  'dmsetup status pool',
  'dmesg | grep -c discard',
  'echo done',
  '',
].join('\n');
const ON_61 = 'rw no_discard_passdown queue_if_no_space';
const ON_612 = 'rw discard_passdown queue_if_no_space';

let dir: string;
let db: string;
let script: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-stack-'));
  db = join(dir, 'lab.db');
  script = join(dir, 'pool.sh');
  writeFileSync(script, SCRIPT);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function branchInfo(name: string) {
  const store = await openSqliteStore(db);
  try {
    return await new History(store).branch(name);
  } finally {
    await store.close();
  }
}

describe('choosing the stack', () => {
  it('runs the lab on the stack asked for, by option or by THINLAB_STACK', async () => {
    const on12 = await cli(['sh', '--no-record', script], db);
    expect(on12.stdout).toContain(ON_61);
    expect(on12.stdout).toMatch(/^1$/m);
    const on13 = await cli(['sh', '--no-record', '--stack', 'debian13', script], db);
    expect(on13.stdout).toContain(ON_612);
    expect(on13.stdout).toMatch(/^0$/m);
    const byEnv = await cli(['sh', '--no-record', script], db, 'debian13');
    expect(byEnv.stdout).toBe(on13.stdout);
    // The option wins over the environment.
    const both = await cli(['sh', '--no-record', '--stack', 'debian12', script], db, 'debian13');
    expect(both.stdout).toBe(on12.stdout);
  });

  it('refuses a name that is no stack, listing the stacks, and records nothing', async () => {
    for (const [args, env, from] of [
      [['sh', '--stack', 'debian11', script], undefined, "--stack 'debian11'"],
      [['sh', script], 'ubuntu', "THINLAB_STACK 'ubuntu'"],
      [['run', '--stack', 'Debian13', 'scenarios/tour.sh'], undefined, "--stack 'Debian13'"],
      [['demo', 'tour', '--stack', ''], undefined, "--stack ''"],
    ] as const) {
      const r = await cli(args, db, env);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`thinlab: ${from} is not a stack the lab reproduces: use debian12 (Linux 6.1`);
      expect(r.stderr).toContain('or debian13 (Linux 6.12, thin-provisioning-tools 1.1.0, LVM 2.03.31)');
    }
    const branches = await cli(['branches'], db);
    expect(branches.stdout + branches.stderr).toMatch(/^thinlab: no database |^no branches yet/);
  });

  it('prop takes --stack and THINLAB_STACK, and refuses a bad one', async () => {
    const bad = await cli(['prop', '--stack', 'sid'], db);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--stack 'sid' is not a stack the lab reproduces (stacks: debian12, debian13)");
    const r = await cli(['prop', '--runs', '2', '--seed', '5', '--replay-every', '1'], db, 'debian13');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('thinlab prop: seed 5 on debian13, up to 2 sequences');
  });
});

describe('the stack in the history', () => {
  it('is recorded with the branch, shown by log, at and branches, and inherited by rollback', async () => {
    expect((await cli(['sh', '--stack', 'debian13', '--branch', 'new', script], db)).status).toBe(0);
    expect((await cli(['sh', '--branch', 'old', script], db)).status).toBe(0);
    expect((await branchInfo('new')).stack).toBe('debian13');
    expect((await branchInfo('old')).stack).toBe('debian12');

    const log = await cli(['log', '--branch', 'new'], db);
    expect(log.stdout).toMatch(
      /^branch new, 4 events, stack debian13 \(Linux 6\.12, thin-provisioning-tools 1\.1\.0, LVM 2\.03\.31\)\n/,
    );
    expect(JSON.parse((await cli(['log', '--branch', 'old', '--json'], db)).stdout).stack).toBe('debian12');
    const at = await cli(['at', '2', '--branch', 'new'], db);
    expect(at.stdout).toMatch(/^new@2 .* stack debian13 \(Linux 6\.12/);
    expect(at.stdout).toContain(ON_612);
    const atJson = JSON.parse((await cli(['at', '2', '--branch', 'new', '--json'], db)).stdout);
    expect(atJson.stack).toBe('debian13');
    expect(atJson.versions.kernel).toBe('6.12');
    const branches = JSON.parse((await cli(['branches', '--json'], db)).stdout);
    expect(branches.branches.map((b: { name: string; stack: string }) => [b.name, b.stack])).toEqual([
      ['new', 'debian13'],
      ['old', 'debian12'],
    ]);
    expect((await cli(['branches'], db)).stdout).toMatch(/ new +4 events {2}debian13\n/);

    expect((await cli(['rollback', '1', '--branch', 'new', '--name', 'back'], db)).status).toBe(0);
    expect((await branchInfo('back')).stack).toBe('debian13');
    // The child replays on its parent's stack: the status it prints again is 6.12's.
    const status = join(dir, 'status.sh');
    writeFileSync(status, 'dmsetup status pool\n');
    const cont = await cli(['sh', '--continue', '--branch', 'back', status], db);
    expect(cont.status).toBe(0);
    expect(cont.stdout).toContain(ON_612);
    expect((await cli(['replay', '--branch', 'new'], db)).status).toBe(0);
  });

  it('refuses to continue a branch on another stack, and adds nothing to it', async () => {
    expect((await cli(['sh', '--stack', 'debian13', '--branch', 'b', script], db)).status).toBe(0);
    for (const [args, env] of [
      [['sh', '--continue', '--branch', 'b', '--stack', 'debian12', script], undefined],
      [['sh', '--continue', '--branch', 'b', script], 'debian12'],
    ] as const) {
      const r = await cli(args, db, env);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        'thinlab: branch b was recorded on debian13, not debian12: a branch keeps one stack for its whole history; continue it without --stack debian12 (and THINLAB_STACK), or start a new branch on debian12\n',
      );
    }
    expect((await cli(['log', '--branch', 'b'], db)).stdout).toMatch(/^branch b, 4 events/);
    const same = await cli(['sh', '--continue', '--branch', 'b', '--stack', 'debian13', script], db);
    expect(same.status).toBe(0);
    expect(same.stdout).toContain(ON_612);
  });

  it('whatif inherits the stack, and --stack runs the whole branch again on another', async () => {
    expect((await cli(['sh', '--branch', 'base', script], db)).status).toBe(0);
    const plain = await cli(['whatif', '--branch', 'base', '--at', '1', '--inject', 'true'], db);
    expect(plain.status).toBe(0);
    expect((await branchInfo('base-whatif-1')).stack).toBe('debian12');

    const cross = await cli(['whatif', '--branch', 'base', '--stack', 'debian13', '--json'], db);
    expect(cross.status).toBe(0);
    const r = JSON.parse(cross.stdout);
    expect([r.name, r.originalStack, r.stack, r.injected, r.whatIfLength]).toEqual([
      'base-on-debian13',
      'debian12',
      'debian13',
      0,
      4,
    ]);
    // The status line and the log line count are what differ between 6.1 and 6.12.
    expect(r.differences.map((d: { originalPosition: number }) => d.originalPosition)).toEqual([2, 3]);
    expect(r.firstDifference.original).toContain(ON_61);
    expect(r.firstDifference.whatIf).toContain(ON_612);
    const info = await branchInfo('base-on-debian13');
    expect([info.stack, info.parent, info.origin]).toEqual(['debian13', null, 'whatif']);
    expect((await cli(['at', '3', '--branch', 'base-on-debian13'], db)).stdout).toContain(ON_612);

    const text = await cli(['whatif', '--branch', 'base', '--stack', 'debian13', '--at', '1', '--inject', 'true'], db);
    expect(text.stdout).toContain('what if: base (debian12) on debian13, with `true` after position 1\n');
    expect(text.stdout).toContain(
      'recorded as branch base-on-debian13-2 on debian13: every event of base run again on a fresh debian13 lab (base-on-debian13-2@1..5, the injected command at 2)\n',
    );
    const beyond = await cli(['whatif', '--branch', 'base', '--stack', 'debian13', '--at', '9'], db);
    expect(beyond.status).toBe(1);
    expect(beyond.stderr).toBe("thinlab: position 9 is outside branch 'base' (0..4) [BAD_POSITION]\n");
    const noInject = await cli(['whatif', '--branch', 'base', '--at', '1'], db);
    expect(noInject.status).toBe(2);
    expect(noInject.stderr).toContain('whatif needs --inject LINE');
  });
});

describe('run and demo record the stack too', () => {
  it('records a scenario run and the tour on the stack asked for', async () => {
    await cli(['run', '--stack', 'debian13', '--branch', 'scenario', 'scenarios/pool-full-queue-extend.yaml'], db);
    expect((await branchInfo('scenario')).stack).toBe('debian13');
    expect((await cli(['demo', 'tour'], db, 'debian13')).status).toBe(0);
    expect((await branchInfo('tour')).stack).toBe('debian13');
    expect((await cli(['at', '3', '--branch', 'tour'], db)).stdout).toContain(' discard_passdown ');
  });
});

describe('branch records written before stacks', () => {
  const record = {
    name: 'main',
    stream: 'lab-branch-main',
    parent: null,
    forkPosition: 0,
    ramdiskKb: 65536,
    origin: 'sh',
  };

  it('read as debian12, the only stack there was', () => {
    expect(readBranchInfo(record, 'registry event 0').stack).toBe('debian12');
    expect(readBranchInfo({ ...record, stack: 'debian13' }, 'registry event 0').stack).toBe('debian13');
  });

  it('an unknown stack is a damaged registry, named', () => {
    expect(() => readBranchInfo({ ...record, stack: 'debian14' }, 'registry event 3')).toThrow(
      `the branch registry is damaged: registry event 3 (branch 'main') has an unknown stack "debian14" (stacks: debian12, debian13)`,
    );
  });
});
