/**
 * busybox grep, sed, sort and dd over bounded pipes (issue 17 item 3): each streams as busybox
 * does, so a pipeline whose last command ends early ends at once with the VM's statuses
 * (fixtures/kernel/147-stream-filters), and sort is killed where its lines fill the VM's memory.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';
import { sortLineBytes } from './line-filters.js';

const run = (script: string): string => new LabShell({ ramdiskKb: 4096 }).runScript(script);

/**
 * Runs `script` under a budget of 20,000 steps (a step per command and per 512 bytes written): an
 * endless writer that the pipeline's end does not stop ends in the budget's message instead of
 * the expected output. No test here times anything; their speed is in `npm run bench`.
 */
const bounded = (script: string): string => new LabShell({ ramdiskKb: 4096, maxSteps: 20_000 }).runScript(script);

/** A pipeline's statuses, each command's written to /tmp as it ends (ash has no PIPESTATUS). */
const statuses = (a: string, b: string, c: string): string =>
  `{ ${a}; echo $? > /tmp/s1; } | { ${b}; echo $? > /tmp/s2; } | ${c}; echo "status $? $(cat /tmp/s1) $(cat /tmp/s2)"`;

describe('grep, sed and dd stream over pipes', () => {
  it('ends `yes | grep y | head -n 3` at once; grep and yes die of SIGPIPE (141)', () => {
    expect(bounded(statuses('yes', 'grep y', 'head -n 3'))).toBe('y\ny\ny\nstatus 0 141 141\n');
  });

  it('ends `yes | sed s/y/n/ | head -n 2` and `seq 1 1000000000 | grep 7 | head -n 1` at once', () => {
    expect(bounded(statuses('yes', 'sed s/y/n/', 'head -n 2'))).toBe('n\nn\nstatus 0 141 141\n');
    expect(bounded(statuses('seq 1 1000000000', 'grep 7', 'head -n 1'))).toBe('7\nstatus 0 141 141\n');
  });

  it('stops reading at `grep -q` and `sed Nq`, so an endless writer ends', () => {
    expect(run('{ yes; echo $? > /tmp/s1; } | grep -q y; echo "status $? $(cat /tmp/s1)"')).toBe('status 0 141\n');
    expect(run('{ yes; echo $? > /tmp/s1; } | sed 2q; echo "status $? $(cat /tmp/s1)"')).toBe('y\ny\nstatus 0 141\n');
    // busybox grep -q exits 0 at its first match even after a file it could not open.
    expect(run('echo y | grep -q y /nonexist -; echo $?')).toBe('grep: /nonexist: No such file or directory\n0\n');
    expect(run('echo n | grep -q y /nonexist -; echo $?')).toBe('grep: /nonexist: No such file or directory\n2\n');
  });

  it('ends `dd if=/dev/zero bs=1M | head -c 5`: dd dies of SIGPIPE without its record counts', () => {
    const out = run(
      '{ dd if=/dev/zero bs=1M 2>/tmp/e; echo $? > /tmp/s1; } | head -c 5 | od -c; echo "status $? dd $(cat /tmp/s1)"; cat /tmp/e',
    );
    expect(out).toBe('0000000  \\0  \\0  \\0  \\0  \\0\n0000005\nstatus 0 dd 141\n');
    expect(run('dd if=/dev/zero bs=1M 2>/dev/null | dd bs=1k count=3 2>&1 | wc -c')).toBe('3103\n');
  });

  it('reads a pipe as busybox dd does: what the pipe holds, a record at a time', () => {
    expect(run('{ yes; echo $? > /tmp/s1; } | dd bs=4 count=1; echo "status $? $(cat /tmp/s1)"')).toBe(
      'y\ny\n1+0 records in\n1+0 records out\nstatus 0 141\n',
    );
    // Two writes already in the pipe are one read, a partial record.
    expect(run('{ echo a; echo b; } | dd 2>&1')).toBe('a\nb\n0+1 records in\n0+1 records out\n');
    expect(run('printf abcdefghij | dd bs=3 2>&1')).toBe('abcdefghij3+1 records in\n3+1 records out\n');
    // skip= reads and drops whole blocks of standard input.
    expect(run('printf abcdefghij | dd bs=2 skip=2 2>/dev/null')).toBe('efghij');
  });

  it('leaves standard input alone when dd reads a file (if=)', () => {
    expect(
      run('printf "1\\n2\\n" | while read l; do dd if=/dev/zero bs=1 count=1 2>/dev/null | wc -c; echo $l; done'),
    ).toBe('1\n1\n1\n2\n');
  });
});

