/**
 * The lines the shell campaign found at full size in session 8 (`npm run reliability -- --campaign
 * shell --seed 17 --cases 100000`, docs/reliability.md), each made again from its seed and line
 * and held to what busybox 1.35 prints (the host's busybox 1.35.0, the VM's Debian build, ran each
 * by hand). Before the fixes each was an internal error (a JavaScript exception out of the shell)
 * or a hang (10 s of CPU and still running).
 */
import { describe, expect, it } from 'vitest';
import { fixtureLines, shellLine } from '../reliability/shell-lines.js';
import { LabShell } from '../src/lab/lab-shell.js';

const corpus = fixtureLines();

/** Line `index` of seed 17, run as the campaign runs it (its step budget of 100,000). */
function campaignLine(index: number): { text: string; out: string } {
  const text = shellLine(corpus, 17, index);
  return { text, out: new LabShell({ maxSteps: CAMPAIGN_MAX_STEPS }).runLine(text) };
}

const CAMPAIGN_MAX_STEPS = 100_000;

describe('shell campaign regressions, seed 17', () => {
  it('line 17760 and 73467: a bracket range written backwards matches nothing, as in busybox, not a SyntaxError', () => {
    const a = campaignLine(17760);
    expect(a.text).toBe('echo /dev/ram* /dev/loop[0x7fffffff-3] /dev/dm-*');
    // 0, x, 7 and f are in the bracket; the range f-3 is empty.
    expect(a.out).toBe('/dev/ram0 /dev/ram1 /dev/loop0 /dev/loop7 /dev/dm-*\n');
    const b = campaignLine(73467);
    expect(b.text).toBe('echo /dev/ram* /dev/loop[9223372036854775807-3] /dev/dm-*');
    expect(b.out).toBe(
      '/dev/ram0 /dev/ram1 /dev/loop0 /dev/loop2 /dev/loop3 /dev/loop4 /dev/loop5 /dev/loop6 /dev/loop7 /dev/dm-*\n',
    );
  });

  it('line 23843: an invalid option after a refused one is busybox usage error, not an escaped refusal', () => {
    const { text, out } = campaignLine(23843);
    expect(text).toBe("printf 'x\\0y z\\0' | xargs -0x7fffffff -n1 echo");
    expect(out).toMatch(
      /^xargs: invalid option -- '7'\nBusyBox v1\.35\.0 .*\n\nUsage: xargs \[OPTIONS\] \[PROG ARGS\]\n/,
    );
  });

  it('line 65317: dd from /dev/urandom to /dev/null for 12 PB is refused by name at once', () => {
    const { text, out } = campaignLine(65317);
    expect(text).toBe('dd if=/dev/urandom of=/dev/null bs=4k count=3055464578907 2>/dev/null; echo "rc=$?"');
    expect(out).toBe('rc=1\n');
  });

  it('lines 82066 and 86368: dd of one-byte records to a device or a file ends at the step budget, a step a record', () => {
    const budgetSpent = `thinlab: step budget of ${CAMPAIGN_MAX_STEPS} exhausted:`;
    const a = campaignLine(82066);
    expect(a.text).toBe('dd if=/dev/zero of=/dev/ram0 bs=1');
    expect(a.out.startsWith(budgetSpent)).toBe(true);
    const b = campaignLine(86368);
    expect(b.text).toBe('echo hi > /tmp/small; dd if=/patterns/A of=/tmp/big bs=1');
    expect(b.out.startsWith(budgetSpent)).toBe(true);
    // Under the budget the records are counted as before: the copy runs whole.
    const small = new LabShell({ maxSteps: 1_000 }).runLine('dd if=/dev/zero of=/tmp/f bs=1 count=990; echo "rc=$?"');
    expect(small).toBe('990+0 records in\n990+0 records out\nrc=0\n');
    const over = new LabShell({ maxSteps: 1_000 }).runLine('dd if=/dev/zero of=/tmp/f bs=1 count=1001; echo never');
    expect(over).toMatch(/^thinlab: step budget of 1000 exhausted:/);
  });

  it('lines 66526 and 66956: a field number past int is a negative field, as busybox awk reads it', () => {
    const a = campaignLine(66526);
    expect(a.text).toBe(`printf 'a b\\nc d e\\n' | awk '{ print NF ": " $NF; $9223372036854775807 = "X"; print }'`);
    expect(a.out).toBe('2: b\nawk: cmd. line:1: Access to negative field\n');
    // The field assigned to is read before the value: negative, not out of memory.
    const b = campaignLine(66956);
    expect(b.text).toBe(`printf 'a b c\\n' | awk 'BEGIN { OFS = "-" } { $18446744073709551616 = $1000000000; print }'`);
    expect(b.out).toBe('awk: cmd. line:1: Access to negative field\n');
  });
});

