import { describe, expect, it } from 'vitest';
import { busyboxAndLab, hasHostBusybox } from './busybox-test-support.js';
import { LabShell } from './lab-shell.js';

/** The inputs, as printf formats: repeats, blanks and fields, case, NULs, no final newline, nothing. */
const INPUTS = [
  'a\\na\\nb\\nc\\nc\\nc\\na\\n',
  'x 1\\ny 1\\n z  1\\nz 2\\nA\\na\\nab\\nAb\\n\\n\\n',
  'one\\ttwo three\\n one\\ttwo three\\nOne\\tTwo three\\nend',
  'a\\0b\\na\\0b\\nb\\0\\n\\n\\300\\n\\340\\n',
  '',
];

/** uniq's options, each run over every input. */
const OPTIONS = [
  '',
  '-c',
  '-d',
  '-u',
  '-du',
  '-cd',
  '-cu',
  '-i',
  '-ic',
  '-z',
  '-cz',
  '-f 1',
  '-f1 -c',
  '-f 2',
  '-f 9',
  '-s 1',
  '-s1 -c',
  '-s 3',
  '-w 1',
  '-w1 -c',
  '-w 0',
  '-w 2 -s 1',
  '-f 1 -s 1 -w 1 -c',
  '-i -w 1',
  '-f 1 -f 0',
  '-c -- -',
  '-',
  '- -',
  '-c - -',
  '-f',
  '-f x',
  '-f -1',
  '-s 1k',
  "-w ''",
  '-w 2147483647',
  '-w 2147483648',
  '-w 4294967295',
  '-w 4294967296',
  '-w 010',
  '-f x -q',
  '-q -f x',
  '-q',
  '--count',
  '--help',
  '- - extra',
  '/nonexistent',
  '/nonexistent - extra',
  '/tmp',
  '- /nonexistent/out',
  '- /tmp',
  '-c - /dev/null',
];

const run = (text: string) => new LabShell({ ramdiskKb: 1024 }).runScript(text);

describe('uniq, as busybox 1.35 runs it', () => {
  it('prints each group once, counted, as -d and -u choose', () => {
    expect(run("printf 'a\\na\\nb\\nc\\nc\\nc\\n' | uniq -c\n")).toBe('      2 a\n      1 b\n      3 c\n');
    expect(run("printf 'a\\na\\nb\\n' | uniq -d; printf 'a\\na\\nb\\n' | uniq -u\n")).toBe('a\nb\n');
  });

  it('writes OUTFILE, and reads FILE', () => {
    expect(run("printf 'b\\nb\\na\\n' > /tmp/in; uniq /tmp/in /tmp/out; cat /tmp/out\n")).toBe('b\na\n');
  });

  it('holds one line, so an endless input ends with its reader', () => {
    expect(run('seq 1 1000000000 | uniq | head -n 2\n')).toBe('1\n2\n');
  });

  // Where the host has busybox (Debian 12's is the VM's version), every case agrees with it byte for byte.
  it.runIf(hasHostBusybox)('agrees with the host busybox on every case', () => {
    const { busybox, lab } = busyboxAndLab('uniq', INPUTS, OPTIONS);
    expect(lab.length).toBe(busybox.length);
    for (const [k, text] of lab.entries()) expect(text).toBe(busybox[k]);
  });
});
