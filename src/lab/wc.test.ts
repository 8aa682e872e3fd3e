import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { latin1Bytes, latin1Text } from '../shared/bytes.js';
import { LabShell } from './lab-shell.js';

/** wc as the lab shell runs it (src/lab/commands/text.ts, text-streams.ts's wcStream), its input from a file. */
const run = (argv: string[], input: string) => {
  const sh = new LabShell();
  sh.lab.fs.provide('/tmp/in', latin1Bytes(input));
  const out = sh.runScript(`wc ${argv.join(' ')} < /tmp/in 2>/tmp/err; echo "status $?"; cat /tmp/err`);
  const m = /^([\s\S]*)status (\d+)\n([\s\S]*)$/.exec(out)!;
  return { out: m[1]!, err: m[3]!.split('\n')[0], status: Number(m[2]) };
};

/** What the host's busybox (BusyBox v1.35.0, Debian 1:1.35.0-4+deb12u1+b1, the VM's build) printed, 2026-12-06. */
const CASES: ReadonlyArray<readonly [string[], string, string]> = [
  [[], 'ab\n', '        1         1         3\n'],
  [['-l'], 'ab\ncde\n', '2\n'],
  [['-lc'], 'ab\ncde\n', '        2         7\n'],
  [['-cm'], 'ab\ncde\n', '        7         7\n'],
  [['-L'], 'ab\ncd', '2\n'],
  [['-lwcL'], 'ab\ncde\n', '        2         2         7         3\n'],
  [['-L'], 'a\tb\n', '9\n'],
];

describe('wc, as busybox runs it', () => {
  it.each(CASES)('wc %j', (argv, input, output) => {
    expect(run([...argv], input).out).toBe(output);
  });

  it('refuses an option busybox does not have, with its message', () => {
    expect(run(['-x'], 'a')).toEqual({ out: '', err: "wc: invalid option -- 'x'", status: 1 });
  });

  it.runIf(existsSync('/usr/bin/busybox'))('agrees with the host busybox on every case', () => {
    for (const [argv, input] of CASES) {
      const real = execFileSync('/usr/bin/busybox', ['wc', ...argv], { input: latin1Bytes(input) });
      expect(run([...argv], input).out, `wc ${argv.join(' ')}`).toBe(latin1Text(new Uint8Array(real)));
    }
  });
});