describe('grep and sed keep busybox output', () => {
  it('numbers and counts lines per file, a last line without newline included', () => {
    expect(run('printf "a\\nb\\na" > /tmp/f; grep -n a /tmp/f; grep -c a /tmp/f - < /tmp/f')).toBe(
      '1:a\n3:a\n/tmp/f:2\n-:2\n',
    );
  });

  it('sed ends a file without its newline only when no input follows, and a missing file is status 1', () => {
    // Both checked against the host's busybox 1.35.0.
    expect(run('printf x > /tmp/g; printf "a\\nb\\n" > /tmp/f; sed s/x/y/ /tmp/g /tmp/f | od -c')).toBe(
      '0000000   y  \\n   a  \\n   b  \\n\n0000006\n',
    );
    expect(run('printf "a\\nb" | sed s/b/c/ | od -c')).toBe('0000000   a  \\n   c\n0000003\n');
    expect(run('printf "a\\n" > /tmp/f; sed p /tmp/f /nonexist; echo $?')).toBe(
      'a\na\nsed: /nonexist: No such file or directory\n1\n',
    );
  });
});

describe('sort keeps its lines as busybox does', () => {
  it('costs the memory busybox 1.35.0 sort was measured to take per line (RSS growth over a million lines)', () => {
    // Lines of 2 (`y`), 8, 24, 25, 40 and 100 bytes, newline included: 44, 44, 60, 60, 76, 124 bytes each.
    expect([2, 8, 24, 25, 40, 100].map(sortLineBytes)).toEqual([44, 44, 60, 60, 76, 124]);
  });

  it('prints `Killed` for `yes | sort` (status 137), and a reader after it gets an empty input', () => {
    expect(run('yes | sort; echo "status $?"; yes | sort | head -n 1; echo "status $?"')).toBe(
      'Killed\nstatus 137\nKilled\nstatus 0\n',
    );
  });

  it('sorts what ends, with several files and a last line without newline', () => {
    expect(run('printf "b\\na" > /tmp/f; printf "c\\n" | sort /tmp/f -')).toBe('a\nb\nc\n');
    expect(run('seq 20000 | sort -rn | head -n 2')).toBe('20000\n19999\n');
  });
});

describe('awk and xargs over endless inputs', () => {
  it('reads awk records a line at a time: `exit` and a reader that has gone end an endless input', () => {
    expect(run(statuses('yes', "awk '{ print; exit }'", 'cat'))).toBe('y\nstatus 0 141 0\n');
    expect(run(statuses('yes', "awk '{ print NR }'", 'head -n 2'))).toBe('1\n2\nstatus 0 141 141\n');
    // A BEGIN-only program reads no input at all.
    expect(run("yes | awk 'BEGIN { print 1 }'; echo $?")).toBe('1\n0\n');
  });

  it('runs xargs a command line at a time, so an endless input ends with its reader even with little memory left', () => {
    const sh = new LabShell();
    sh.runScript(
      'dd if=/dev/zero of=/tmp/big bs=1M count=470 2>/dev/null; dd if=/dev/zero of=/run/big bs=1M count=380 2>/dev/null',
    );
    // xargs holds one command line (30,715 bytes for echo), never its whole input (fixtures/lvm/92).
    expect(sh.runScript(statuses('yes', 'xargs echo', 'head -c 2'))).toBe('y status 0 141 141\n');
  });
});
