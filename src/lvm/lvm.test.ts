import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { dmName, estimatePoolMetadata, maxPoolDataSectors } from './lvm-state.js';
import { lvmSize, parseLvmSize } from './units.js';

describe('LVM units', () => {
  it('prints sizes as display_size does, with < when the figure is rounded up', () => {
    expect(lvmSize(95 * 2 * 1024 * 1024, 'column')).toBe('95.00g');
    expect(lvmSize(1020 * 2048, 'column')).toBe('1020.00m');
    expect(lvmSize(64 * 2048 - 1, 'column')).toBe('<64.00m');
    expect(lvmSize(1024, 'message')).toBe('512.00 KiB');
    // LVM 2.03.16's own figures (fixtures/lvm/80 and 81).
    expect(lvmSize(maxPoolDataSectors(1024), 'message')).toBe('127.00 TiB');
    expect(lvmSize(maxPoolDataSectors(128), 'message')).toBe('<15.88 TiB');
  });

  it('reads sizes in megabytes unless a unit says otherwise', () => {
    expect(parseLvmSize('100')).toEqual({ sign: '', sectors: 204800 });
    expect(parseLvmSize('+1G')).toEqual({ sign: '+', sectors: 2097152 });
    expect(parseLvmSize('512k')).toEqual({ sign: '', sectors: 1024 });
    expect(parseLvmSize('lots')).toBeNull();
  });

  it("estimates a pool's metadata as lvm2 does: 64 bytes a chunk, at least 2 MiB, whole extents", () => {
    expect(estimatePoolMetadata(100 * 2048, null, 8192)).toEqual({ chunkSectors: 128, metadataSectors: 8192 });
    // 1 TiB with 64 KiB chunks would need 1 GiB of metadata: the chunk doubles until it is 128 MiB.
    expect(estimatePoolMetadata(2 ** 31, null, 8192)).toEqual({ chunkSectors: 1024, metadataSectors: 128 * 2048 });
  });

  it('doubles dashes in dm names', () => {
    expect(dmName('docker', 'thinpool')).toBe('docker-thinpool');
    expect(dmName('vg-1', 'my-pool', 'tpool')).toBe('vg--1-my--pool-tpool');
  });
});

function run(shell: LabShell, lines: string): string {
  return lines
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => shell.runLine(l))
    .join('');
}

