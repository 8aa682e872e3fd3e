/**
 * Bracket expressions that span quoted characters, and backslashes that an unquoted expansion
 * yields, in patterns (pathname expansion, `case`, `${x#p}` and `${x//p/r}`): each line with what
 * the host's busybox 1.35.0 (the VM's Debian 12 build) printed for it, recorded by running it with
 * `busybox sh -c` in a directory holding the same six names, and compared with that busybox again
 * where the host has it. `/T/` is that directory: /tmp in the lab.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';

/** The names in /T/: a leading `-`, a backslash, both brackets. */
const touch = (dir: string): string =>
  `: > ${dir}/-x; : > ${dir}/ax; : > ${dir}/bx; : > '${dir}/\\y'; : > '${dir}/[z'; : > '${dir}/]w'`;

const CASES: readonly (readonly [string, string])[] = [
  ['echo /T/[\\-a]*', '/T/-x /T/ax\n'],
  ['echo /T/[\\\\-]*', '/T/-x /T/\\y\n'],
  ["echo /T/['-']*", '/T/-x\n'],
  ['echo /T/["-a"]*', '/T/-x /T/ax\n'],
  ['echo /T/[a\\-c]*', '/T/-x /T/ax\n'],
  ['echo /T/[\\]]*', '/T/]w\n'],
  ['echo /T/[\\\\]*', '/T/\\y\n'],
  ['echo /T/[!\\-]*', '/T/[z /T/\\y /T/]w /T/ax /T/bx\n'],
  ['echo /T/[\\!a]*', '/T/ax\n'],
  ['echo /T/[\\^a]*', '/T/ax\n'],
  ['echo /T/[\\a-c]*', '/T/ax /T/bx\n'],
  ['echo /T/[a-"c"]*', '/T/ax /T/bx\n'],
  ['echo /T/["a-c"]*', '/T/-x /T/ax\n'],
  ['echo /T/["[:alpha:]"]*', '/T/[z /T/]w /T/ax\n'],
  ['echo /T/[[:alpha:]\\-]*', '/T/-x /T/ax /T/bx\n'],
  ['echo /T/[\\[]*', '/T/[z\n'],
  ['echo /T/"["a]*', '/T/[a]*\n'],
  ['echo /T/[a"]"*', '/T/[a]*\n'],
  ["x='\\'; echo /T/[$x]*", '/T/[\\]*\n'],
  ["x='-'; echo /T/[a$x]*", '/T/-x /T/ax\n'],
  ["x='a-c'; echo /T/[$x]*", '/T/ax /T/bx\n'],
  ['x=\'a-c\'; echo /T/["$x"]*', '/T/-x /T/ax\n'],
  ['case x in [\\\\-]) echo A;; *) echo B;; esac', 'B\n'],
  ['case - in [\\\\-]) echo A;; *) echo B;; esac', 'A\n'],
  ['case "\\\\" in [\\\\-]) echo A;; *) echo B;; esac', 'A\n'],
  ['case - in [\\-]) echo A;; *) echo B;; esac', 'A\n'],
  ['case b in [a\\-c]) echo A;; *) echo B;; esac', 'B\n'],
  ['case b in [a"-"c]) echo A;; *) echo B;; esac', 'B\n'],
  ['case - in [a"-"c]) echo A;; *) echo B;; esac', 'A\n'],
  ['case b in [\\a-c]) echo A;; *) echo B;; esac', 'A\n'],
  ['case "]" in [!"]"]) echo A;; *) echo B;; esac', 'B\n'],
  ['case "a" in [!"]"]) echo A;; *) echo B;; esac', 'A\n'],
  ['case "!" in [\\!a]) echo A;; *) echo B;; esac', 'A\n'],
  ['case "b" in [\\!a]) echo A;; *) echo B;; esac', 'B\n'],
  ['case "]" in []]) echo A;; *) echo B;; esac', 'A\n'],
  ['case "]" in ["]"]) echo A;; *) echo B;; esac', 'A\n'],
  ['case ":" in ["[:alpha:]"]) echo A;; *) echo B;; esac', 'A\n'],
  ['v=-x; echo ${v#[\\\\-]}', 'x\n'],
  ['v=-x; echo ${v#[\\-]}', 'x\n'],
  ['v=a-b; echo ${v%[\\-]*}', 'a\n'],
  ['v=a-b; echo ${v//[\\-]/+}', 'a+b\n'],
  ['v=a-b; echo ${v//[a"-"]/+}', '++b\n'],
  ['v=a]b; echo ${v//[\\]]/+}', 'a+b\n'],
  ["x='\\a'; case a in $x) echo A;; *) echo B;; esac", 'A\n'],
  ["x='\\a'; case '\\a' in $x) echo A;; *) echo B;; esac", 'B\n'],
  ["x='\\'; case '\\' in $x) echo A;; *) echo B;; esac", 'B\n'],
  ["x='a\\'; case 'a\\' in $x) echo A;; *) echo B;; esac", 'B\n'],
  ["x='\\*'; case 'ab' in $x) echo A;; *) echo B;; esac", 'B\n'],
  ["x='\\*'; case '*' in $x) echo A;; *) echo B;; esac", 'A\n'],
  ["x='[\\]]'; case ']' in $x) echo A;; *) echo B;; esac", 'A\n'],
  ["x='\\\\'; case '\\' in $x) echo A;; *) echo B;; esac", 'A\n'],
  ["x='\\'; v='a\\b'; echo ${v#*$x}", 'a\\b\n'],
  ["x='\\*'; echo $x", '\\*\n'],
  ["x='/T/\\a*'; echo $x", '/T/ax\n'],
  ["x='/T/\\\\*'; echo $x", '/T/\\y\n'],
  ["x='\\-'; echo /T/[a$x]*", '/T/-x /T/ax\n'],
];

function lab(line: string): string {
  const shell = new LabShell({});
  shell.runLine(touch('/tmp'));
  return shell.runLine(line.replaceAll('/T/', '/tmp/')).replaceAll('/tmp/', '/T/');
}

describe('patterns with quoted characters, as busybox 1.35 matches them', () => {
  it.each(CASES)('%s', (line, expected) => {
    expect(lab(line)).toBe(expected);
  });

  it.runIf(existsSync('/usr/bin/busybox'))('the host busybox still prints what was recorded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'thinlab-bracket-'));
    try {
      spawnSync('sh', ['-c', touch(dir)]);
      for (const [line, expected] of CASES) {
        const real = spawnSync('/usr/bin/busybox', ['sh', '-c', line.replaceAll('/T/', `${dir}/`)], {
          encoding: 'latin1',
        });
        expect([line, real.stdout.replaceAll(`${dir}/`, '/T/')]).toEqual([line, expected]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
