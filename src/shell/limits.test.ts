/**
 * The lab shell's limits (issue 17, items 7-11): deep recursion and nesting, the step budget,
 * sizes and memory, and the text tools' results. Expected texts are busybox 1.35's where it has
 * one (checked with `busybox sh` and on the oracle VM: fixtures/kernel-probes/90-shell-limits),
 * else the lab's one-line message. None of these may throw.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { BUDGET_EXIT_STATUS, MAX_NESTING_LEVELS, NESTING_EXIT_STATUS } from './interp.js';
import { OUTPUT_LIMIT_CHARS } from './session.js';

const shell = (maxSteps?: number): LabShell =>
  new LabShell({ ramdiskKb: 4096, ...(maxSteps === undefined ? {} : { maxSteps }) });
const run = (script: string, maxSteps?: number): string => shell(maxSteps).runScript(script);
const nested = (open: string, inner: string, close: string, n: number): string =>
  open.repeat(n) + inner + close.repeat(n);

describe('recursion and nesting (defect 7)', () => {
  const recursive = 'f() { if [ $1 -gt 0 ]; then f $(($1-1)); fi; }';

  it('runs a function 200 and 2,000 calls deep, as busybox does', () => {
    expect(run(`${recursive}; f 200; echo done $?`)).toBe('done 0\n');
    expect(run(`${recursive}; f 2000; echo done $?`)).toBe('done 0\n');
  });

  it('stops runaway recursion with one line; a recording goes on with the next line', () => {
    const sh = shell();
    sh.runLine(recursive);
    const out = sh.runLine('f 100000');
    expect(out).toMatch(new RegExp(`^thinlab: line 1: shell nesting deeper than ${MAX_NESTING_LEVELS} levels`));
    expect(out.split('\n').length).toBe(2);
    expect(sh.lastStatus).toBe(String(NESTING_EXIT_STATUS));
    expect(sh.runLine('echo after')).toBe('after\n');
  });

  it('runs 1,000 nested ( ), { }, if and $(( )), and 400 nested $( )', () => {
    expect(run(nested('( ', 'echo hi', ' )', 1000))).toBe('hi\n');
    expect(run(nested('{ ', 'echo hi', '; }', 1000))).toBe('hi\n');
    expect(run(nested('if true; then ', 'echo hi', '; fi', 1000))).toBe('hi\n');
    expect(run(`echo ${nested('$((', '1', '))', 1000)}`)).toBe('1\n');
    expect(run(`echo ${nested('$((', '1', '+1))', 1000)}`)).toBe('1001\n');
    expect(run(`echo ${nested('$(echo ', 'hi', ')', 400)}`)).toBe('hi\n');
    expect(run(`echo $((${nested('(', '1', ')', 1000)}))`)).toBe('1\n');
  });

  it('refuses deeper nesting than the parser takes with a syntax error, and loses nothing else', () => {
    const sh = shell();
    const out = sh.runLine(nested('( ', 'echo hi', ' )', 20000));
    expect(out).toBe('/scenario.sh: line 1: syntax error: nested too deeply for the lab shell (about 1000 levels)\n');
    expect(sh.runLine('echo after')).toBe('after\n');
    expect(run(`echo $((${nested('(', '1', ')', 20000)}))\necho no`)).toBe(
      '/scenario.sh: line 1: expression nested too deeply for the lab (about 1000 levels)\n',
    );
  });
});

describe('the step budget (defect 10)', () => {
  it('stops an endless loop with a message and status 124; the script ends there', () => {
    const sh = shell(1000);
    const out = sh.runScript('echo start\nwhile true; do :; done\necho never');
    expect(out).toBe(
      'start\nthinlab: step budget of 1000 exhausted: a top-level command ran that many commands, ' +
        'a step per 512 bytes a command wrote (an endless loop?); the script stops here (--max-steps sets the budget)\n',
    );
    expect(sh.exitStatus).toBe(BUDGET_EXIT_STATUS);
  });

  it('counts each top-level command on its own, so a long script of short commands is not stopped', () => {
    const script = Array.from({ length: 30 }, (_, i) => `for i in 1 2 3 4 5 6 7 8; do x=${i}; done`).join('\n');
    expect(run(`${script}\necho $x`, 20)).toBe('29\n');
  });

  it('stops an endless loop inside a function, a subshell and a background job', () => {
    expect(run('f() { while :; do :; done; }; f; echo never', 500)).toMatch(/^thinlab: step budget of 500 exhausted/);
    expect(run('( while :; do :; done ); echo never', 500)).toMatch(/^thinlab: step budget of 500 exhausted/);
    expect(run('while :; do :; done & echo never', 500)).toMatch(/^thinlab: step budget of 500 exhausted/);
  });
});

describe('sizes and memory (defects 8 and 9)', () => {
  it('computes powers and constants with busybox 1.35 results (64-bit wrap, overflow reads as 0)', () => {
    expect(run('echo $((2 ** 99999999999)) $((2**63)) $((2**64)) $((-2**63 / -1))')).toBe(
      '0 -9223372036854775808 0 -9223372036854775808\n',
    );
    expect(
      run(
        'echo $((99999999999999999999)) $((18446744073709551615)) $((0x1ffffffffffffffff)) $((3**40)) $((-3**41)) $((2**3**2))',
      ),
    ).toBe('0 -1 0 -6289078614652622815 420491770248316829 512\n');
    expect(run('echo $((2**-1)); echo no')).toBe('/scenario.sh: line 1: exponent less than 0\n');
  });

  it("ends `x=$x$x` forever in the script's own shell with the lab's out-of-memory line and 137, never a RangeError", () => {
    // On the VM the OOM killer kills the shell (fixtures/kernel/141-memory-variable kills a subshell).
    const sh = shell();
    const out = sh.runScript('x=a; while true; do x=$x$x; done; echo no');
    expect(out).toMatch(/^thinlab: out of memory: .* needs \d+ MiB and the VM has \d+ MiB left .*status 137 .*\n$/);
    expect(out.split('\n').length).toBe(2);
    expect(sh.exitStatus).toBe(137);
  });

  it('fails printf "%1000000000s" and dd bs=100000000000 as a command, and the script goes on', () => {
    expect(run('printf "%1000000000s" x; echo " $?"')).toBe('sh: printf: out of memory\n 1\n');
    expect(run('dd if=/dev/zero of=/dev/null bs=100000000000 count=1; echo $?')).toBe('dd: out of memory\n1\n');
  });

  it('ends seq 1 1000000000 alone and into wc -l at the step budget, never a RangeError or a heap abort', () => {
    // Defects 8 and 9: seq past ~10^8 built its whole output (invalid string length), and
    // `seq 1 1000000000 | wc -l` grew to 2.5 GB. Now seq streams and pays a step per 512 bytes.
    const budget = /^thinlab: step budget of 2000 exhausted: .*--max-steps sets the budget\)\n$/;
    const alone = shell(2000).runScript('seq 1 1000000000; echo never');
    expect(alone.startsWith('1\n2\n3\n')).toBe(true);
    expect(alone.slice(alone.lastIndexOf('\n', alone.length - 2) + 1)).toMatch(budget);
    expect(alone.length).toBeLessThan(2000 * 512 + 1000);
    expect(run('seq 1 1000000000 | wc -l; echo never', 2000)).toMatch(budget);
    expect(run('seq 999999999999 1000000000001')).toBe('999999999999\n1000000000000\n1000000000001\n');
  });

  it('ends an endless echo loop at the step budget with what it printed so far', () => {
    const out = run('while :; do echo x; done; echo never', 1000);
    expect(out).toMatch(/^(x\n){100,999}thinlab: step budget of 1000 exhausted: /);
  });

  it('refuses to read /dev/zero to its end as a FILE argument, naming it', () => {
    // Defect 9: a FILE argument read from /dev/zero grew without bound (4.5 GB in 30 s).
    expect(run('wc -l /dev/zero; echo rc $?; grep x /dev/zero; echo rc $?')).toBe(
      'wc: /dev/zero: thinlab: not modelled: reading /dev/zero to its end (it has none)\nrc 1\n' +
        'grep: /dev/zero: thinlab: not modelled: reading /dev/zero to its end (it has none)\nrc 2\n',
    );
  });

  it('keeps at most OUTPUT_LIMIT_CHARS of one command and says so', () => {
    const out = run('seq 1 10000000');
    expect(out.length).toBeLessThan(OUTPUT_LIMIT_CHARS + 200);
    expect(out).toMatch(/\nthinlab: the command printed more than 64 MiB; .*\n$/);
  });
});

describe('text tools (defect 11)', () => {
  it('tail -c counts bytes, -n lines, and keeps a last line without a newline as it is', () => {
    expect(run("printf 'abcdef\\nxyz\\n' | tail -c 3 | od -c")).toBe('0000000   y   z  \\n\n0000003\n');
    expect(run("printf 'a\\nb\\nc\\nd' | tail -n 2 | od -c")).toBe('0000000   c  \\n   d\n0000003\n');
    expect(run("printf 'a\\nb\\nc\\nd\\n' | tail -n +3; printf 'a\\nb\\nc\\n' | head -n 2")).toBe('c\nd\na\nb\n');
  });

  it("tr -d '\\000' deletes NUL bytes", () => {
    expect(run("printf 'a\\0b\\0c' | tr -d '\\000' | od -c")).toBe('0000000   a   b   c\n0000003\n');
  });
});
