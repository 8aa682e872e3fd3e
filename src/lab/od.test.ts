import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

const BUSYBOX = '/usr/bin/busybox';

/** The inputs, as printf formats: text with control and high bytes, and zeros that fold to `*`. */
const INPUTS = [
  'Hello, world!\\n\\001\\377\\200abcdefghijklmnopqrstuvwxyz0123',
  '\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0x',
];

/** od's options, each run over every input. */
const OPTIONS = [
  '',
  '-An -tx1',
  '-tx1',
  '-t x2',
  '-tx4',
  '-tx8',
  '-to1',
  '-to2',
  '-to4',
  '-to8',
  '-tu1',
  '-tu2',
  '-tu4',
  '-tu8',
  '-td1',
  '-td2',
  '-td4',
  '-td8',
  '-td',
  '-tx',
  '-tc',
  '-ta',
  '-b',
  '-c',
  '-d',
  '-o',
  '-x',
  '-i',
  '-l',
  '-s',
  '-h',
  '-a',
  '-bc',
  '-Ax -tx1',
  '-Ad -tx1',
  '-A n -c',
  '-tx1 -tc',
  '-tx2 -tc',
  '-tx8 -tx1',
  '-td1 -tx2',
  '-An -tx1 -ta',
  '-w8 -tx1',
  '-w -tx1',
  '-w5 -tx2',
  '-w0 -tx1',
  '-w4 -tx1 -tx2',
  '-v -tx1',
  '-vAn -tx1',
  '-j3 -N10 -tx1',
  '-N 0x10 -tx1',
  '-N 1k -tx1',
  '-j 010 -tx1',
  '-j 100 -tx1',
  '-N abc',
  '-txC',
  '-tdS',
  '-tuI',
  '-toL',
  '-tx3',
  '-tx1z',
  '-tx16',
  '-td0',
  '-tq',
  '-Aq',
  '-q',
];

/** One script that runs every case, each followed by a line with its status that no case prints. */
function script(od: string): string {
  return INPUTS.flatMap((input) =>
    OPTIONS.map((options) => `echo "## od ${options}"; printf '${input}' | ${od} ${options} 2>&1; echo "@@<$?>@@"\n`),
  ).join('');
}

describe('od, as busybox 1.35 runs it (od_bloaty)', () => {
  it('prints -t x1 with hex addresses, and folds repeated rows', () => {
    const shell = new LabShell({ ramdiskKb: 1024 });
    expect(
      shell.runScript("printf 'AB\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0' | od -Ax -t x1 -w2\n"),
    ).toBe('000000 41 42\n000002 00 00\n*\n000014\n');
  });

  // Where the host has busybox (Debian 12's is the VM's version), every case agrees with it byte for byte.
  it.runIf(existsSync(BUSYBOX))('agrees with the host busybox on every case', () => {
    const real = execFileSync(BUSYBOX, ['sh', '-s'], { input: script(`${BUSYBOX} od`), encoding: 'latin1' });
    const lab = new LabShell({ ramdiskKb: 1024 }).runScript(script('od'));
    const cases = (text: string) => text.split(/(?=^## od)/m);
    const want = cases(real);
    const got = cases(lab);
    expect(got.length).toBe(want.length);
    for (const [k, text] of got.entries()) expect(text).toBe(want[k]);
  });
});
