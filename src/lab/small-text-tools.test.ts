import { describe, expect, it } from 'vitest';
import { busyboxAndLab, hasHostBusybox } from './busybox-test-support.js';
import { LabShell } from './lab-shell.js';

/**
 * Inputs as printf formats: lines, no final newline, NULs, blanks and tabs, long lines, nothing.
 * (No case goes without a standard input: the host's tool would read the rest of the script.)
 */
const INPUTS = [
  'a\\nb\\nc',
  'abc\\nd\\0ef\\n\\nxy',
  'one two three four five six seven\\n\\tx\\tyy\\tz\\n',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\n',
  'ab\\bcd\\refgh\\n',
  'hello',
  '',
];

/** Each tool with its options, over every input. */
const CASES: Record<string, string[]> = {
  tac: ['', '-', '- /dev/null', '/nonexistent', '/nonexistent /nonexistent2', '/tmp', '-x', '--', '--help'],
  rev: ['', '-', '/nonexistent', '/tmp', '-x'],
  fold: [
    '',
    '-w 5',
    '-w5',
    '-5',
    '-b -w 5',
    '-s -w 6',
    '-sw 3',
    '-w 1',
    '-w 0',
    '-w 10001',
    '-w x',
    '-w',
    '-s',
    '-b',
    '/nonexistent',
    '/tmp',
    '-q',
  ],
  base64: ['', '-w 10', '-w 0', '-w 1', '-w x', '-w', 'a b', '/nonexistent', '/tmp', '-q'],
  'base64 -d': ['', '-w 3'],
};

/** What base64 -d reads: groups, padding in the middle, skipped bytes, a cut group. */
const DECODE_INPUTS = [
  'aGVsbG8=\\n',
  'aGVs bG8=',
  'aGVsbG8',
  'aGV!sbG8=',
  'aGVsbG8=aGk=',
  'aGVs\\nbG8=\\n',
  'YQ==',
  'YQ=',
  'Y===',
  'YWJj',
  '=',
  '',
];

const run = (text: string) => new LabShell({ ramdiskKb: 1024 }).runScript(text);

describe('tac, rev, fold and base64, as busybox 1.35 runs them', () => {
  it('reverses lines and their order, folds, and encodes', () => {
    expect(run("printf 'a\\nb\\nc' | tac; printf 'abc\\n' | rev\n")).toBe('cb\na\ncba\n');
    expect(run("printf 'abcdefghij\\n' | fold -w 3; printf hello | base64; echo aGVsbG8= | base64 -d\n")).toBe(
      'abc\ndef\nghi\nj\naGVsbG8=\nhello',
    );
  });

  it("reverses bytes in the VM's C locale (the host's `env -i busybox rev` agrees)", () => {
    expect(run("printf 'ab\\303\\251c\\n\\300x\\n' | rev | od -c\n")).toBe(
      '0000000   c 251 303   b   a  \\n   x 300  \\n\n0000011\n',
    );
  });

  // Where the host has busybox (Debian 12's is the VM's version), every case agrees with it byte for byte.
  it.runIf(hasHostBusybox)('agrees with the host busybox on every case', () => {
    for (const [tool, options] of Object.entries(CASES)) {
      const inputs = tool === 'base64 -d' ? DECODE_INPUTS : INPUTS;
      const { busybox, lab } = busyboxAndLab(tool, inputs, options);
      expect(lab.length).toBe(busybox.length);
      for (const [k, text] of lab.entries()) expect(text).toBe(busybox[k]);
    }
  });
});
