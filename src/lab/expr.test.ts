import { describe, expect, it } from 'vitest';
import { busyboxAndLab, hasHostBusybox } from './busybox-test-support.js';
import { LabShell } from './lab-shell.js';

/** expr's arguments, each case one command line (quoted for sh). */
const CASES = [
  '1 + 2',
  '7 - 10',
  "5 '*' 3",
  '7 / 2',
  '-7 / 2',
  '7 % 3',
  '-7 % 3',
  '9223372036854775807 + 1',
  '-9223372036854775808 - 1',
  '4611686018427387904 "*" 4',
  '99999999999999999999 + 0',
  '-99999999999999999999 + 0',
  '5 / 0',
  '5 % 0',
  'a + 1',
  "' 5' + 1",
  "'5 ' + 1",
  '+5 + 1',
  "'' + 1",
  "5 '<' 10",
  "a '<' b",
  "a '<' B",
  "10 '<' 9",
  "10 '<' 9a",
  "' 5' = 5",
  "' 5' = ' 5x'",
  "2 '<=' 1",
  "3 '>=' 3",
  "3 '>' 3",
  'a = a',
  'a == a',
  "a '!=' a",
  '01 = 1',
  "abc : 'a\\(.\\)'",
  "abc : 'b'",
  "abc : '^ab'",
  "abc : 'a*'",
  "abc : 'x*'",
  "abc : '\\(x*\\)'",
  "abc : '\\(x\\)*'",
  "abc : '.*'",
  "'a.b' : 'a\\.b'",
  "abcabc : '\\(abc\\)\\1'",
  "abc : '[a-b]*'",
  "abc : '[[:alpha:]]\\{2\\}'",
  "abc : '\\('",
  "abc : 'a\\)'",
  "abc : 'a\\'",
  "x : ''",
  "123 : '[0-9]*'",
  '123 : 1',
  'length abcd',
  "length ''",
  'length length',
  'length 1 + 1',
  'substr abcdef 2 3',
  'substr abc 0 1',
  'substr abc 2 9',
  'substr abc 4 1',
  'substr abc 3 1',
  'substr abc x 1',
  'substr abc 1 -1',
  'substr abc 1 99999999999999999999',
  'index abc c',
  'index abcabc cb',
  "index abc ''",
  'index abc x',
  'match abc ab',
  "match abc '\\(b\\)'",
  'quote length',
  'quote',
  'length',
  'match',
  'substr abc',
  '0',
  "''",
  '00',
  '-0',
  '1 +',
  '',
  "'(' 1 ')'",
  "'(' 1",
  "')'",
  "'(' ')'",
  "'(' 1 + 2 ')' '*' 3",
  "1 + 2 '*' 3",
  "1 '|' 0",
  "0 '|' 0",
  "0 '|' ''",
  "'' '|' a",
  "0 '&' 1",
  "a '&' b",
  "a '&' ''",
  '1 2',
  '-- 1',
  '--help',
  '-x',
  "3 '<' 10 '=' 1",
  "1 + 1 = 2 '&' x : x",
  '2 + length abc',
  'x + length',
];

const run = (text: string) => new LabShell({ ramdiskKb: 1024 }).runScript(text);

describe('expr, as busybox 1.35 runs it', () => {
  it('computes, compares and matches, with the statuses 0, 1 and 2', () => {
    expect(run('expr 6 \\* 7; echo $?; expr 5 - 5; echo $?; expr 1 / 0; echo $?\n')).toBe(
      '42\n0\n0\n1\nexpr: division by zero\n2\n',
    );
    expect(run("expr /dev/mapper/pool : '/dev/mapper/\\(.*\\)'\n")).toBe('pool\n');
  });

  it('refuses the one division that traps, and an alternation, by name', () => {
    expect(run('expr -9223372036854775808 / -1; echo $?\n')).toContain('thinlab: not modelled: expr');
    expect(run("expr ab : 'a\\|ab'; echo $?\n")).toContain('thinlab: not modelled: expr');
  });

  // Where the host has busybox (Debian 12's is the VM's version), every case agrees with it byte for byte.
  it.runIf(hasHostBusybox)('agrees with the host busybox on every case', () => {
    const { busybox, lab } = busyboxAndLab('expr', [null], CASES);
    expect(lab.length).toBe(busybox.length);
    for (const [k, text] of lab.entries()) expect(text).toBe(busybox[k]);
  });
});
