/**
 * LVM's metadata sequence number (vgs's `vg_seqno`, vgdisplay's `Metadata Sequence No`) and the
 * `lvm` command, against what the real LVMs printed (fixtures/lvm/100, 101, 102, both stacks); the
 * whole transcripts are replayed by test/lvm-transcripts.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import type { StackId } from '../model/stack.js';

function seqno(shell: LabShell): number {
  return Number(shell.runLine('vgs --noheadings -o seqno vg').trim());
}

/** The sequence number's step for each line, run in order on a fresh group of two disks. */
function steps(stack: StackId, lines: readonly string[]): number[] {
  const shell = new LabShell({ stack });
  expect(shell.runLine('pvcreate /dev/ram0 /dev/ram1 >/dev/null; vgcreate vg /dev/ram0 /dev/ram1 >/dev/null')).toBe('');
  expect(seqno(shell)).toBe(1);
  return lines.map((line) => {
    const before = seqno(shell);
    shell.runLine(`${line} >/dev/null 2>&1`);
    return seqno(shell) - before;
  });
}

describe("LVM's metadata sequence number", () => {
  for (const stack of ['debian12', 'debian13'] as const) {
    it(`counts each command's commits as lvm2 ${stack === 'debian12' ? '2.03.16' : '2.03.31'} does`, () => {
      expect(
        steps(stack, [
          'lvcreate -L 8M -n lin vg',
          // A pool with a new spare commits three times, one without two, a thin volume twice.
          'lvcreate -L 16M -T vg/pool',
          'lvcreate -L 8M --thinpool pool2 vg',
          'lvcreate -V 16M -T vg/pool -n thin1',
          'lvchange -an vg/thin1',
          'lvchange -ay vg/thin1',
          'lvextend -L +4M vg/pool',
          'lvrename vg/thin1 vg/thinA',
          'lvcreate -V 8M -T vg/pool -n thin2',
          // Two thin volumes of a pool that stays: two commits each; a linear one rides along.
          'lvremove -y vg/thinA vg/thin2 vg/lin',
          // Two pools at once: one commit.
          'lvremove -y vg/pool vg/pool2',
          'lvcreate -L 1G -n big vg',
          'lvcreate -L 8M -V 16M -T vg/pool3 -n thin3',
        ]),
      ).toEqual([1, 3, 2, 2, 0, 0, 1, 1, 2, 4, 1, 0, 5]);
    });
  }

  it('restores a backup one commit on from the backup, and its profiles', () => {
    const shell = new LabShell({ stack: 'debian12' });
    for (const line of [
      'pvcreate /dev/ram0 >/dev/null; vgcreate vg /dev/ram0 >/dev/null',
      'lvcreate -L 8M -T vg/pool >/dev/null 2>&1',
      "printf 'activation {\\n\\tthin_pool_autoextend_threshold = 70\\n}\\n' > /etc/lvm/profile/p70.profile",
      'vgcfgbackup -f /tmp/vg.old vg >/dev/null',
      'lvchange --metadataprofile p70 vg/pool >/dev/null',
      'vgchange -an vg >/dev/null',
    ])
      expect(shell.runLine(line)).toBe('');
    expect(shell.runLine('grep seqno /tmp/vg.old')).toBe('\tseqno = 4\n');
    expect(seqno(shell)).toBe(5);
    expect(shell.runLine('vgcfgrestore --force -f /tmp/vg.old vg; echo rc=$?')).toBe(
      '  WARNING: Forced restore of Volume Group vg with thin volumes.\n  Restored volume group vg.\nrc=0\n',
    );
    expect(seqno(shell)).toBe(5);
    expect(shell.runLine('lvs --noheadings -o lv_profile vg/pool').trim()).toBe('');
  });

  it("prints vgdisplay's long form with it, and -v with the volumes and disks", () => {
    const shell = new LabShell({ stack: 'debian13' });
    expect(shell.runLine('pvcreate /dev/ram0 >/dev/null; vgcreate vg /dev/ram0 >/dev/null')).toBe('');
    expect(shell.runLine('lvcreate -L 8M -n lin vg >/dev/null')).toBe('');
    const long = shell.runLine('vgdisplay vg');
    expect(long).toContain('  Metadata Sequence No  2\n');
    expect(long).toContain('  Cur LV                1\n  Open LV               0\n');
    expect(long).toContain('  Alloc PE / Size       2 / 8.00 MiB\n  Free  PE / Size       13 / 52.00 MiB\n');
    const verbose = shell.runLine('vgdisplay -v vg');
    expect(verbose.startsWith(long)).toBe(true);
    expect(verbose).toContain('  LV Path                /dev/vg/lin\n');
    expect(verbose).toMatch(/ {2}--- Physical volumes ---\n {2}PV Name {15}\/dev\/ram0 {5}\n/);
    expect(verbose).toContain('  Total PE / Free PE    15 / 13\n   \n');
  });
});

