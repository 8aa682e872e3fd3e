/**
 * Pathname expansion, checked against `busybox sh` 1.35.0 (the oracle VM's shell) and the oracle
 * (fixtures/kernel/122-globbing): sorted by byte, hidden names, no match, quoting, set -f.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { type DirectoryReader, expandPathname } from './glob.js';
import type { Segment } from './expand.js';

const run = (script: string): string => new LabShell({ ramdiskKb: 4096 }).runScript(script);

/** A small tree: /d holds files and one directory. */
const TREE: Record<string, string[]> = { '/': ['d'], '/d': ['b', 'a', '.h', 'Z1', '_x', '1', 'sub'], '/d/sub': ['x'] };
const reader: DirectoryReader = {
  entries: (dir) => TREE[dir.replace(/\/+$/, '') || '/'] ?? null,
  kind: (path) => {
    const p = path.replace(/\/+$/, '') || '/';
    if (TREE[p] !== undefined) return 'dir';
    const parent = p.slice(0, p.lastIndexOf('/')) || '/';
    return TREE[parent]?.includes(p.slice(p.lastIndexOf('/') + 1)) === true ? 'file' : null;
  },
};
const word = (text: string, quoted = false): Segment[] => [{ kind: 'text', text, quoted, split: false }];

describe('expandPathname', () => {
  it('sorts matches by byte, as strcmp in the C locale', () => {
    expect(expandPathname(word('/d/*'), reader)).toEqual(['/d/1', '/d/Z1', '/d/_x', '/d/a', '/d/b', '/d/sub']);
  });

  it('matches a leading dot only with a literal dot, and then . and .. too', () => {
    expect(expandPathname(word('/d/.*'), reader)).toEqual(['/d/.', '/d/..', '/d/.h']);
    expect(expandPathname(word('/d/[.]*'), reader)).toEqual(['/d/[.]*']);
  });

  it('keeps the pattern when nothing matches, and a quoted pattern as it is', () => {
    expect(expandPathname(word('/d/nosuch*'), reader)).toEqual(['/d/nosuch*']);
    expect(expandPathname(word('/d/*', true), reader)).toEqual(['/d/*']);
  });

  it('walks directories, requires later literal parts to exist, and a trailing slash keeps directories', () => {
    expect(expandPathname(word('/*/sub/x'), reader)).toEqual(['/d/sub/x']);
    expect(expandPathname(word('/*/nosuch'), reader)).toEqual(['/*/nosuch']);
    expect(expandPathname(word('/d/*/'), reader)).toEqual(['/d/sub/']);
  });

  it('takes bracket expressions with ranges, negation and classes', () => {
    expect(expandPathname(word('/d/[a-b]'), reader)).toEqual(['/d/a', '/d/b']);
    expect(expandPathname(word('/d/[!a-z]*'), reader)).toEqual(['/d/1', '/d/Z1', '/d/_x']);
    expect(expandPathname(word('/d/[[:upper:]]*'), reader)).toEqual(['/d/Z1']);
    expect(expandPathname(word('/d/[a'), reader)).toEqual(['/d/[a']);
  });
});

describe('globbing in the lab shell', () => {
  it('expands device paths, in for loops and set --, not in case words or quotes', () => {
    const out = run(
      [
        'echo /dev/ram*',
        'for d in /dev/ram?; do echo "d=$d"; done',
        'set -- /dev/loop[0-2]; echo "$# $1"',
        'case /dev/ram* in "/dev/ram*") echo literal;; esac',
        'echo "/dev/ram*" /dev/ram\\*',
      ].join('\n'),
    );
    expect(out).toBe('/dev/ram0 /dev/ram1\nd=/dev/ram0\nd=/dev/ram1\n3 /dev/loop0\nliteral\n/dev/ram* /dev/ram*\n');
  });

  it('expands what an unquoted expansion yields, and set -f turns it off ($- shows f)', () => {
    expect(run('p=\'/dev/ram*\'; echo $p; echo "$p"; set -f; echo $p $-; set +f; echo $p')).toBe(
      '/dev/ram0 /dev/ram1\n/dev/ram*\n/dev/ram* f\n/dev/ram0 /dev/ram1\n',
    );
  });

  it('never expands a redirection target', () => {
    expect(run('echo a > /tmp/Z1; echo b > /tmp/Z*; echo /tmp/*; cat "/tmp/Z*"')).toBe('/tmp/Z* /tmp/Z1\nb\n');
  });

  it('lists /dev/mapper as the devices are made', () => {
    expect(run('echo /dev/mapper/*; dmsetup create z --table "0 8 zero" && dmsetup mknodes; echo /dev/mapper/*')).toBe(
      '/dev/mapper/control\n/dev/mapper/control /dev/mapper/z\n',
    );
  });
});
