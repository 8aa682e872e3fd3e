import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { readDevmapperConfig } from './containerd-commands.js';

const SECTION = '[plugins."io.containerd.snapshotter.v1.devmapper"]';

describe("the devmapper snapshotter's configuration", () => {
  it('reads the section and its defaults', () => {
    const c = readDevmapperConfig(
      `version = 2\n${SECTION}\n  pool_name = "vg0-pool"\n  base_image_size = "8192MB"\n  async_remove = true\n`,
    );
    expect(c).toEqual({
      rootPath: '/var/lib/containerd/io.containerd.snapshotter.v1.devmapper',
      poolName: 'vg0-pool',
      baseImageSizeBytes: 8192 * 1024 * 1024,
      asyncRemove: true,
      discardBlocks: false,
      fsType: 'ext4',
    });
  });

  it.each([
    ['', 'devmapper not configured'],
    [`${SECTION}\n  pool_name = "p"\n`, 'base_image_size is required'],
    [
      `${SECTION}\n  pool_name = "p"\n  base_image_size = "lots"\n`,
      "failed to parse base image size: 'lots': invalid size: 'lots'",
    ],
    [
      `${SECTION}\n  pool_name = "p"\n  base_image_size = "1G"\n  fs_type = "btrfs"\n`,
      'unsupported Filesystem Type: "btrfs"',
    ],
    [`[plugins."other"]\n  pool_name = "p"\n`, 'devmapper not configured'],
  ])("%j fails with containerd's text", (text, message) => {
    expect(readDevmapperConfig(text)).toBe(message);
  });
});

describe('ctr on the devmapper snapshotter', () => {
  function lab(): LabShell {
    const shell = new LabShell({ ramdiskKb: 262144 });
    for (const line of [
      'pvcreate /dev/ram0 >/dev/null; vgcreate vg0 /dev/ram0 >/dev/null',
      'lvcreate --thinpool vg0/pool -L 200M -Zn >/dev/null',
      `printf '${SECTION}\\n  pool_name = "vg0-pool"\\n  base_image_size = "1GB"\\n' > /etc/containerd/config.toml`,
      'systemctl start containerd',
    ])
      shell.runLine(line);
    return shell;
  }

  it('pulls layers as committed (inactive) devices and runs a container on an active snapshot, never moving the transaction id', () => {
    const shell = lab();
    expect(shell.runLine('ctr images pull --snapshotter devmapper docker.io/library/nginx:latest | tail -n 1')).toBe(
      'done\n',
    );
    shell.runLine('ctr run --snapshotter devmapper -d docker.io/library/nginx:latest web');
    const devices = shell.machine
      .deviceList()
      .map((d) => d.name)
      .filter((n) => n.includes('-snap-'));
    expect(devices).toEqual(['vg0-pool-snap-8']);
    expect(shell.runLine('dmsetup status vg0-pool').split(' ')[3]).toBe('0');
    expect(Object.keys(shell.containerd.devices)).toHaveLength(8);
  });

  it("answers a missing container, image or daemon with ctr's text and changes nothing", () => {
    const shell = lab();
    const before = JSON.stringify(shell.containerd.devices);
    expect(shell.runLine('ctr run --snapshotter devmapper -d docker.io/library/alpine:latest x')).toBe(
      'ctr: image "docker.io/library/alpine:latest": not found\n',
    );
    expect(shell.runLine('ctr containers rm nope')).toContain(
      'ctr: container "nope" in namespace "default": not found\n',
    );
    expect(shell.runLine('ctr images pull --snapshotter devmapper docker.io/library/nosuch:latest')).toBe(
      'ctr: failed to resolve reference "docker.io/library/nosuch:latest": docker.io/library/nosuch:latest: not found\n',
    );
    shell.runLine('systemctl stop containerd');
    expect(shell.runLine('ctr snapshots --snapshotter devmapper ls')).toMatch(
      /^ctr: failed to dial "\/run\/containerd\/containerd.sock"/,
    );
    expect(JSON.stringify(shell.containerd.devices)).toBe(before);
  });

  it('nerdctl pulls, runs and removes over the same snapshotter; an unknown container is its own error', () => {
    const shell = lab();
    const id = shell.runLine('nerdctl --snapshotter devmapper run -d --name web docker.io/library/alpine:latest');
    expect(id).toMatch(/^[0-9a-f]{64}\n$/);
    expect(shell.containerd.containers.web).toBeDefined();
    expect(shell.runLine('nerdctl rm nope; echo rc=$?')).toBe('FATA[0000] 1 errors:\nno such container: nope\nrc=1\n');
    shell.runLine('nerdctl rm -f web');
    expect(shell.containerd.containers.web).toBeUndefined();
  });
});

describe('discard_blocks', () => {
  it('is read from the devmapper section', () => {
    const c = readDevmapperConfig(`${SECTION}\n  pool_name = "p"\n  base_image_size = "1G"\n  discard_blocks = true\n`);
    expect(typeof c === 'string' ? c : c.discardBlocks).toBe(true);
  });
});

describe('containerd-fault fail suspend', () => {
  it('refuses a count that is not 1 to 999 and keeps the one it had', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    shell.runLine('containerd-fault fail suspend 2');
    for (const bad of ['x', '0', '1000', '-1']) {
      expect(shell.runLine(`containerd-fault fail suspend ${bad}; echo $?`)).toBe(
        `thinlab: containerd-fault fail suspend: the count must be 1 to 999, not "${bad}"\n2\n`,
      );
    }
    expect(shell.containerd.failSuspends).toBe(2);
  });
});

describe('ctr and nerdctl options the lab does not model', () => {
  it('are refused by name, and nothing changes', () => {
    const shell = new LabShell({ ramdiskKb: 524288 });
    shell.runLine('pvcreate /dev/ram0; vgcreate vg0 /dev/ram0; lvcreate --thinpool vg0/mythinpool -L 400M -Zn');
    shell.runLine(
      `printf '[plugins."io.containerd.snapshotter.v1.devmapper"]\\n  pool_name = "vg0-mythinpool"\\n  base_image_size = "8192MB"\\n' > /etc/containerd/config.toml`,
    );
    shell.runLine('systemctl start containerd');
    const before = JSON.stringify(shell.containerd);
    for (const [line, what] of [
      ['ctr images pull docker.io/library/alpine:latest', 'without --snapshotter devmapper'],
      ['ctr --snapshotter overlayfs images pull docker.io/library/alpine:latest', '--snapshotter overlayfs'],
      ['ctr -n k8s.io images pull --snapshotter devmapper docker.io/library/alpine:latest', 'namespace k8s.io'],
      ['ctr images pull --snapshotter devmapper --platform linux/arm64 docker.io/library/alpine:latest', '--platform'],
      ['ctr run --snapshotter devmapper --rm -d docker.io/library/alpine:latest x', '--rm'],
      ['ctr snapshots ls', 'without --snapshotter devmapper'],
      ['nerdctl run -d alpine', 'without --snapshotter devmapper'],
      ['nerdctl --snapshotter devmapper run -d -p 80:80 alpine', '-p'],
    ] as const) {
      expect(shell.runLine(`${line}; echo rc=$?`), line).toMatch(
        new RegExp(`^thinlab: not modelled: .*${what.replace(/[.-]/g, '\\$&')}.*\\nrc=2\\n$`),
      );
    }
    expect(JSON.stringify(shell.containerd)).toBe(before);
  });
});