describe('shell campaign regressions, seed 17, session 9 (lines 87,537-99,999)', () => {
  it('lines 92269 and 98543: an awk loop of 10^9 iterations ends at the step budget, a step an iteration', () => {
    const budgetSpent = `thinlab: step budget of ${CAMPAIGN_MAX_STEPS} exhausted:`;
    for (const [index, bound] of [
      [92269, '99999999999999999999999'],
      [98543, '1e9'],
    ] as const) {
      const { text, out } = campaignLine(index);
      expect(text).toBe(
        `awk 'BEGIN { x = 5; if (x > 3) print "big"; else print "small"; while (x > 3) x--; print x; for (i = 0; i < ${bound}; i++) printf "%d ", i; print "" }'`,
      );
      expect(out.startsWith('big\n3\n0 1 2 3 ')).toBe(true);
      expect(out).toContain(budgetSpent);
    }
  });

  it('an awk loop into a reader that goes away dies of SIGPIPE at its next write, as busybox awk does', () => {
    // The host's busybox 1.35.0 prints the same 30 bytes, and its awk's status is 141.
    const out = new LabShell({ maxSteps: CAMPAIGN_MAX_STEPS }).runLine(
      `{ awk 'BEGIN { for (i = 0; i < 1e9; i++) printf "%d ", i }'; echo $? > /tmp/rc; } | head -c 30; echo; cat /tmp/rc`,
    );
    expect(out).toBe('0 1 2 3 4 5 6 7 8 9 10 11 12 1\n141\n');
  });
});

describe("busybox awk's field limits, beside the campaign's lines", () => {
  const run = (script: string): string => new LabShell({ maxSteps: 100_000 }).runScript(script);

  it('past 0xffffff fields busybox dies `awk: out of memory`; a negative NF is its syntax error; `$-1` parses', () => {
    expect(run(`echo a | awk '{ $1000000000 = "x"; print "done" }'; echo rc=$?`)).toBe('awk: out of memory\nrc=1\n');
    expect(run(`echo a | awk '{ x = $16777216; print "read", NF }'; echo rc=$?`)).toBe('awk: out of memory\nrc=1\n');
    expect(run(`echo a | awk '{ x = $16777215; print "read", NF }'; echo rc=$?`)).toBe('read 1\nrc=0\n');
    expect(run(`echo a b | awk '{ NF = 16777216 }'; echo rc=$?`)).toBe('awk: out of memory\nrc=1\n');
    expect(run(`echo a b | awk '{ NF = -1 }'; echo rc=$?; echo a b | awk '{ NF = 4294967296 }'; echo rc=$?`)).toBe(
      'awk: cmd. line:1: NF set to negative value\nrc=1\nawk: cmd. line:1: NF set to negative value\nrc=1\n',
    );
    expect(run(`echo a b | awk '{ $-1 = 1 }'; echo rc=$?; echo a b | awk '{ print $-1 }'; echo rc=$?`)).toBe(
      'awk: cmd. line:1: Access to negative field\nrc=1\nawk: cmd. line:1: Access to negative field\nrc=1\n',
    );
    expect(run(`echo a b c | awk '{ print $-0+2; print $!0; print $+2; print $-0.5 }'`)).toBe('2\na\nb\na b c\n');
    expect(run(`echo a b | awk '{ $5 = "e"; print; print NF }'`)).toBe('a b   e\n5\n');
  });

  it('dd without end between /dev/zero and /dev/null is refused past 4 GiB; up to it, it copies', () => {
    expect(run('dd if=/dev/zero of=/dev/null; echo rc=$?')).toBe(
      'thinlab: not modelled: dd copying without a count from /dev/zero to /dev/null (the lab copies at most 4 GiB from a device without end in one command)\nrc=1\n',
    );
    expect(run('dd if=/dev/zero of=/dev/null bs=1M count=4 2>/dev/null; echo rc=$?')).toBe('rc=0\n');
  });

  it('a refusal thrown inside a command that runs as a generator (xargs reading its options) is its output and status 2', () => {
    // Before the registry guarded a generator's steps, this escaped the shell as a CommandFailed.
    expect(run('echo a | xargs -x echo; echo rc=$?; echo a | xargs -P4 echo; echo rc=$?')).toBe(
      'thinlab: not modelled: xargs -x\nrc=2\nthinlab: not modelled: xargs -P\nrc=2\n',
    );
  });
});
