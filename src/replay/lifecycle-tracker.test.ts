/**
 * The tracker reports a lifecycle change the model made that the machines forbid. The lab is
 * driven normally, then the model's state is changed by hand the way a bug would change it, and
 * the next check must name the device and the refused change.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { LifecycleTracker, LifecycleViolation, summarize } from './lifecycle-tracker.js';

const SECTION = '[plugins."io.containerd.snapshotter.v1.devmapper"]';

function tracked(shell: LabShell): LifecycleTracker {
  const tracker = new LifecycleTracker();
  tracker.reset(summarize(shell.machine, shell.containerd));
  return tracker;
}

/** Runs a line and checks what it did, as replay does after every command. */
function run(shell: LabShell, tracker: LifecycleTracker, line: string): void {
  shell.runLine(line);
  tracker.advance(summarize(shell.machine, shell.containerd), line);
}

function poolWithActiveThin(): { shell: LabShell; tracker: LifecycleTracker } {
  const shell = new LabShell({ ramdiskKb: 1024 });
  const tracker = tracked(shell);
  run(shell, tracker, 'dmsetup create pool --table "0 256 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes');
  run(shell, tracker, 'dmsetup message pool 0 "create_thin 0"');
  run(shell, tracker, 'dmsetup create thin --table "0 256 thin /dev/mapper/pool 0" && dmsetup mknodes');
  return { shell, tracker };
}

describe('the lifecycle tracker', () => {
  it('accepts what the lab does: a thin opened, closed and deleted', () => {
    const { shell, tracker } = poolWithActiveThin();
    expect(tracker.states().thins).toEqual({ 'pool/0': 'active' });
    run(shell, tracker, 'dmsetup remove thin');
    run(shell, tracker, 'dmsetup message pool 0 "delete 0"');
    expect(tracker.states()).toEqual({ pools: { pool: 'write' }, thins: {} });
  });

  it('reports a model that deletes a thin device still held open by a target', () => {
    const { shell, tracker } = poolWithActiveThin();
    const pool = shell.machine.livePools()[0]!;
    // The bug: the device leaves the metadata while its `thin` target still holds it open.
    pool.md.devices.delete(0);
    expect(() => tracker.advance(summarize(shell.machine, shell.containerd), 'a bad delete')).toThrow(
      LifecycleViolation,
    );
  });

  it('reports a pool that leaves fail mode', () => {
    const { shell, tracker } = poolWithActiveThin();
    const pool = shell.machine.livePools()[0]!;
    pool.mode = 'fail';
    tracker.advance(summarize(shell.machine, shell.containerd), 'fail');
    pool.mode = 'write';
    expect(() => tracker.advance(summarize(shell.machine, shell.containerd), 'back to write')).toThrow(
      /pool pool: MODE write is not allowed from "fail"/,
    );
  });

  it("checks containerd's device states: an Activated device going back to Creating is reported", () => {
    const shell = new LabShell({ ramdiskKb: 262144 });
    const tracker = tracked(shell);
    for (const line of [
      'pvcreate /dev/ram0 >/dev/null; vgcreate vg0 /dev/ram0 >/dev/null',
      'lvcreate --thinpool vg0/pool -L 200M -Zn >/dev/null',
      `printf '${SECTION}\\n  pool_name = "vg0-pool"\\n  base_image_size = "1GB"\\n' > /etc/containerd/config.toml`,
      'systemctl start containerd',
      'ctr images pull --snapshotter devmapper docker.io/library/nginx:latest',
      'ctr run --snapshotter devmapper -d docker.io/library/nginx:latest web',
    ])
      run(shell, tracker, line);
    const active = Object.values(shell.containerd.devices).find((r) => r.state === 'Activated');
    expect(active).toBeDefined();
    active!.state = 'Creating';
    expect(() => tracker.advance(summarize(shell.machine, shell.containerd), 'a bad state')).toThrow(
      /Activated -> Creating is not allowed/,
    );
  });
});
