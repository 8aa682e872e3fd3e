/**
 * dmsetup's column report, tree and -o/-j/-m (fixtures/kernel/208 and 209, both stacks): the
 * transcripts check the recorded lines; these name each rule and its refusals.
 */
import { describe, expect, it } from 'vitest';
import { splitLvmName } from './dmsetup-report.js';
import { LabShell } from './lab-shell.js';

function shell(): LabShell {
  const sh = new LabShell({ ramdiskKb: 4096, stack: 'debian12' });
  sh.runLine(
    'dmsetup create a -u LVM-x --table "0 8 zero"; dmsetup mknodes; dmsetup create b --table "0 8 linear /dev/mapper/a 0"',
  );
  return sh;
}

describe('dmsetup info -c', () => {
  it('aligns columns of at least each field width, numbers right, and sorts by -O keys', () => {
    const sh = shell();
    expect(sh.runLine('dmsetup info -c -o name,open,uuid -O -open')).toBe(
      `Name             Open UUID${' '.repeat(28)}\na                   1 LVM-x${' '.repeat(27)}\nb                   0 ${' '.repeat(32)}\n`,
    );
    expect(sh.runLine('dmsetup info -c -o name,names_using_dev --separator /')).toBe('Name/RefNames\na/b\nb/\n');
  });

  it('an unknown field or sort key prints the help and fails; help itself succeeds', () => {
    const sh = shell();
    expect(sh.runLine('dmsetup info -c -o name,nosuch 2>&1 >/dev/null | tail -1; echo rc=$?')).toBe(
      'Unrecognised field: nosuch\nrc=0\n',
    );
    expect(sh.runLine('dmsetup info -c -o name,nosuch 2>/dev/null; echo rc=$?')).toBe('rc=1\n');
    expect(sh.runLine('dmsetup info -c -O nosuch 2>&1 | tail -1')).toBe('dm_report: Unrecognised field: nosuch\n');
    expect(sh.runLine('dmsetup info -c -o help 2>&1 | head -1; dmsetup info -c -o help 2>/dev/null; echo rc=$?')).toBe(
      'Mapped Device Name Fields\nrc=0\n',
    );
  });

  it('refuses the statistics fields by name', () => {
    expect(shell().runLine('dmsetup info -c -o name,read_count 2>&1; echo rc=$?')).toBe(
      'thinlab: not modelled: dmsetup report field read_count (the lab has no dm-stats regions)\nCommand failed.\nrc=1\n',
    );
  });

  it('splitname splits LVM names with doubled dashes, and has no device fields', () => {
    expect(splitLvmName('vg--x-lv--y-layer')).toEqual(['vg-x', 'lv-y', 'layer']);
    expect(splitLvmName('vg')).toEqual(['vg', '', '']);
    const sh = shell();
    expect(sh.runLine('dmsetup splitname --noheadings a-b-c; dmsetup splitname a-b X --noheadings')).toBe(
      'a:b:c\n::\n',
    );
    expect(sh.runLine('dmsetup splitname -o open a-b 2>&1; echo rc=$?')).toBe(
      '_do_report_object: no data assigned to field open\nCommand failed.\nrc=1\n',
    );
  });
});

describe('dmsetup ls --tree, -o and -j/-m', () => {
  it('draws what each device uses, and refuses the options it does not draw', () => {
    const sh = shell();
    expect(sh.runLine('dmsetup ls --tree')).toBe('b (254:1)\n `-a (254:0)\n');
    expect(sh.runLine('dmsetup ls --tree -o inverted,open')).toBe('a (254:0) [1]\n `-b (254:1) [0]\n');
    expect(sh.runLine('dmsetup ls --tree -o utf 2>&1; echo rc=$?')).toBe(
      'thinlab: not modelled: dmsetup ls --tree -o utf\nCommand failed.\nrc=1\n',
    );
    expect(sh.runLine('dmsetup ls --tree -o ascii,x,y 2>&1; echo rc=$?')).toBe(
      "Tree options not recognised: x,y.\nCouldn't process command line.\nrc=1\n",
    );
  });

  it('ls and deps name devices as -o says; an unknown word fails the line', () => {
    const sh = shell();
    expect(sh.runLine('dmsetup ls -o devname; dmsetup deps -o blk b')).toBe(
      'a\t(a)\nb\t(b)\n1 dependencies\t: (dm-0)\n',
    );
    expect(sh.runLine('dmsetup deps -o devname,zz b 2>&1; echo rc=$?')).toBe(
      "Option not recognised: zz.\nCouldn't process command line.\nrc=1\n",
    );
  });

  it('-j and -m choose a device together; a name given wins', () => {
    const sh = shell();
    expect(sh.runLine('dmsetup table -j 254 -m 1; dmsetup table -j 254 -m 1 a')).toBe(
      '0 8 linear 254:0 0\n0 8 zero \n',
    );
    expect(sh.runLine('dmsetup status -m 1 2>&1; echo rc=$?')).toBe(
      "Please specify both major number and minor number.\nCouldn't process command line.\nrc=1\n",
    );
    expect(sh.runLine('dmsetup info -j 0 -m 1 2>&1; echo rc=$?')).toBe(
      "Missing major number for persistent device.\nCouldn't create ioctl argument.\nCommand failed.\nrc=1\n",
    );
    expect(sh.runLine('dmsetup rename -j 254 -m 1 c 2>&1; echo rc=$?')).toContain(
      'thinlab: not modelled: dmsetup rename -j -m',
    );
  });
});

describe('dmsetup remove_all and udevcookies (fixtures/kernel-probes/210, fixtures/kernel/214)', () => {
  const pool = (sh: LabShell) =>
    sh.runLine(
      'dmsetup create pool --table "0 8192 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup mknodes; dmsetup message pool 0 "create_thin 0"; dmsetup create thin0 --table "0 8192 thin /dev/mapper/pool 0"; dmsetup mknodes',
    );

  it('removes every device, a pool after its thins, and prunes /dev/mapper, printing nothing', () => {
    const sh = new LabShell({ ramdiskKb: 4096, stack: 'debian12' });
    pool(sh);
    expect(sh.runLine('dmsetup remove_all; echo rc=$?; dmsetup ls; ls /dev/mapper')).toBe(
      'rc=0\nNo devices found\ncontrol\n',
    );
  });

  it('with a device open: leaves it and what it holds, exits 0; -f is refused by name and changes nothing', () => {
    const sh = new LabShell({ ramdiskKb: 4096, stack: 'debian12' });
    pool(sh);
    sh.runLine('exec 3</dev/mapper/thin0');
    expect(sh.runLine('dmsetup remove_all 2>&1; echo rc=$?')).toBe('rc=0\n');
    expect(sh.runLine('dmsetup remove_all -f 2>&1 | head -1')).toMatch(
      /^thinlab: not modelled: dmsetup remove_all -f /,
    );
    expect(sh.runLine('dmsetup remove_all pool 2>&1 | head -1')).toBe('Incorrect number of arguments.\n');
    expect(sh.runLine('dmsetup ls')).toBe('pool\t(254:0)\nthin0\t(254:1)\n');
  });

  it('udevcookies lists no cookie: the lab never waits for udev', () => {
    const sh = new LabShell({ ramdiskKb: 4096, stack: 'debian13' });
    expect(sh.runLine('dmsetup udevcookies 2>/dev/null; echo rc=$?')).toBe(
      'Cookie       Semid      Value      Last semop time           Last change time\nrc=0\n',
    );
  });
});
