/**
 * /dev/mapper nodes as the oracle VM keeps them (devtmpfs, no udev; fixtures/kernel/135 and 136):
 * dmsetup makes none unless asked, `mknodes` adds and prunes, stale nodes keep their minor, and
 * `dmsetup rename` with the kernel's errors. The transcripts check the same on the real kernel;
 * these name each rule and its bad input.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

function shell(): LabShell {
  return new LabShell({ ramdiskKb: 4096 });
}

describe('/dev/mapper nodes', () => {
  it('dmsetup create makes no node, even with --noudevsync; --verifyudev and DM_DISABLE_UDEV do', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"; dmsetup create b --noudevsync --table "0 8 zero"');
    sh.runLine(
      'dmsetup create c --verifyudev --table "0 8 zero"; DM_DISABLE_UDEV=1 dmsetup create d --table "0 8 zero"',
    );
    expect(sh.runLine('for n in a b c d; do test -b /dev/mapper/$n; echo "$n $?"; done')).toBe('a 1\nb 1\nc 0\nd 0\n');
    expect(sh.runLine('test -b /dev/dm-0; echo $?')).toBe('0\n');
    // A shell variable that only `export` set is not the command's environment in the lab.
    sh.runLine('DM_DISABLE_UDEV=1; dmsetup create e --table "0 8 zero"');
    expect(sh.runLine('test -b /dev/mapper/e; echo $?')).toBe('1\n');
  });

  it('a table naming a missing node fails as the kernel fails it, and loses nothing', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"; dmesg -c >/dev/null');
    expect(sh.runLine('dmsetup create p --table "0 8 linear /dev/mapper/a 0" 2>&1; echo rc=$?')).toBe(
      'device-mapper: reload ioctl on p (254:1) failed: No such device\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine("dmesg | sed 's/^\\[[^]]*\\] //'")).toBe(
      'device-mapper: table: 254:1: linear: Device lookup failed (-ENODEV)\ndevice-mapper: ioctl: error adding target to table\n',
    );
    expect(sh.runLine('dmsetup ls')).toBe('a\t(254:0)\n');
    sh.runLine('dmsetup mknodes');
    expect(sh.runLine('dmsetup create p --table "0 8 linear /dev/mapper/a 0"; echo rc=$?; dmsetup table p')).toBe(
      'rc=0\n0 8 linear 254:0 0\n',
    );
  });

  it('dd into a missing node is refused by name; from one it is ENOENT', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"');
    expect(sh.runLine('dd if=/dev/mapper/a of=/dev/null bs=512 count=1 2>&1; echo rc=$?')).toBe(
      "dd: can't open '/dev/mapper/a': No such file or directory\nrc=1\n",
    );
    expect(sh.runLine('dd if=/patterns/A of=/dev/mapper/a bs=512 count=1 2>&1; echo rc=$?')).toMatch(
      /^thinlab: not modelled: dd of=\/dev\/mapper\/a with no such node .*dmsetup mknodes.*\nrc=1\n$/,
    );
    expect(sh.runLine('ls -1 /dev/mapper')).toBe('control\n');
  });

  it('a stale node opens with ENXIO, then reaches the device that gets its minor; mknodes NAME prunes it', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"; dmsetup create b --table "0 8 zero"; dmsetup mknodes');
    sh.runLine('dmsetup remove a');
    expect(sh.runLine('test -b /dev/mapper/a; echo $?')).toBe('0\n');
    expect(sh.runLine('dd if=/dev/mapper/a of=/dev/null bs=512 count=1 2>&1; echo rc=$?')).toBe(
      "dd: can't open '/dev/mapper/a': No such device or address\nrc=1\n",
    );
    sh.runLine('dmsetup create e --table "0 16 zero"');
    expect(sh.runLine("stat -c '%n %t:%T' /dev/mapper/a /dev/dm-0")).toBe('/dev/mapper/a fe:0\n/dev/dm-0 fe:0\n');
    expect(sh.runLine('dd if=/dev/mapper/a of=/dev/null bs=512 count=16 2>&1 | head -1')).toBe('16+0 records in\n');
    sh.runLine('dmsetup mknodes e');
    expect(sh.runLine('test -b /dev/mapper/a; echo $?')).toBe('0\n');
    sh.runLine('dmsetup mknodes a');
    expect(sh.runLine('ls -1 /dev/mapper')).toBe('b\ncontrol\ne\n');
  });

  it('rm unlinks a node and mknodes makes it again; a crash leaves /dev/mapper empty', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"; dmsetup mknodes; rm /dev/mapper/a');
    expect(sh.runLine('test -b /dev/mapper/a; echo $?; dmsetup ls')).toBe('1\na\t(254:0)\n');
    expect(sh.runLine('rm /dev/mapper/a 2>&1; echo rc=$?')).toBe(
      "rm: can't remove '/dev/mapper/a': No such file or directory\nrc=1\n",
    );
    sh.runLine('dmsetup mknodes');
    expect(sh.runLine('test -b /dev/mapper/a; echo $?')).toBe('0\n');
    expect(sh.machine.mapperNodeNames()).toEqual(['a']);
    sh.machine.crash();
    expect(sh.machine.mapperNodeNames()).toEqual([]);
  });

  it('LVM makes, moves and removes the nodes of its volumes itself', () => {
    const sh = new LabShell({ ramdiskKb: 65536 });
    // Their messages go to /dev/null: `-q` is refused by name (src/lvm/lvm-options.ts).
    sh.runLine('{ pvcreate /dev/ram0; vgcreate vg /dev/ram0; lvcreate -n lv -L 4M vg; } >/dev/null');
    expect(sh.runLine('test -b /dev/mapper/vg-lv; echo $?')).toBe('0\n');
    sh.runLine('lvrename vg lv lv2 >/dev/null');
    expect(sh.runLine('test -b /dev/mapper/vg-lv; echo $?; test -b /dev/mapper/vg-lv2; echo $?')).toBe('1\n0\n');
    sh.runLine('lvremove -y vg/lv2 >/dev/null');
    expect(sh.runLine('ls -1 /dev/mapper')).toBe('control\n');
  });
});

describe('dmsetup rename', () => {
  it('renames in place: the minor, the openers and the node stay; a live table counts an event', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"; dmsetup mknodes');
    expect(sh.runLine('dmsetup rename a a2; echo rc=$?; dmsetup ls')).toBe('rc=0\na2\t(254:0)\n');
    expect(sh.runLine('dmsetup info a2 | grep -e Event -e Major; cat /sys/block/dm-0/dm/name')).toBe(
      'Event number:      1\nMajor, minor:      254, 0\na2\n',
    );
    // The node keeps the old name until mknodes, which moves it.
    expect(sh.runLine('test -b /dev/mapper/a; echo $?; dmsetup mknodes; ls -1 /dev/mapper')).toBe('0\na2\ncontrol\n');
  });

  it('refuses a taken name, its own name, a missing device, a slash and the wrong number of words', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"; dmsetup create b --table "0 8 zero"; dmesg -c >/dev/null');
    const busy = 'device-mapper: rename ioctl on a  failed: Device or resource busy\nCommand failed.\nrc=1\n';
    expect(sh.runLine('dmsetup rename a b 2>&1; echo rc=$?')).toBe(busy);
    expect(sh.runLine('dmsetup rename a a 2>&1; echo rc=$?')).toBe(busy);
    expect(sh.runLine('dmsetup rename x y 2>&1; echo rc=$?')).toBe(
      'device-mapper: rename ioctl on x  failed: No such device or address\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine('dmsetup rename a x/y 2>&1; echo rc=$?')).toBe(
      'Name "x/y" invalid. It contains "/".\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine('dmsetup rename a 2>&1; echo rc=$?')).toBe('No device specified.\nCommand failed.\nrc=1\n');
    expect(sh.runLine('dmsetup rename 2>&1 | head -2')).toBe('Incorrect number of arguments.\nUsage:\n');
    expect(sh.runLine("dmesg | sed 's/^\\[[^]]*\\] //'")).toBe(
      'device-mapper: ioctl: Unable to change name on mapped device a to one that already exists: b\n' +
        'device-mapper: ioctl: Unable to change name on mapped device a to one that already exists: a\n' +
        'device-mapper: ioctl: Unable to rename non-existent device, x to y\n',
    );
    expect(sh.runLine('dmsetup ls')).toBe('a\t(254:0)\nb\t(254:1)\n');
  });

  it('--setuuid sets the UUID once, and refuses one taken', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"; dmsetup create b --table "0 8 zero"');
    expect(sh.runLine('dmsetup rename a --setuuid U1; echo rc=$?; dmsetup info a | grep UUID')).toBe(
      'rc=0\nUUID: U1\n',
    );
    expect(sh.runLine('dmsetup rename a --setuuid U2 2>&1; echo rc=$?')).toBe(
      'device-mapper: rename ioctl on a  failed: Invalid argument\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine('dmsetup rename b --setuuid U1 2>&1; echo rc=$?')).toBe(
      'device-mapper: rename ioctl on b  failed: Device or resource busy\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine('cat /sys/block/dm-0/dm/uuid /sys/block/dm-1/dm/uuid')).toBe('U1\n\n');
  });
});
