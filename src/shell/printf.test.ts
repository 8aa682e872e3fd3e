import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printfBuiltin } from './builtins.js';

/** What the lab's printf writes, standard output and error in order, and its status. */
function lab(argv: readonly string[]): { printed: string; status: number } {
  const r = printfBuiltin(argv);
  return { printed: r.writes.map(([, text]) => text).join(''), status: r.status };
}

const BUSYBOX = '/usr/bin/busybox';

/** A word as the shell reads it back: single-quoted. */
const quoted = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * What busybox 1.35.0's ash prints for `printf ARGV... 2>&1` of each case, and its status: one
 * shell runs them all (a process per case costs seconds on a loaded machine), each followed by a
 * line with its status that no case prints.
 */
function busybox(cases: ReadonlyArray<readonly string[]>): Array<{ printed: string; status: number }> {
  const script = cases.map((argv) => `printf ${argv.map(quoted).join(' ')} 2>&1; echo "@@<$?>@@"\n`).join('');
  const out = execFileSync(BUSYBOX, ['sh', '-s'], { input: Buffer.from(script, 'latin1'), encoding: 'latin1' });
  const parts = out.split(/@@<([0-9]+)>@@\n/);
  return cases.map((_, k) => ({ printed: parts[2 * k]!, status: Number(parts[2 * k + 1]) }));
}

/** Numeric arguments: out of range, negative, not numbers, quoted characters, bases, blanks. */
const NUMBERS = [
  '99999999999999999999',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551615',
  '18446744073709551616',
  '-1',
  '-9223372036854775808',
  '-9223372036854775809',
  '-18446744073709551615',
  'abc',
  '12abc',
  "'a",
  '"a',
  "'",
  "' ",
  ' 5',
  '\t5',
  '5 ',
  '',
  '  ',
  '+5',
  '+-5',
  '-+5',
  '++5',
  '- 5',
  '-0x10',
  '0x',
  '0x1F',
  '0X1f',
  '0x-1',
  '010',
  '08',
  '00',
  '-0',
  '1e3',
  '-',
  '+',
  "'\xc3\xa9",
  '0xffffffffffffffff',
  '-0xffffffffffffffff',
  '0777777777777777777777',
  '01777777777777777777777',
  '02000000000000000000000',
];

/** Each numeric conversion over every argument above: the cases are [format, argument]. */
const NUMERIC_CASES: ReadonlyArray<readonly string[]> = ['d', 'i', 'u', 'o', 'x', 'X'].flatMap((conv) =>
  NUMBERS.map((n) => [`%${conv}|`, n]),
);

/** Flags, widths, precisions, missing arguments, %c of nothing, and the format reused. */
const FORMAT_CASES: ReadonlyArray<readonly string[]> = [
  ['%d|%x|%s|\\n'],
  ['%5d|%-5d|%05d|%+d|% d|%.3d|%#x|%#o|\\n', '-3', '-3', '-3', '3', '3', '-3', '0', '0'],
  ['%d %d\\n', '1', 'abc', '3'],
  ['%c|%3c|%-3c|\\n'],
  ['%c\\n', 'abc'],
  ['%05s|%-05d|%+u|%+x|% u|\\n', 'ab', '3', '3', '3', '3'],
  ['%#X %#x %.0d|\\n', '255', '0', '0'],
  ['%*d|%-*d|%.*d|\\n', '-4', '1', '3', '2', '-2', '7'],
  [
    '%#08x|%05.3d|%-05d|%#.0o|%.0x|%+.0d|%08.3x|%+05d|% 05d|%#5o|\\n',
    '255',
    '7',
    '3',
    '0',
    '0',
    '0',
    '255',
    '3',
    '3',
    '8',
  ],
  ['%s %b|\\n', 'a\\tb', 'a\\tb'],
];

describe('printf, as busybox 1.35 ash runs it', () => {
  it('takes a number out of range, or no number, as busybox does: invalid number, the value 0, status 1', () => {
    expect(lab(['%d\\n', '99999999999999999999'])).toEqual({
      printed: "sh: invalid number '99999999999999999999'\n0\n",
      status: 1,
    });
    expect(lab(['%d\\n', '12abc'])).toEqual({ printed: "sh: invalid number '12abc'\n0\n", status: 1 });
    expect(lab(['%x\\n', '-1'])).toEqual({ printed: 'ffffffffffffffff\n', status: 0 });
    expect(lab(['%d|\\n'])).toEqual({ printed: "sh: invalid number ''\n0|\n", status: 1 });
  });

  // Where the host has busybox (Debian 12's is the VM's version), every case agrees with it byte for byte.
  it.runIf(existsSync(BUSYBOX))('agrees with the host busybox on every case', () => {
    const cases = [...NUMERIC_CASES, ...FORMAT_CASES];
    const real = busybox(cases);
    for (const [k, argv] of cases.entries()) expect(lab(argv), `printf ${JSON.stringify(argv)}`).toEqual(real[k]);
  });
});
