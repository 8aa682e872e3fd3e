import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { LOOP_DATA_FILE, LOOP_METADATA_FILE } from './daemon.js';

const POOL = 'docker-8:1-1048577-pool';

function daemonJson(opts: readonly string[]): string {
  return `echo '${JSON.stringify({ 'storage-driver': 'devicemapper', 'storage-opts': opts })}' > /etc/docker/daemon.json`;
}

function started(opts: readonly string[] = []): LabShell {
  const shell = new LabShell({ ramdiskKb: 65536 });
  shell.runLine(daemonJson(opts));
  expect(shell.runLine('systemctl start docker; echo $?')).toBe('0\n');
  return shell;
}

/** Sectors of a lab file that hold anything but zeros: what a sparse file really occupies here. */
function writtenSectors(shell: LabShell, path: string): number {
  const f = shell.fs.get(path)!;
  const tokens = f.readTokens(0, f.sizeBytes / 512)!;
  return tokens.reduce((n, t) => n + (t === 0 ? 0 : 1), 0);
}

describe('loop-lvm', () => {
  it('builds the pool on two sparse files attached to loop devices, with the default sizes', () => {
    const shell = started();
    expect(shell.fs.get(LOOP_DATA_FILE)!.sizeBytes).toBe(100 * 1024 ** 3);
    expect(shell.fs.get(LOOP_METADATA_FILE)!.sizeBytes).toBe(2 * 1024 ** 3);
    expect(shell.runLine('losetup -a')).toBe(`/dev/loop0: 0 ${LOOP_DATA_FILE}\n/dev/loop1: 0 ${LOOP_METADATA_FILE}\n`);
    expect(shell.runLine(`dmsetup table ${POOL}`)).toBe(
      '0 209715200 thin-pool 7:1 7:0 128 32768 1 skip_block_zeroing \n',
    );
    const info = shell.runLine('docker info 2>/dev/null');
    expect(info).toContain(
      `  Udev Sync Supported: true\n  Data file: /dev/loop0\n  Metadata file: /dev/loop1\n  Data loop file: ${LOOP_DATA_FILE}\n  Metadata loop file: ${LOOP_METADATA_FILE}\n  Data Space Used: `,
    );
    expect(info).toContain('  Data Space Total: 107.4GB\n');
    expect(info).toContain('  Metadata Space Total: 2.147GB\n');
    expect(
      shell.docker.log.filter((l) => l.includes('Usage of loopback devices is strongly discouraged')),
    ).toHaveLength(1);
  });

  it('detaches the loop devices when the daemon removes its pool at stop, and attaches them again at start', () => {
    const shell = started(['dm.loopdatasize=1G', 'dm.loopmetadatasize=64M']);
    shell.runLine('docker pull alpine >/dev/null');
    shell.runLine('systemctl stop docker');
    expect(shell.runLine('losetup -a; dmsetup ls')).toBe('No devices found\n');
    shell.runLine('systemctl start docker');
    expect(shell.runLine('losetup -a | wc -l')).toBe('2\n');
    expect(shell.runLine('docker images | tail -n +2 | cut -d" " -f1')).toBe('alpine\n');
  });

  it('grows a smaller file at start and never shrinks one', () => {
    const shell = started(['dm.loopdatasize=1G']);
    shell.runLine('systemctl stop docker');
    shell.runLine(daemonJson(['dm.loopdatasize=512M']));
    shell.runLine('systemctl start docker');
    expect(shell.fs.get(LOOP_DATA_FILE)!.sizeBytes).toBe(1024 ** 3);
    expect(shell.runLine('docker info 2>/dev/null | grep "Data Space Total"')).toBe('  Data Space Total: 1.074GB\n');
    expect(shell.docker.log.some((l) => l.includes(`devmapper: Can't shrink loopback file ${LOOP_DATA_FILE}`))).toBe(
      true,
    );
  });

  it("refuses a badly sized dm.loopdatasize with RAMInBytes's error and makes nothing", () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    shell.runLine(daemonJson(['dm.loopdatasize=10X']));
    expect(shell.runLine('dockerd; echo $?')).toBe(
      "failed to start daemon: error initializing graphdriver: invalid size: '10X'\n1\n",
    );
    expect(shell.fs.get(LOOP_DATA_FILE)).toBeUndefined();
    expect(shell.runLine('losetup -a; dmsetup ls')).toBe('No devices found\n');
  });

  it('punches holes in the data file when a container is removed (dm.blkdiscard, discard passdown), and not without blkdiscard', () => {
    for (const [opts, returned] of [
      [[], true],
      [['dm.blkdiscard=false'], false],
    ] as const) {
      const shell = started(['dm.loopdatasize=256M', 'dm.loopmetadatasize=16M', ...opts]);
      shell.runLine('docker run -d --name w alpine >/dev/null 2>&1');
      const before = writtenSectors(shell, LOOP_DATA_FILE);
      shell.runLine('docker exec w dd if=/dev/zero of=/blob bs=1M count=32 2>/dev/null');
      const written = writtenSectors(shell, LOOP_DATA_FILE);
      expect(written - before).toBeGreaterThanOrEqual(32 * 2048);
      shell.runLine('docker rm -f w');
      const after = writtenSectors(shell, LOOP_DATA_FILE);
      if (returned) expect(after).toBeLessThanOrEqual(before);
      else expect(after).toBe(written);
    }
  });

  it('comes back after a power loss: the files are kept, the loop devices and the pool are made again', () => {
    const shell = started(['dm.loopdatasize=1G', 'dm.loopmetadatasize=64M']);
    shell.runLine('docker pull busybox >/dev/null');
    shell.runLine('crash');
    expect(shell.runLine('losetup -a; dmsetup ls')).toBe('No devices found\n');
    expect(shell.runLine('systemctl start docker; echo $?')).toBe('0\n');
    expect(shell.runLine('docker images | tail -n +2 | cut -d" " -f1')).toBe('busybox\n');
    expect(shell.runLine(`dmsetup status ${POOL} | cut -d" " -f4`)).toBe(`${shell.docker.transactionId}\n`);
  });
});