describe('the lvm command', () => {
  function labWithGroup(): LabShell {
    const shell = new LabShell({ stack: 'debian12' });
    expect(shell.runLine('pvcreate /dev/ram0 >/dev/null; vgcreate vg /dev/ram0 >/dev/null')).toBe('');
    return shell;
  }

  it('runs `lvm CMD ARGS` as CMD ARGS, and says so of a name it does not know', () => {
    const shell = labWithGroup();
    expect(shell.runLine('lvm vgs -o vg_name,vg_seqno')).toBe(shell.runLine('vgs -o vg_name,vg_seqno'));
    expect(shell.runLine('lvm nosuch; echo rc=$?')).toBe("  No such command.  Try 'lvm help'.\nrc=2\n");
    expect(shell.runLine('lvm --version; echo rc=$?')).toBe(
      '  Specify options after a command: lvm [command] [options].\nrc=3\n',
    );
    expect(shell.runLine('lvm pvmove /dev/ram0; echo rc=$?')).toBe('thinlab: not modelled: lvm pvmove\nrc=2\n');
    expect(shell.runLine('lvm help; echo rc=$?')).toBe('thinlab: not modelled: lvm help\nrc=2\n');
  });

  it("prints the stack's versions for `lvm version` and any command's --version", () => {
    for (const [stack, release, driver] of [
      ['debian12', '2.03.16(2) (2022-05-18)', '4.47.0'],
      ['debian13', '2.03.31(2) (2025-02-27)', '4.48.0'],
    ] as const) {
      const shell = new LabShell({ stack });
      const text = shell.runLine('lvm version');
      expect(text).toMatch(new RegExp(`^ {2}LVM version: {5}${release.replace(/[()]/g, '\\$&')}\n`));
      expect(text).toContain(`  Driver version:  ${driver}\n`);
      expect(shell.runLine('lvs --version')).toBe(text);
    }
  });

  it('reads commands from standard input, goes on after a failure and stops at exit', () => {
    const shell = labWithGroup();
    expect(
      shell.runLine("printf 'vgs --noheadings -o vg_name\\nnosuch\\nlvs vg/x\\nexit\\nvgs\\n' | lvm; echo rc=$?"),
    ).toBe(
      "Cannot read termcap database;\nusing dumb terminal settings.\n  vg\n  No such command 'nosuch'.  Try 'help'.\n  Failed to find logical volume \"vg/x\"\n  Exiting.\nrc=0\n",
    );
    expect(shell.runLine('lvm </dev/null; echo rc=$?')).toBe(
      'Cannot read termcap database;\nusing dumb terminal settings.\n\nrc=0\n',
    );
    // A question would read the shell's next line: refused by name.
    expect(shell.runLine("printf 'lvcreate -L 4M -n lin vg\\nlvremove vg/lin\\n' | lvm 2>&1 | tail -1")).toBe(
      "thinlab: not modelled: an LVM question inside lvm's shell (it would read the shell's next line)\n",
    );
  });
});
