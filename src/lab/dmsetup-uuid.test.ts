/**
 * `dmsetup -u UUID` and stale /dev/mapper nodes (fixtures/kernel/180, recorded on both stacks):
 * the transcript checks the recorded cases; these name each rule, its bad input, and that a
 * refused command loses nothing.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

function shell(stack: 'debian12' | 'debian13' = 'debian12'): LabShell {
  return new LabShell({ ramdiskKb: 4096, stack });
}

describe('dmsetup -u', () => {
  it('create -u gives the device its UUID, and info, table, status and remove find it by it', () => {
    const sh = shell();
    expect(sh.runLine('dmsetup create a -u LVM-x --table "0 8 zero"; echo rc=$?')).toBe('rc=0\n');
    expect(sh.runLine('cat /sys/block/dm-0/dm/uuid')).toBe('LVM-x\n');
    expect(sh.runLine('dmsetup info -c -o uuid,name --noheadings')).toBe('LVM-x:a\n');
    expect(sh.runLine('dmsetup table -u LVM-x; dmsetup status --uuid LVM-x')).toBe('0 8 zero \n0 8 zero \n');
    expect(sh.runLine('dmsetup remove -u LVM-x; echo rc=$?; dmsetup ls')).toBe('rc=0\nNo devices found\n');
  });

  it('a UUID in use is EBUSY from the kernel, and the first device keeps it', () => {
    const sh = shell();
    sh.runLine('dmsetup create a -u U1 --table "0 8 zero"');
    expect(sh.runLine('dmsetup create b -u U1 --table "0 8 zero" 2>&1; echo rc=$?')).toBe(
      'device-mapper: create ioctl on b U1 failed: Device or resource busy\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine('dmsetup ls; dmsetup info -u U1 | grep Name')).toBe('a\t(254:0)\nName:              a\n');
  });

  it('an unknown UUID: info and status say no such device, the others fail their ioctl on the UUID', () => {
    const sh = shell();
    expect(sh.runLine('dmsetup info -u nosuch 2>&1; echo rc=$?')).toBe(
      'Device does not exist.\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine('dmsetup status -u nosuch 2>&1; echo rc=$?')).toBe(
      'Device does not exist.\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine('dmsetup remove -u nosuch 2>&1; echo rc=$?')).toBe(
      'device-mapper: remove ioctl on  nosuch failed: No such device or address\nCommand failed.\nrc=1\n',
    );
  });

  it('an empty UUID is none; one of 128 characters is taken, 129 fail in dmsetup before any ioctl', () => {
    const sh = shell();
    expect(sh.runLine('dmsetup create c -u "" --table "0 8 zero"; echo rc=$?; cat /sys/block/dm-0/dm/uuid')).toBe(
      'rc=0\n\n',
    );
    const long = 'u'.repeat(128);
    expect(sh.runLine(`dmsetup create d -u ${long} --table "0 8 zero"; echo rc=$?`)).toBe('rc=0\n');
    expect(sh.runLine(`dmsetup create e -u ${long}u --table "0 8 zero" 2>&1; echo rc=$?`)).toBe(
      `Mangled form of the UUID too long for "${long}u".\nFailed to mangle device uuid "${long}u".\nCommand failed.\nrc=1\n`,
    );
    expect(sh.runLine('dmsetup ls')).toBe('c\t(254:0)\nd\t(254:1)\n');
  });

  it('refuses by name what it does not model, and loses nothing', () => {
    const sh = shell();
    sh.runLine('dmsetup create a -u U1 --table "0 8 zero"');
    const refusals: [string, RegExp][] = [
      ['dmsetup create b -u "a b" --table "0 8 zero"', /not modelled: a UUID with characters libdevmapper mangles/],
      ['dmsetup info -u U1 a', /not modelled: dmsetup info -u with a device name too/],
      ['dmsetup message -u U1 0 hello', /not modelled: dmsetup message -u/],
      ['dmsetup info -c -o name,read_count', /not modelled: dmsetup report field read_count/],
      ['dmsetup info -c --rows', /not modelled: dmsetup --rows/],
      ['dmsetup status -c', /not modelled: dmsetup status with -c, --sort or --separator/],
      ['dmsetup status -o devname', /not modelled: dmsetup status -o/],
      ['dmsetup ls --tree -o vt100', /not modelled: dmsetup ls --tree -o vt100/],
      ['dmsetup table --tree', /not modelled: dmsetup table --tree/],
    ];
    for (const [line, error] of refusals) {
      expect(sh.runLine(`${line} 2>&1; echo rc=$?`), line).toMatch(error);
      expect(sh.runLine('echo $?'), line).toBe('0\n');
    }
    expect(sh.runLine('dmsetup create x -u 2>&1; echo rc=$?')).toBe(
      "dmsetup: option requires an argument -- 'u'\nCouldn't process command line.\nrc=1\n",
    );
    expect(sh.runLine('dmsetup info --uuid 2>&1; echo rc=$?')).toBe(
      "dmsetup: option '--uuid' requires an argument\nCouldn't process command line.\nrc=1\n",
    );
    expect(sh.runLine('dmsetup ls; dmsetup info -c -o name,uuid --noheadings')).toBe('a\t(254:0)\na:U1\n');
  });
});

describe('a stale /dev/mapper node', () => {
  const readers = [
    ['cat /dev/mapper/s', "cat: can't open '/dev/mapper/s': No such device or address\n"],
    ['od -A d -N 16 /dev/mapper/s', 'od: /dev/mapper/s: No such device or address\n'],
    ['head -c 16 /dev/mapper/s', 'head: /dev/mapper/s: No such device or address\n'],
    ['md5sum /dev/mapper/s', "md5sum: can't open '/dev/mapper/s': No such device or address\n"],
    ['blockdev --getsz /dev/mapper/s', "blockdev: can't open '/dev/mapper/s': No such device or address\n"],
    ['echo hi > /dev/mapper/s', "can't create /dev/mapper/s: No such device or address\n"],
  ] as const;

  it('gives ENXIO to every opener, each in its own words, and stays a block node', () => {
    const sh = shell();
    sh.runLine('dmsetup create s --table "0 8 zero"; dmsetup mknodes; dmsetup remove s');
    for (const [line, expected] of readers) {
      // The shell's own message starts with the script's name and line, which runLine numbers.
      const said = sh.runLine(`${line} 2>&1; echo rc=$?`).replace(/^\/scenario\.sh: line [0-9]+: /, '');
      expect(said, line).toBe(`${expected}rc=1\n`);
    }
    expect(sh.runLine('test -b /dev/mapper/s; echo $?')).toBe('0\n');
  });

  it('thin_dump says it in 0.9.0 and in 1.1.0 words', () => {
    const line =
      'dmsetup create s --table "0 8 zero"; dmsetup mknodes; dmsetup remove s; thin_dump /dev/mapper/s 2>&1; echo rc=$?';
    expect(shell('debian12').runLine(line)).toBe("couldn't open block device to ascertain size\nrc=1\n");
    expect(shell('debian13').runLine(line)).toBe(
      "Couldn't get file size: No such device or address (os error 6)\nrc=64\n",
    );
  });

  it('a missing path is still ENOENT, and od prints no address when no input opened', () => {
    const sh = shell();
    expect(sh.runLine('cat /dev/mapper/none 2>&1; od /tmp/none 2>&1; echo rc=$?')).toBe(
      "cat: can't open '/dev/mapper/none': No such file or directory\nod: /tmp/none: No such file or directory\nrc=1\n",
    );
  });
});
