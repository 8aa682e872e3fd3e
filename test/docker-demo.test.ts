/**
 * The Docker demo (`thinlab demo`, `npm start`), step by step: every step's claim is checked
 * against the model (the pool's status, the driver's files, the kernel log), the whole output
 * against its transcript, the pool invariants after every command, the replay of its events, and
 * the rollback to before the pool filled.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_DEMO_RAMDISK_KB, eventsBefore, FILL_STEP_MARK, runDockerDemo } from '../src/cli/docker-demo.js';
import type { Output } from '../src/cli/history-commands.js';
import { topLevelCommands } from '../src/lab/script-pieces.js';
import { whyCommand } from '../src/cli/why-command.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { checkPoolInvariants } from '../src/model/invariants.js';
import { History } from '../src/replay/history.js';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { stateHash } from '../src/replay/lab-snapshot.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';

const ROOT = join(import.meta.dirname, '..');
const SCRIPT = readFileSync(join(ROOT, 'demo', 'docker-devicemapper.sh'), 'latin1');
const EXPECTED = readFileSync(join(ROOT, 'demo', 'docker-devicemapper.expected'), 'latin1');

/** Runs the demo and records, for each numbered step (`# N.` comment), what it printed. */
function runSteps(): { steps: Map<string, string>; shell: LabShell; all: string; invariantProblems: string[] } {
  const shell = new LabShell({ ramdiskKb: DOCKER_DEMO_RAMDISK_KB });
  const steps = new Map<string, string>();
  const problems: string[] = [];
  let current = 'preamble';
  let all = '';
  for (const command of topLevelCommands(shell, SCRIPT)) {
    // A step's comment leads the piece of its first command (comments are not pieces of their own).
    const mark = /^# ([0-9]+)\./m.exec(command);
    if (mark !== null) current = mark[1]!;
    const output = shell.runLine(command);
    steps.set(current, (steps.get(current) ?? '') + output);
    all += output;
    for (const pool of shell.machine.livePools())
      problems.push(...checkPoolInvariants(pool.md).map((p) => `${command.trim().split('\n')[0]!}: ${p}`));
  }
  return { steps, shell, all, invariantProblems: problems };
}

function poolStatus(shell: LabShell): string[] {
  const dev = shell.machine.device('docker-thinpool')!;
  return shell.machine.targetStatus(dev, true).trim().split(/\s+/);
}

