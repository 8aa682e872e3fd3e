import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { parseLvmArgs } from './lvm-options.js';
import { parseLvmUnits, reportSize } from './units.js';

function labWithPool(stack: 'debian12' | 'debian13' = 'debian12'): LabShell {
  const shell = new LabShell({ stack });
  for (const line of [
    'pvcreate /dev/ram0 >/dev/null',
    'vgcreate vg /dev/ram0 >/dev/null',
    'lvcreate -L 8M -T vg/pool >/dev/null',
    'lvcreate -V 16M -T vg/pool -n thin1 >/dev/null 2>&1',
  ])
    shell.runLine(line);
  return shell;
}

describe('LVM command lines', () => {
  it("gives an option another command has LVM's unrecognized option, as 2.03 parses each command with its own options", () => {
    const shell = labWithPool();
    expect(shell.runLine('vgcreate --chunksize 64k vg2 /dev/ram1; echo rc=$?')).toBe(
      "vgcreate: unrecognized option '--chunksize'\n  Error during parsing of command line.\nrc=3\n",
    );
    expect(shell.runLine('vgs -L 4M; echo rc=$?')).toBe(
      "vgs: invalid option -- 'L'\n  Error during parsing of command line.\nrc=3\n",
    );
    // Nothing was created by the refused command: one group, 60 MiB, 16 MiB of it the pool's (data,
    // metadata, spare). Without headings the columns keep the headings' widths (fixtures/lvm/101).
    expect(shell.runLine('vgs --noheadings')).toBe('  vg   1   2   0 wz--n- 60.00m 44.00m\n');
  });

  it('refuses by name an option LVM has for the command but the lab does not model, where it was called unrecognized or ignored', () => {
    const shell = labWithPool();
    expect(shell.runLine('lvs --rows vg; echo rc=$?')).toBe('thinlab: not modelled: lvs --rows\nrc=2\n');
    // vgs has --rows and --sort in LVM; the lab's vgs does not take them.
    expect(shell.runLine('vgs -O vg_name; echo rc=$?')).toBe('thinlab: not modelled: vgs --sort\nrc=2\n');
    expect(shell.runLine('lvcreate -an -L 4M -n x vg; echo rc=$?')).toBe(
      'thinlab: not modelled: lvcreate --activate\nrc=2\n',
    );
  });

  it('parses as getopt_long does: abbreviations, glued and clustered short options, dashes inside a long name', () => {
    const p = parseLvmArgs('lvs', ['--noheading', '-ao', 'lv_name', '--sep=,', 'vg'], '2.03.16');
    expect([...p.options.entries()]).toEqual([
      ['--noheadings', ['']],
      ['--all', ['']],
      ['--options', ['lv_name']],
      ['--separator', [',']],
    ]);
    expect(p.positional).toEqual(['vg']);
    expect(parseLvmArgs('lvextend', ['--use-policies', 'vg/pool'], '2.03.16').options.has('--usepolicies')).toBe(true);
    expect(parseLvmArgs('lvchange', ['-ay', 'vg/pool'], '2.03.16').options.get('--activate')).toEqual(['y']);
    expect(() => parseLvmArgs('lvs', ['--no'], '2.03.16')).toThrow(
      "lvs: option '--no' is ambiguous; possibilities: '--noheadings' '--nohints' '--nolocking' '--nosuffix'",
    );
  });

  it('knows the options one LVM version added: --headings is 2.03.31 only', () => {
    expect(() => parseLvmArgs('lvs', ['--headings', 'none'], '2.03.16')).toThrow(
      "lvs: unrecognized option '--headings'",
    );
    expect(() => parseLvmArgs('lvs', ['--headings', 'none'], '2.03.31')).toThrow(
      'thinlab: not modelled: lvs --headings',
    );
  });
});

describe('LVM report options', () => {
  it('prints vgs --units k as LVM does, where the option was parsed and ignored', () => {
    const shell = labWithPool();
    expect(shell.runLine('vgs --units k')).toBe(
      '  VG #PV #LV #SN Attr   VSize     VFree    \n  vg   1   2   0 wz--n- 61440.00k 45056.00k\n',
    );
    expect(shell.runLine('vgs --units 2; echo rc=$?')).toBe(
      "  Invalid units specification\n  Run `vgs --help' for more information.\nrc=3\n",
    );
  });

  it('prints lvs with --separator and --noheadings, and --reportformat json with 2.03.31 log', () => {
    const shell = labWithPool('debian13');
    expect(shell.runLine('lvs -o lv_name,lv_size --noheadings --separator , vg')).toBe(
      '  pool,8.00m\n  thin1,16.00m\n',
    );
    expect(shell.runLine('pvs --reportformat json')).toBe(
      '  {\n      "report": [\n          {\n              "pv": [\n' +
        '                  {"pv_name":"/dev/ram0", "vg_name":"vg", "pv_fmt":"lvm2", "pv_attr":"a--", "pv_size":"60.00m", "pv_free":"44.00m"}\n' +
        '              ]\n          }\n      ]\n      ,\n      "log": [\n      ]\n  }\n',
    );
  });

  it("reads --units as dm_units_to_factor and prints sizes as dm_size_to_string (LVM 2.03.16's figures, fixtures/lvm/97)", () => {
    const vg = 60 * 2048;
    const at = (u: string, suffix = true): string => reportSize(vg, parseLvmUnits(u)!, suffix);
    expect([at('h'), at('H'), at('b'), at('s'), at('k'), at('K'), at('g'), at('4k'), at('1m')]).toEqual([
      '60.00m',
      '62.91M',
      '62914560B',
      '122880S',
      '61440.00k',
      '62914.56K',
      '0.06g',
      '15360.00U',
      '60.00m',
    ]);
    expect([at('m', false), at('r', false), reportSize(0, parseLvmUnits('k')!, true)]).toEqual([
      '60.00',
      '60.00m',
      '0k',
    ]);
    // r (LVM's default) marks a figure rounded up; h does not.
    expect([
      reportSize(64 * 2048 - 1, parseLvmUnits('r')!, true),
      reportSize(64 * 2048 - 1, parseLvmUnits('h')!, true),
    ]).toEqual(['<64.00m', '64.00m']);
    expect(['2', 'x', 'kb', '0k'].map(parseLvmUnits)).toEqual([null, null, null, null]);
  });
});

describe('LVM commands the lab does not run', () => {
  it('refuses the VM has as not modelled, status 127, where the shell said not found', () => {
    const shell = labWithPool();
    const out = shell.runLine('pvresize /dev/ram1; echo rc=$?');
    expect(out).toMatch(/^thinlab: not modelled: pvresize \(supported: .*\)\nrc=127\n$/);
    expect(shell.runLine('lvm pvresize /dev/ram1; echo rc=$?')).toBe('thinlab: not modelled: lvm pvresize\nrc=2\n');
    // A name neither VM has stays unknown.
    expect(shell.runLine('lvscan 2>&1; echo rc=$?')).toMatch(/lvscan: not found\nrc=127\n$/);
  });
});