describe("loop-lvm's Data Space Available", () => {
  it('is bounded by the free space of the filesystem under the loop files, which writes into the data file use up', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    expect(shell.runLine('docker-fault host-disk 2G; echo $?')).toBe('0\n');
    shell.runLine(daemonJson(['dm.loopdatasize=4G', 'dm.loopmetadatasize=64M']));
    shell.runLine('systemctl start docker');
    const available = (): number => {
      const line = shell.runLine('docker info 2>/dev/null | grep "Data Space Available"');
      const m = /([0-9.]+)(MB|GB)/.exec(line)!;
      return Number(m[1]) * (m[2] === 'GB' ? 1000 : 1);
    };
    const first = available();
    // 2 GiB minus the base filesystem's blocks and the used metadata: not the 4G file's 4.29 GB.
    expect(first).toBeGreaterThan(2100);
    expect(first).toBeLessThan(2147.5);
    shell.runLine('docker run -d --name w alpine >/dev/null 2>&1');
    shell.runLine('docker exec w dd if=/dev/zero of=/blob bs=1M count=100 2>/dev/null');
    expect(first - available()).toBeGreaterThanOrEqual(104);
  });

  it('refuses a bad host-disk size and keeps the one it had', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    shell.runLine('docker-fault host-disk 2G');
    expect(shell.runLine('docker-fault host-disk 2Q; echo $?')).toBe(
      "thinlab: docker-fault host-disk: invalid size: '2Q'\n1\n",
    );
    expect(shell.docker.hostDiskBytes).toBe(2 * 1024 ** 3);
  });
});

describe('a loop-lvm start that fails after the pool was built', () => {
  it('removes the pool again, so the loop devices detach; the files stay', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    shell.runLine(daemonJson(['dm.loopdatasize=10M', 'dm.loopmetadatasize=1M']));
    expect(shell.runLine('dockerd; echo $?')).toBe(
      'failed to start daemon: error initializing graphdriver: devmapper: Error creating filesystem: No space left on device\n1\n',
    );
    expect(shell.runLine('losetup -a; dmsetup ls')).toBe('No devices found\n');
    expect(shell.fs.get(LOOP_DATA_FILE)!.sizeBytes).toBe(10 * 1024 ** 2);
  });
});