describe('the Docker demo', () => {
  const run = runSteps();
  const step = (n: string): string => run.steps.get(n) ?? '';

  it('prints its transcript, and the pool invariants hold after every command', () => {
    expect(run.all).toBe(EXPECTED);
    expect(run.invariantProblems).toEqual([]);
  });

  it('1: sets up the pool with LVM as Docker documents it', () => {
    expect(step('1')).toContain('  Converted docker/thinpool and docker/thinpoolmeta to thin pool.\n');
    expect(step('1')).toMatch(/^ {2}thinpool docker twi-a-t--- 480\.00m +0\.00 /m);
    const names = run.shell.machine.deviceList().map((d) => d.name);
    expect(names).toEqual(
      expect.arrayContaining(['docker-thinpool', 'docker-thinpool_tdata', 'docker-thinpool_tmeta']),
    );
  });

  it('2: starts Docker on the pool: the base device is thin id 1, created in transaction 1', () => {
    expect(step('2')).toContain(
      ' Storage Driver: devicemapper\n  Pool Name: docker-thinpool\n  Pool Blocksize: 524.3kB\n',
    );
    expect(step('2')).toContain('  Base Device Size: 10.74GB\n  Backing Filesystem: xfs\n');
    expect(run.shell.docker.devices['']?.deviceId).toBe(1);
  });

  it('3: pulls three images, one snapshot per layer', () => {
    expect(step('3').match(/Pull complete/g)).toHaveLength(9);
    expect(run.shell.docker.images.map((i) => i.ref)).toEqual(['ubuntu:latest']);
    expect(step('3')).toContain('Images          3       0        272.3MB');
  });

  it('5: the min_free_space gate refuses a new container with the figures of the pool at that moment', () => {
    const m =
      /Thin Pool has ([0-9]+) free data blocks which is less than minimum required ([0-9]+) free data blocks/.exec(
        step('5'),
      );
    expect(m).not.toBeNull();
    // The rollback branch is the state of that moment: its status gives the same figures.
    const before = new LabShell({ ramdiskKb: DOCKER_DEMO_RAMDISK_KB });
    const commands = topLevelCommands(before, SCRIPT);
    let events = 0;
    for (const c of commands) {
      if (c.split('\n').some((line) => line.startsWith(FILL_STEP_MARK))) break;
      before.runLine(c);
      events++;
    }
    const [used, total] = poolStatus(before)[2]!.split('/').map(Number) as [number, number];
    expect(Number(m![1])).toBe(total - used);
    expect(Number(m![2])).toBe(Math.floor(total / 10));
    expect(step('5')).toContain('exit status 125');
    expect(events).toBe(eventsBefore(SCRIPT, FILL_STEP_MARK));
  });

  it('6: a running container fills the pool: docker info, dmsetup status, lvs and the kernel log show it', () => {
    expect(step('6')).toContain('  Data Space Available: 0B\n');
    expect(step('6')).toMatch(/thin-pool [0-9]+ [0-9]+\/[0-9]+ ([0-9]+)\/\1 - out_of_data_space /);
    expect(step('6')).toMatch(/twi-aot-D- 480\.00m +100\.00/);
    expect(step('6')).toContain('switching pool to out-of-data-space (error IO) mode');
    expect(step('6')).toContain("dd: error writing '/var/log/bigger'");
  });

  it('7: vgextend, lvextend and docker system prune get the pool writable and space back', () => {
    expect(step('7')).toContain('  Volume group "docker" successfully extended\n');
    expect(step('7')).toMatch(
      /Size of logical volume docker\/thinpool_tdata changed from 480\.00 MiB \(120 extents\) to 1008\.00 MiB \(252 extents\)/,
    );
    expect(step('7')).toMatch(/Total reclaimed space: [1-9]/);
    const status = poolStatus(run.shell);
    expect(status[4]).toBe('rw');
    const [used, total] = status[2]!.split('/').map(Number) as [number, number];
    expect(used / total).toBeLessThan(0.3);
  });

  it('replays to the same state from its events', () => {
    const first = LabRuntime.fresh({ ramdiskKb: DOCKER_DEMO_RAMDISK_KB });
    const events = topLevelCommands(first.shell, SCRIPT).map((c) => first.runCommand(c));
    const second = LabRuntime.fresh({ ramdiskKb: DOCKER_DEMO_RAMDISK_KB });
    events.forEach((e, i) => second.apply(e, `event ${i}`));
    expect(stateHash(second.lab)).toBe(stateHash(first.lab));
  });
});

describe('the Docker demo in the history', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'thinlab-docker-demo-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rolls back to before the pool filled, on a branch where the pool is still writable', async () => {
    const store = await openSqliteStore(join(dir, 'lab.db'));
    const h = new History(store, 8);
    let out = '';
    const io: Output = { out: (t) => (out += t), err: () => {}, interactive: false };
    const r = await runDockerDemo(h, SCRIPT, io);
    const before = await h.stateAt(`${r.branch}-before-full`, r.before);
    expect(poolStatus(before.shell)[4]).toBe('rw');
    expect(before.shell.docker.containers.map((c) => c.name)).toEqual(['app1', 'app2', 'app3']);
    const end = await h.stateAt(r.branch, await h.length(r.branch));
    expect(end.shell.docker.containers.map((c) => c.name)).toEqual(['app1']);
    expect(out).toContain('branch docker-demo-before-full starts at docker-demo@');
    // thinlab why on the recorded history: app1 at the end, app2 only on the branch before the failure.
    let why = '';
    const whyIo: Output = { out: (t) => (why += t), err: (t) => (why += t), interactive: false };
    expect(await whyCommand(h, { branch: r.branch, name: 'app1' }, whyIo)).toBe(0);
    expect(why).toMatch(
      /^container app1 \([0-9a-f]{12}\), image ubuntu:latest, running\n {2}rw layer: thin device [0-9]+ /m,
    );
    why = '';
    expect(await whyCommand(h, { branch: r.branch, name: 'app2' }, whyIo)).toBe(0);
    expect(why).toMatch(
      /^container app2 \([0-9a-f]{12}\) was removed at [0-9.]+s: deleting thin devices [0-9]+, [0-9]+ gave the pool back [0-9]+ blocks/m,
    );
    why = '';
    expect(
      await whyCommand(h, { branch: `${r.branch}-before-full`, name: 'app2', position: String(r.before) }, whyIo),
    ).toBe(0);
    expect(why).toContain('container app2 (');
    await store.close();
  });
});
