import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab-shell.js';
import { lsblkSize } from './lsblk.js';

describe('lsblk', () => {
  it("prints sizes as util-linux's size_to_human_string does", () => {
    // A 256 GB disk is 238.5G and a 63.9M snap loop file, as lsblk prints them on real hosts.
    expect(lsblkSize(256_060_514_304)).toBe('238.5G');
    expect(lsblkSize(66_994_176)).toBe('63.9M');
    expect(lsblkSize(64 * 2 ** 20)).toBe('64M');
    expect(lsblkSize(0)).toBe('0B');
    expect(lsblkSize(1023)).toBe('1023B');
    // The rounding carries into the whole part without moving to the next unit, as in the C code.
    expect(lsblkSize(2 ** 30 - 1)).toBe('1024M');
  });

  it('draws the dm tree under each device a table holds; RAM disks only with -a', () => {
    const sh = new LabShell();
    sh.runLine('dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes');
    sh.runLine(
      'dmsetup message pool 0 "create_thin 1"; dmsetup create thin1 --table "0 204800 thin /dev/mapper/pool 1" && dmsetup mknodes',
    );
    // The default filter leaves out RAM disks (major 1) and what sits only on them, and unattached loops.
    expect(sh.runLine('lsblk; echo rc=$?')).toBe('rc=0\n');
    expect(sh.runLine('lsblk -a | head -n 7')).toBe(
      [
        'NAME      MAJ:MIN RM  SIZE RO TYPE MOUNTPOINTS',
        'ram0        1:0    0   64M  0 disk ',
        '`-pool    254:0    0   64M  0 dm   ',
        '  `-thin1 254:1    0  100M  0 dm   ',
        'ram1        1:1    0   64M  0 disk ',
        '`-pool    254:0    0   64M  0 dm   ',
        '  `-thin1 254:1    0  100M  0 dm   ',
        '',
      ].join('\n'),
    );
    expect(sh.runLine('lsblk -b -o NAME,KNAME,PATH /dev/ram1')).toBe(
      'NAME      KNAME PATH\nram1      ram1  /dev/ram1\n`-pool    dm-0  /dev/mapper/pool\n  `-thin1 dm-1  /dev/mapper/thin1\n',
    );
    sh.runLine('truncate -s 10M /tmp/f; losetup /dev/loop0 /tmp/f');
    expect(sh.runLine('lsblk')).toBe('NAME  MAJ:MIN RM  SIZE RO TYPE MOUNTPOINTS\nloop0   7:0    0   10M  0 loop \n');
  });

  it("says lvm for LVM's volumes and shows Docker's mount of a container's device", () => {
    const sh = new LabShell({ ramdiskKb: 524288 });
    for (const line of [
      'pvcreate /dev/ram0; vgcreate docker /dev/ram0',
      'lvcreate -n thinpool docker -l 95%VG; lvcreate -n thinpoolmeta docker -l 1%VG',
      'lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta',
      'echo \'{"storage-driver": "devicemapper", "storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool"]}\' > /etc/docker/daemon.json',
      'systemctl start docker; docker run -d --name web alpine',
    ])
      sh.runLine(line);
    const web = sh.docker.containers.find((c) => c.name === 'web')!;
    const lines = sh.runLine('lsblk -o NAME,TYPE,MOUNTPOINTS /dev/ram0').split('\n');
    expect(lines[1]).toBe(`ram0${' '.repeat(lines[1]!.indexOf('disk') - 4)}disk `);
    expect(lines.filter((l) => /^[|` ]*-docker-thinpool +lvm +$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => l.endsWith(` dm   /var/lib/docker/devicemapper/mnt/${web.mountId}`))).toHaveLength(2);
  });

  it('refuses what it does not model by name and fails as lsblk does on bad input', () => {
    const sh = new LabShell();
    const cases: ReadonlyArray<readonly [string, RegExp, string]> = [
      ['lsblk -f', /^thinlab: not modelled: lsblk -f /, '2'],
      ['lsblk -o +FSTYPE', /^thinlab: not modelled: lsblk column FSTYPE /, '2'],
      ['lsblk --json', /^thinlab: not modelled: lsblk --json /, '2'],
      ['lsblk -o BOGUS', /^lsblk: unknown column: BOGUS\n$/, '1'],
      ['lsblk -q', /^lsblk: invalid option -- 'q'\nTry 'lsblk --help' for more information.\n$/, '1'],
      ['lsblk /dev/nope', /^lsblk: \/dev\/nope: not a block device\n$/, '32'],
    ];
    for (const [line, output, status] of cases) {
      expect(sh.runLine(line), line).toMatch(output);
      expect(sh.lastStatus, line).toBe(status);
    }
  });
});