describe('LVM commands', () => {
  it("sets up Docker's direct-lvm pool and reports it as lvs does", () => {
    const shell = new LabShell({ ramdiskKb: 1048576 });
    const out = run(
      shell,
      'pvcreate /dev/ram0\nvgcreate docker /dev/ram0\nlvcreate --wipesignatures y -n thinpool docker -l 95%VG\nlvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG\nlvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta 2>&1\nlvs\n',
    );
    expect(out).toContain(
      '  Physical volume "/dev/ram0" successfully created.\n  Volume group "docker" successfully created\n  Logical volume "thinpool" created.\n',
    );
    expect(out).toContain('  Converted docker/thinpool and docker/thinpoolmeta to thin pool.\n');
    expect(out).toContain(
      '  LV       VG     Attr       LSize   Pool Origin Data%  Meta%  Move Log Cpy%Sync Convert\n  thinpool docker twi-a-t--- 968.00m             0.00   ',
    );
    const table = shell.runLine('dmsetup table docker-thinpool');
    // 242 extents of 4 MiB, 512 KiB chunks, low-water mark 0, no zeroing.
    expect(table).toBe(`0 ${242 * 8192} thin-pool 254:0 254:1 1024 0 1 skip_block_zeroing \n`);
  });

  it('grows a pool onto a second disk with a second linear segment, and the pool sees it', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    run(
      shell,
      'pvcreate /dev/ram0 >/dev/null\nvgcreate vg /dev/ram0 >/dev/null\nlvcreate -n data -l 10 vg >/dev/null\nlvcreate -n meta -l 1 vg >/dev/null\nlvconvert -y --thinpool vg/data --poolmetadata vg/meta >/dev/null 2>&1\nvgextend vg /dev/ram1 >/dev/null\n',
    );
    const out = run(
      shell,
      'lvextend -L+32M vg/data\ndmsetup table vg-data_tdata\ndmsetup status vg-data | cut -d" " -f2,6\n',
    );
    expect(out).toBe(
      '  Size of logical volume vg/data_tdata changed from 40.00 MiB (10 extents) to 72.00 MiB (18 extents).\n' +
        '  Logical volume vg/data successfully resized.\n' +
        '0 81920 linear 1:0 2048\n81920 65536 linear 1:1 2048\n' +
        '147456 0/1152\n',
    );
  });

  it('names a loop device by its own major in each line of a several-segment table', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    run(
      shell,
      'truncate -s 48M /tmp/a.img\ntruncate -s 48M /tmp/b.img\nlosetup /dev/loop0 /tmp/a.img\nlosetup /dev/loop1 /tmp/b.img\n' +
        'pvcreate /dev/loop0 /dev/loop1 >/dev/null\nvgcreate vg /dev/loop0 /dev/loop1 >/dev/null\nlvcreate -n lv -L 60M vg >/dev/null\n',
    );
    // Loop devices are major 7 (1 is the RAM disks, 254 device-mapper), in every segment's line;
    // each 48 MiB PV holds 11 extents of 4 MiB after its 1 MiB of metadata.
    expect(run(shell, 'dmsetup table vg-lv\n')).toBe('0 90112 linear 7:0 2048\n90112 32768 linear 7:1 2048\n');
  });

  it('refuses to shrink a thin pool and to extend past the free extents, changing nothing', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    run(
      shell,
      'pvcreate /dev/ram0 >/dev/null\nvgcreate vg /dev/ram0 >/dev/null\nlvcreate --thinpool vg/pool -L 20M -Zn >/dev/null\n',
    );
    // lvextend's own refusal comes first (fixtures/lvm/82); lvresize reaches the pool's.
    expect(shell.runLine('lvextend -L 8M vg/pool')).toBe(
      '  New size given (2 extents) not larger than existing size (5 extents)\n',
    );
    expect(shell.runLine('lvresize -L 8M vg/pool')).toBe(
      '  Thin pool volumes vg/pool_tdata cannot be reduced in size yet.\n',
    );
    expect(shell.runLine('lvextend -L+1G vg/pool')).toBe(
      '  Insufficient free space: 256 extents needed, but only 8 available\n',
    );
    expect(shell.lastStatus).toBe('5');
    expect(shell.runLine('lvs -o lv_name,lv_size vg/pool')).toBe('  LV   LSize \n  pool 20.00m\n');
  });
});

describe('LVM thin volumes', () => {
  const setup =
    'pvcreate /dev/ram1 >/dev/null\nvgcreate vg /dev/ram1 >/dev/null\nlvcreate -L 16M -T vg/pool >/dev/null\nlvcreate -V 8M -T vg/pool -n t1 >/dev/null\n';

  it('keeps a pool under an active thin volume active, changing nothing', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    run(shell, setup);
    const before = shell.runLine('dmsetup ls');
    expect(shell.runLine('lvchange -an vg/pool')).toBe('  Logical volume vg/pool in use.\n');
    expect(shell.lastStatus).toBe('5');
    expect(shell.runLine('dmsetup ls')).toBe(before);
    expect(before).toContain('vg-pool-tpool\t(254:2)');
  });

  it('removes a thin volume from its pool with delete and a new transaction id', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    run(shell, setup);
    expect(shell.runLine('dmsetup status vg-pool-tpool')).toMatch(/^0 32768 thin-pool 1 /);
    expect(shell.runLine('lvremove -y vg/t1')).toBe('  Logical volume "t1" successfully removed.\n');
    expect(shell.runLine('dmsetup status vg-pool-tpool')).toMatch(/^0 32768 thin-pool 2 /);
    expect(shell.runLine('dmsetup message vg-pool-tpool 0 "delete 1"')).toContain('failed');
    // The next thin volume gets id 1 again: LVM takes one above the highest id in use.
    run(shell, 'lvcreate -V 8M -T vg/pool -n t2 >/dev/null\n');
    expect(shell.runLine('dmsetup table vg-t2')).toBe('0 16384 thin 254:2 1\n');
  });

  it('refuses an answer of no and keeps the volume', () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    run(shell, setup);
    expect(shell.runLine('echo n | lvremove vg/t1')).toBe(
      'Do you really want to remove active logical volume vg/t1? [y/n]:   Logical volume vg/t1 not removed.\n',
    );
    expect(shell.runLine('lvs -o lv_name vg/t1')).toBe('  LV\n  t1\n');
  });
});
