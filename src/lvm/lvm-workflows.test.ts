/**
 * The repair workflows' commands beyond what the oracle transcripts (fixtures/lvm/86-90) pin down:
 * bad input refused with LVM's words and nothing lost, and `explain` for the lines LVM 2.03 prints.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { explain } from '../scenarios/explain.js';

const NO_MONITOR = "cat > /etc/lvm/lvm.conf <<'CONF'\nactivation { monitoring = 0 }\nCONF\n";

function run(shell: LabShell, lines: string): string {
  let out = '';
  for (const step of shell.steps(lines)) out += step.output;
  return out;
}

function poolWithThin(): LabShell {
  const shell = new LabShell({ ramdiskKb: 131072 });
  run(
    shell,
    `${NO_MONITOR}pvcreate /dev/ram1 >/dev/null; vgcreate vg /dev/ram1 >/dev/null
lvcreate -L 32M -T vg/pool >/dev/null 2>&1; lvcreate -V 16M -T vg/pool -n thin1 >/dev/null 2>&1`,
  );
  return shell;
}

describe('LVM repair workflows', () => {
  it('refuses a rename onto a taken name and leaves both volumes as they were', () => {
    const shell = poolWithThin();
    run(shell, 'lvcreate -L 8M -n lin vg >/dev/null');
    const before = run(shell, 'dmsetup ls; lvs -a');
    expect(run(shell, 'lvrename vg/lin vg/thin1; echo rc=$?')).toBe(
      '  Logical Volume "thin1" already exists in volume group "vg"\nrc=5\n',
    );
    expect(run(shell, 'dmsetup ls; lvs -a')).toBe(before);
  });

  it('renames a volume group with its active devices, keeping their numbers', () => {
    const shell = poolWithThin();
    expect(run(shell, 'vgrename vg vg2; echo rc=$?')).toBe('  Volume group "vg" successfully renamed to "vg2"\nrc=0\n');
    expect(run(shell, 'dmsetup ls')).toBe(
      'vg2-pool\t(254:3)\nvg2-pool-tpool\t(254:2)\nvg2-pool_tdata\t(254:1)\nvg2-pool_tmeta\t(254:0)\nvg2-thin1\t(254:4)\n',
    );
    expect(run(shell, 'dmsetup table vg2-thin1')).toBe('0 32768 thin 254:2 1\n');
  });

  it('refuses a restore from a backup of other volumes by name, and changes nothing', () => {
    const shell = poolWithThin();
    run(
      shell,
      'vgcfgbackup -f /tmp/before.txt vg >/dev/null; lvcreate -L 8M -n lin vg >/dev/null; vgchange -an vg >/dev/null',
    );
    const out = run(shell, 'vgcfgrestore -f /tmp/before.txt --force vg; echo rc=$?');
    expect(out).toMatch(/^thinlab: not modelled: vgcfgrestore of a backup whose volumes differ/);
    expect(out).toMatch(/rc=2\n$/);
    expect(run(shell, 'lvs --noheadings -o lv_name vg')).toBe('  lin  \n  pool \n  thin1\n');
  });

  it('restores an edited transaction id only with --force', () => {
    const shell = poolWithThin();
    run(shell, 'vgchange -an vg >/dev/null; vgcfgbackup -f /tmp/vg.txt vg >/dev/null');
    run(shell, "sed 's/transaction_id = 1$/transaction_id = 7/' /tmp/vg.txt > /tmp/edited.txt");
    expect(run(shell, 'vgcfgrestore -f /tmp/edited.txt vg; echo rc=$?')).toBe(
      '  Consider using option --force to restore Volume Group vg with thin volumes.\n  Restore failed.\nrc=5\n',
    );
    expect(run(shell, 'lvs --noheadings -o transaction_id vg/pool').trim()).toBe('1');
    run(shell, 'vgcfgrestore -f /tmp/edited.txt --force vg >/dev/null');
    expect(run(shell, 'lvs --noheadings -o transaction_id vg/pool').trim()).toBe('7');
  });

  it('explains what LVM 2.03 prints for a moved transaction id and a missing dm-thin-pool', () => {
    const moved = explain('  Thin pool vg-pool-tpool (254:2) transaction_id is 5, while expected 1.', []);
    expect(moved.next).toMatch(/vgcfgrestore --force/);
    expect(explain('  WARNING: Thin pool vg/pool has unexpected transaction id 5, expecting 1.', []).next).toMatch(
      /vgcfgrestore --force/,
    );
    const missing = explain("  Can't process LV vg/pool: thin-pool target support missing from kernel?", []);
    expect(missing.meaning).toMatch(/modprobe dm-thin-pool/);
  });
});
