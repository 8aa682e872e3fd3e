/**
 * pvremove and vgreduce, their successes and refusals as LVM 2.03.16 and 2.03.31 print them
 * (fixtures/lvm/99, whose pvremove and vgreduce parts test/lvm-transcripts.test.ts replays).
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';

function labWithPool(): LabShell {
  const shell = new LabShell({ stack: 'debian12' });
  for (const line of [
    'truncate -s 32M /tmp/disk; losetup /dev/loop0 /tmp/disk',
    'pvcreate /dev/ram0 /dev/ram1 /dev/loop0 >/dev/null; vgcreate vg /dev/ram0 /dev/ram1 >/dev/null',
    'lvcreate -L 16M -T vg/pool >/dev/null',
  ])
    expect(shell.runLine(line)).toBe('');
  return shell;
}

describe('pvremove', () => {
  it('wipes a disk in no group, refuses one in a group, and asks with -ff', () => {
    const shell = labWithPool();
    expect(shell.runLine('pvremove /dev/loop0; echo rc=$?')).toBe(
      '  Labels on physical volume "/dev/loop0" successfully wiped.\nrc=0\n',
    );
    expect(shell.runLine('pvremove /dev/loop0; echo rc=$?')).toBe('  No PV found on device /dev/loop0.\nrc=5\n');
    expect(shell.runLine('pvremove /dev/ram1; echo rc=$?')).toBe(
      '  PV /dev/ram1 is used by VG vg so please use vgreduce first.\n  (If you are certain you need pvremove, then confirm by using --force twice.)\n  /dev/ram1: physical volume label not removed.\nrc=5\n',
    );
    expect(shell.runLine('pvremove -ff /dev/ram1 </dev/null; echo rc=$?')).toBe(
      '  WARNING: PV /dev/ram1 is used by VG vg.\nReally WIPE LABELS from physical volume "/dev/ram1" of volume group "vg" [y/n]? [n]\n  /dev/ram1: physical volume label not removed.\nrc=5\n',
    );
    expect(shell.runLine('pvremove -ff -y /dev/ram1 2>&1 | tail -1')).toBe(
      'thinlab: not modelled: pvremove -ff of a disk in a volume group (the group would miss it)\n',
    );
    expect(shell.runLine('pvremove /dev/nosuch; echo rc=$?')).toBe('  No device found for /dev/nosuch.\nrc=5\n');
    expect(shell.runLine('pvs --noheadings -o pv_name 2>&1; pvs | wc -l')).toContain('3\n');
  });
});

describe('vgreduce', () => {
  it('takes out a disk without extents in use, one commit, and refuses the others', () => {
    const shell = labWithPool();
    expect(shell.runLine('vgextend vg /dev/loop0 >/dev/null; vgs --noheadings -o seqno vg')).toBe('    5\n');
    expect(shell.runLine('vgreduce vg /dev/ram0; echo rc=$?')).toBe(
      '  Physical volume "/dev/ram0" still in use\nrc=5\n',
    );
    expect(shell.runLine('vgreduce vg /dev/loop0; echo rc=$?')).toBe(
      '  Removed "/dev/loop0" from volume group "vg"\nrc=0\n',
    );
    expect(shell.runLine('vgs --noheadings -o seqno,pv_count vg')).toBe('    6   2\n');
    expect(shell.runLine('vgextend vg /dev/loop0 >/dev/null; vgreduce -a vg; echo rc=$?')).toBe(
      '  Physical volume "/dev/ram0" still in use\n  Physical volume "/dev/ram1" still in use\n  Removed "/dev/loop0" from volume group "vg"\nrc=5\n',
    );
    expect(shell.runLine('vgreduce --removemissing vg; echo rc=$?')).toBe(
      '  Volume group "vg" is already consistent.\nrc=0\n',
    );
    expect(shell.runLine('vgreduce -a vg /dev/ram0; echo rc=$?')).toBe(
      '  Command does not accept argument: /dev/ram0.\nrc=3\n',
    );
    expect(shell.runLine('vgreduce nosuch /dev/ram1; echo rc=$?')).toBe(
      '  Volume group "nosuch" not found\n  Cannot process volume group nosuch\n  Failed to find physical volume "/dev/ram1".\nrc=5\n',
    );
    expect(shell.runLine('vgreduce vg /dev/nosuch; echo rc=$?')).toBe(
      '  Cannot use /dev/nosuch: device not found\nrc=5\n',
    );
  });
});

describe('lvreduce', () => {
  it("refuses a thin pool in LVM's words, and the rest of what it does not model by name", () => {
    const shell = labWithPool();
    for (const line of ['lvreduce -L 8M vg/pool', 'lvreduce -y -L 8M vg/pool'])
      expect(shell.runLine(`${line}; echo rc=$?`)).toBe(
        '  Thin pool volumes vg/pool_tdata cannot be reduced in size yet.\nrc=5\n',
      );
    expect(shell.runLine('lvreduce vg/pool; echo rc=$?')).toBe(
      "  No command with matching syntax recognised.  Run 'lvreduce --help' for more information.\n  Correct command syntax is:\n  lvreduce -L|--size [-]Size[m|UNIT] LV\n\nrc=3\n",
    );
    expect(shell.runLine('lvreduce -f -L 8M vg/nosuch; echo rc=$?')).toBe(
      '  Logical volume nosuch not found in volume group vg.\nrc=5\n',
    );
    expect(shell.runLine('lvcreate -L 8M -n lin vg >/dev/null; lvreduce -y -L 4M vg/lin; echo rc=$?')).toBe(
      'thinlab: not modelled: lvreduce of a volume that is not a thin pool\nrc=2\n',
    );
  });
});
