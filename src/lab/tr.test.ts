import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { latin1Bytes, latin1Text } from '../shared/bytes.js';
import { trPlan, trTranslate } from './tr.js';

/** tr over the whole input at once; trStream applies the same plan a chunk at a time. */
const run = (argv: string[], input: string) => {
  const plan = trPlan(argv, 'debian12');
  if (typeof plan === 'string') return { out: '', err: plan.split('\n')[0], status: 1 };
  return { out: latin1Text(trTranslate(plan, latin1Bytes(input), { last: -1 })), err: '', status: 0 };
};

/**
 * Each case with what the oracle VM's busybox (BusyBox v1.35.0, Debian 1:1.35.0-4+deb12u1+b1)
 * printed for it: the same binary as Debian 12's busybox package, run by hand on 2026-12-06.
 */
const CASES: ReadonlyArray<readonly [string[], string, string, number]> = [
  [['-c', 'a-z\\n', '_'], 'hello, world 123\n', 'hello__world____\n', 0],
  [['[:upper:]', '[:lower:]'], 'Hello World', 'hello world', 0],
  [['-s', 'a-c'], 'aabbccdd', 'abcdd', 0],
  [['-cd', '[:digit:]'], 'a1b2', '12', 0],
  [['-cs', 'a-z', '\\n'], 'hello,,  world 123\n', 'hello\nworld\n', 0],
  [['-s', 'ab', 'xy'], 'aabbcc\n', 'xycc\n', 0],
  [['-ds', 'a', ' '], 'aa  bb\n', ' bb\n', 0],
  [['-c', 'a-z'], 'hello\n', 'hello\n', 0],
  [['-C', 'a', 'x'], 'abc', 'axx', 0],
  [['\\t', '\\n'], 'tab\tx', 'tab\nx', 0],
  [['--', '-a', 'x'], 'abc', 'xbc', 0],
  [['a-', 'xy'], 'a-b', 'xyb', 0],
  [['\\x79', 'Q'], 'xyz', 'xQz', 0],
  [['[=a=]', 'Z'], 'a]b[', 'Z]b[', 0],
];

describe('tr, as busybox runs it', () => {
  it.each(CASES)('tr %j', (argv, input, output, status) => {
    const r = run([...argv], input);
    expect(r.out).toBe(output);
    expect(r.status).toBe(status);
  });

  it('refuses an option busybox does not have, and an empty STRING2, with its messages', () => {
    expect(run(['-t', 'a', 'b'], 'a')).toEqual({ out: '', err: "tr: invalid option -- 't'", status: 1 });
    expect(run(['abc', ''], 'a')).toEqual({ out: '', err: 'tr: STRING2 cannot be empty', status: 1 });
    expect(run([], 'a').err).toBe('BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.');
    expect(run([], 'a').status).toBe(1);
  });

  // Where the host has busybox (Debian 12's is the VM's version), every case agrees with it byte for byte.
  it.runIf(existsSync('/usr/bin/busybox'))('agrees with the host busybox on every case', () => {
    for (const [argv, input] of CASES) {
      const real = execFileSync('/usr/bin/busybox', ['tr', ...argv], { input: latin1Bytes(input) });
      expect(run([...argv], input).out, `tr ${argv.join(' ')}`).toBe(latin1Text(new Uint8Array(real)));
    }
  });

  it('squeezes across the chunks of a stream', () => {
    const plan = trPlan(['-s', 'a'], 'debian12');
    if (typeof plan === 'string') throw new Error(plan);
    const state = { last: -1 };
    const out = [trTranslate(plan, latin1Bytes('xaa'), state), trTranslate(plan, latin1Bytes('aab'), state)];
    expect(out.map(latin1Text).join('')).toBe('xab');
  });
});
