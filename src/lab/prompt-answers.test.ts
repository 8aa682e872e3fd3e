/**
 * lvremove and vgremove read one line of standard input per question, as LVM's yes_no_prompt
 * does (issue 17 item 3), so an endless writer of answers ends with them (fixtures/lvm/92, both
 * stacks): before, they took their input whole and `yes | lvremove` ran until the lab's memory
 * was taken.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

const SETUP =
  'pvcreate /dev/ram1 >/dev/null; vgcreate vg /dev/ram1 >/dev/null\n' +
  'lvcreate -L 16M -T vg/pool >/dev/null; lvcreate -V 8M -T vg/pool -n thin1 >/dev/null; lvcreate -L 8M -n plain vg >/dev/null\n';

const lab = (): LabShell => {
  const shell = new LabShell({ ramdiskKb: 131072 });
  shell.runScript(SETUP);
  return shell;
};

describe('LVM reads a line per question', () => {
  it('`yes | lvremove` answers its question and ends; yes dies of SIGPIPE', () => {
    const shell = lab();
    expect(shell.runScript('{ yes; echo $? > /tmp/s1; } | lvremove vg/thin1; echo "rc=$? $(cat /tmp/s1)"')).toBe(
      'Do you really want to remove active logical volume vg/thin1? [y/n]:   Logical volume "thin1" successfully removed.\nrc=0 141\n',
    );
    expect(shell.runScript('yes n | lvremove vg/plain; echo rc=$?')).toBe(
      'Do you really want to remove active logical volume vg/plain? [y/n]:   Logical volume vg/plain not removed.\nrc=5\n',
    );
  });

  it('`yes | vgremove` answers each of its questions in turn', () => {
    const shell = lab();
    shell.runScript('lvremove -y vg/thin1 >/dev/null');
    expect(shell.runScript('yes | vgremove vg; echo rc=$?')).toBe(
      'Do you really want to remove volume group "vg" containing 2 logical volumes? [y/n]: ' +
        'Do you really want to remove active logical volume vg/pool? [y/n]:   Logical volume "pool" successfully removed.\n' +
        'Do you really want to remove active logical volume vg/plain? [y/n]:   Logical volume "plain" successfully removed.\n' +
        '  Volume group "vg" successfully removed\nrc=0\n',
    );
  });

  it('takes the default at the end of a short input, and reads nothing with -y', () => {
    const shell = lab();
    expect(shell.runScript('printf y | lvremove vg/thin1 vg/plain; echo rc=$?')).toBe(
      'Do you really want to remove active logical volume vg/thin1? [y/n]:   Logical volume "thin1" successfully removed.\n' +
        'Do you really want to remove active logical volume vg/plain? [y/n]: [n]\n  Logical volume vg/plain not removed.\nrc=5\n',
    );
    expect(shell.runScript('{ yes; echo $? > /tmp/s1; } | lvremove -y vg/plain; echo "rc=$? $(cat /tmp/s1)"')).toBe(
      '  Logical volume "plain" successfully removed.\nrc=0 141\n',
    );
  });
});
