/**
 * The lab summary of `thinlab at` and `diff` says what Docker, containerd and LVM themselves print
 * in the lab: `docker ps -a` and `docker inspect` for containers and their thin ids, `ctr snapshots
 * ls` and `containerd-devices` for snapshots and device states, `lvs` for volumes, activation and
 * Data%/Meta%. The expected values are read from those commands' output, never written here.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';
import { diffSummaries, labSummary, summaryEntries } from './lab-summary.js';

const DOCKER = [
  `echo '{"storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/ram0"]}' > /etc/docker/daemon.json`,
  'systemctl start docker',
  'docker run -d --name web alpine >/dev/null 2>&1',
  'docker run -d --name db alpine >/dev/null 2>&1',
  'docker stop db >/dev/null',
];
const CONTAINERD = [
  'pvcreate /dev/ram1 >/dev/null; vgcreate vg1 /dev/ram1 >/dev/null',
  'lvcreate --thinpool vg1/ctpool -L 400M -Zn >/dev/null',
  `printf '[plugins."io.containerd.snapshotter.v1.devmapper"]\\n  pool_name = "vg1-ctpool"\\n  base_image_size = "8192MB"\\n' > /etc/containerd/config.toml`,
  'systemctl start containerd',
  'ctr images pull --snapshotter devmapper docker.io/library/alpine:latest >/dev/null',
  'ctr run --snapshotter devmapper -d docker.io/library/alpine:latest web2 >/dev/null',
];

function lab(): LabShell {
  const shell = new LabShell({ ramdiskKb: 524288 });
  for (const line of [...DOCKER, ...CONTAINERD]) shell.runLine(line);
  return shell;
}

/** The rows of a fixed-width table, cut where the header's columns start. */
function columns(text: string): string[][] {
  const [header, ...lines] = text.trimEnd().split('\n');
  const starts = [...header!.matchAll(/\S+/g)].map((m) => m.index);
  return lines.map((l) => starts.map((start, i) => l.slice(start, starts[i + 1]).trim()));
}

/** The rows of a table a command printed, split on runs of two or more spaces (or tabs). */
function rows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s{2,}|\t/));
}

describe('labSummary', () => {
  it("says what docker ps -a and docker inspect say of each container, with Docker's transaction id", () => {
    const shell = lab();
    const s = labSummary(shell.lab);
    const ps = rows(shell.runLine('docker ps -a'));
    expect(ps.length).toBe(2);
    expect(s.docker?.containers.map((c) => c.name)).toEqual(ps.map((r) => r[r.length - 1]).sort());
    for (const r of ps) {
      const c = s.docker!.containers.find((x) => x.name === r[r.length - 1])!;
      expect(c.id).toBe(r[0]);
      const status = r.find((cell) => /^(Up|Exited)/.test(cell))!;
      expect(c.state === 'running' ? 'Up Less than a second' : `Exited (${c.exitCode})`).toBe(status);
      const inspect = shell.runLine(`docker inspect ${c.name}`);
      expect(`"DeviceId": "${c.thinId}"`).toBe(/"DeviceId": "[0-9]+"/.exec(inspect)![0]);
    }
    expect(new Set(s.docker!.containers.map((c) => c.state))).toEqual(new Set(['running', 'exited']));
    // Docker's transaction id is the pool's: each device it created or deleted moved both.
    const status = shell.runLine(`dmsetup status ${s.docker!.pool}`).split(' ');
    expect(status[2]).toBe('thin-pool');
    expect(String(s.docker!.transactionId)).toBe(status[3]);
    expect(s.docker!.images.map((i) => i.ref)).toEqual(['alpine:latest']);
  });

  it('says what ctr snapshots ls and containerd-devices say of each snapshot and its device', () => {
    const shell = lab();
    const s = labSummary(shell.lab).containerd!;
    const ls = columns(shell.runLine('ctr snapshots --snapshotter devmapper ls'));
    expect(ls.length).toBe(2);
    expect(s.snapshots.map((x) => [x.key, x.parent, x.kind])).toEqual(ls);
    const devices = rows(shell.runLine('containerd-devices'));
    expect(s.snapshots.map((x) => [x.device, String(x.thinId), x.deviceState])).toEqual(
      devices.map((r) => r.slice(0, 3)),
    );
    expect(s.orphanDevices).toEqual([]);
  });

  it('says what lvs says of every volume: Attr, LSize, Data% and Meta%, and activation', () => {
    const shell = lab();
    const s = labSummary(shell.lab).lvm;
    const lvs = shell
      .runLine('lvs --noheadings -o vg_name,lv_name,lv_attr,lv_size,data_percent,metadata_percent')
      .trimEnd()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(lvs.length).toBe(2);
    expect(s.map((lv) => [lv.vg, lv.name, lv.attr, lv.size, lv.dataPercent, lv.metaPercent])).toEqual(lvs);
    expect(s.every((lv) => lv.active)).toBe(true);
    // Activation: a thin volume and its pool taken down show no usage, as lvs shows none.
    const lvm = new LabShell({ ramdiskKb: 65536 });
    lvm.runLine('pvcreate /dev/ram1 >/dev/null; vgcreate vg2 /dev/ram1 >/dev/null');
    lvm.runLine('lvcreate --thinpool vg2/pool -L 32M >/dev/null; lvcreate -V 16M -T vg2/pool -n thin >/dev/null');
    const active = labSummary(lvm.lab).lvm;
    expect(active.map((lv) => [lv.name, lv.pool, lv.active])).toEqual([
      ['pool', '', true],
      ['thin', 'pool', true],
    ]);
    lvm.runLine('vgchange -an vg2 >/dev/null');
    const inactive = labSummary(lvm.lab).lvm;
    const listed = lvm.runLine('lvs --noheadings -o lv_name,lv_attr').trimEnd().split('\n');
    expect(inactive.map((lv) => `${lv.name} ${lv.attr}`)).toEqual(listed.map((l) => l.trim().replace(/\s+/, ' ')));
    expect(inactive.map((lv) => [lv.active, lv.dataPercent, lv.metaPercent])).toEqual([
      [false, '', ''],
      [false, '', ''],
    ]);
  });

  it('diffs two summaries thing by thing: what changed, appeared and went away', () => {
    const shell = lab();
    const before = labSummary(shell.lab);
    shell.runLine('docker rm -f web >/dev/null; docker start db >/dev/null');
    const after = labSummary(shell.lab);
    const changes = diffSummaries(before, after);
    const byKey = new Map(changes.map((c) => [c.key, c]));
    expect(byKey.get('docker container web')).toMatchObject({ right: null });
    expect(byKey.get('docker container web')!.left).toMatch(/running/);
    expect(byKey.get('docker container db')!.left).toMatch(/exited/);
    expect(byKey.get('docker container db')!.right).toMatch(/running/);
    expect(byKey.get('docker')!.right).toBe(summaryEntries(after).find((e) => e.key === 'docker')!.value);
    expect(changes.some((c) => c.key.startsWith('containerd'))).toBe(false);
    expect(diffSummaries(after, after)).toEqual([]);
  });
});
