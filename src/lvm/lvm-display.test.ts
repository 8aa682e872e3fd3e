/**
 * lvdisplay, vgdisplay and pvdisplay's errors and refusals, each as the real LVM words it
 * (fixtures/lvm/98, both stacks); the whole transcripts are replayed by test/lvm-transcripts.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import type { StackId } from '../model/stack.js';

function labWithPool(stack: StackId): LabShell {
  const shell = new LabShell({ stack });
  for (const line of [
    'pvcreate /dev/ram0 /dev/ram1 >/dev/null; vgcreate vg /dev/ram0 /dev/ram1 >/dev/null',
    'lvcreate -L 16M -T vg/pool >/dev/null',
    'lvcreate -V 32M -T vg/pool -n thin1 >/dev/null 2>&1',
    'lvcreate -L 48M -n lin vg >/dev/null 2>&1',
  ])
    expect(shell.runLine(line)).toBe('');
  return shell;
}

describe('lvdisplay, vgdisplay, pvdisplay', () => {
  it('names a missing group, volume or device as LVM does, after showing the ones found', () => {
    const shell = labWithPool('debian13');
    expect(shell.runLine('lvdisplay nosuch; echo rc=$?')).toBe(
      '  Volume group "nosuch" not found\n  Cannot process volume group nosuch\nrc=5\n',
    );
    expect(shell.runLine('lvdisplay /dev/vg/nosuch; echo rc=$?')).toBe(
      '  Failed to find logical volume "vg/nosuch"\nrc=5\n',
    );
    const both = shell.runLine('lvdisplay -c vg/nosuch vg/lin; echo rc=$?');
    expect(both).toMatch(
      /^ {2}\/dev\/vg\/lin:vg:3:1:-1:0:98304:12:-1:0:-1:254:\d+\n {2}Failed to find logical volume "vg\/nosuch"\nrc=5\n$/,
    );
    expect(shell.runLine('pvdisplay /dev/nosuch; echo rc=$?')).toBe(
      '  Cannot use /dev/nosuch: device not found\nrc=5\n',
    );
    expect(shell.runLine('pvdisplay /dev/loop0; echo rc=$?')).toBe(
      '  Cannot use /dev/loop0: device is too small (pv_min_size)\nrc=5\n',
    );
    expect(shell.runLine('vgdisplay -c nosuch; echo rc=$?')).toBe(
      '  Volume group "nosuch" not found\n  Cannot process volume group nosuch\nrc=5\n',
    );
  });

  it("refuses options in 2.03.16's words and in 2.03.31's", () => {
    const cases: Array<[string, string, string]> = [
      ['lvdisplay -o lv_name vg', 'Incompatible options selected.', '--options'],
      ['lvdisplay --noheadings vg', 'Incompatible options selected.', '--noheadings'],
      ['lvdisplay -c -C vg', 'Incompatible options selected', '--colon'],
      ['lvdisplay -c -m vg', 'Options -c and -m are incompatible.', '--colon'],
      ['vgdisplay -c -s vg', 'Option -c is not allowed with option -s', '--colon'],
      ['pvdisplay -c -m', 'Option -c not allowed with option -m', '--colon'],
      ['pvdisplay -a', 'Incompatible options selected', '--all'],
    ];
    const old = labWithPool('debian12');
    const now = labWithPool('debian13');
    for (const [line, text16, option31] of cases) {
      const command = line.split(' ')[0];
      expect(old.runLine(`${line}; echo rc=$?`), line).toBe(
        `  ${text16}\n  Run \`${command} --help' for more information.\nrc=3\n`,
      );
      expect(now.runLine(`${line}; echo rc=$?`), line).toBe(`  Command does not accept option: ${option31}.\nrc=3\n`);
    }
    expect(now.runLine('vgdisplay -m vg; echo rc=$?')).toBe(
      "vgdisplay: invalid option -- 'm'\n  Error during parsing of command line.\nrc=3\n",
    );
  });

  it('refuses by name what it does not model', () => {
    const shell = labWithPool('debian13');
    expect(shell.runLine('vgdisplay -vv vg; echo rc=$?')).toBe('thinlab: not modelled: vgdisplay -vv\nrc=2\n');
    expect(shell.runLine('vgdisplay -v -c vg; echo rc=$?')).toBe('thinlab: not modelled: vgdisplay -v with -c\nrc=2\n');
    expect(shell.runLine('lvdisplay -Ca vg; echo rc=$?')).toBe(
      'thinlab: not modelled: lvdisplay -C clustered with other options\nrc=2\n',
    );
    expect(shell.runLine('lvdisplay --units G vg/lin; echo rc=$?')).toBe(
      'thinlab: not modelled: lvdisplay --units G\nrc=2\n',
    );
  });

  it("prints a pool's usage, a thin volume's mapped size and the disks' extents from the lab's state", () => {
    const shell = labWithPool('debian13');
    expect(shell.runLine('dd if=/dev/zero of=/dev/vg/thin1 bs=1M count=4 oflag=direct 2>/dev/null')).toBe('');
    const pool = shell.runLine('lvdisplay vg/pool');
    expect(pool).toContain('  LV Write Access        read/write (activated read only)\n');
    expect(pool).toContain('  Allocated pool data    25.00%\n');
    expect(shell.runLine('lvdisplay vg/thin1')).toContain('  Mapped size            12.50%\n');
    // The pool's metadata is on the disk without its data (fixtures/lvm/98).
    expect(shell.runLine('pvdisplay -c')).toMatch(
      /^ {2}\/dev\/ram0:vg:131072:-1:8:8:-1:4096:15:10:5:\S+\n {2}\/dev\/ram1:vg:131072:-1:8:8:-1:4096:15:2:13:\S+\n$/,
    );
    expect(shell.runLine('vgdisplay -s')).toBe('  "vg" 120.00 MiB [72.00 MiB used / 48.00 MiB free]\n');
    expect(shell.runLine('pvdisplay -s')).toBe(
      '  Device "/dev/ram0" has a capacity of 40.00 MiB\n  Device "/dev/ram1" has a capacity of 8.00 MiB\n',
    );
    // -C is the report command.
    expect(shell.runLine('lvdisplay -C -a vg')).toBe(shell.runLine('lvs -a vg'));
    expect(shell.runLine('pvdisplay -C')).toBe(shell.runLine('pvs'));
  });
});
