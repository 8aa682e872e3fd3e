import { describe, expect, it } from 'vitest';
import { busyboxAndLab, hasHostBusybox } from './busybox-test-support.js';
import { LabShell } from './lab-shell.js';

const run = (text: string) => new LabShell({ ramdiskKb: 1024 }).runScript(text);

const PATHS = ['', '/', '//', '///', '//a', '///a/b', 'a', 'a/', '/a', '/a/', '/a/b', 'a/b/', 'a//b//', '.', '..'];
const MORE = ['./x', '../x', "'a b/c'", '/usr/lib', '/usr/', 'x.sh', '/d/x.sh/'];

/** Each path alone, quoted for the shell. */
const ONE_PATH = [...PATHS.map((p) => `'${p}'`), ...MORE];

const BASENAME = [
  ...ONE_PATH,
  'x.sh .sh',
  'x.sh x.sh',
  '/d/x.sh/ .sh',
  '.sh .sh',
  'a.b.c .c',
  'x y z',
  '',
  '-a a/b c/d/',
  '-a',
  '-s .sh a.sh b.sh/ .sh',
  '-s .sh',
  '-s',
  '-as .c x.c -a',
  '-- -a',
  '-x a',
  '--suffix=.c a.c',
  '--help',
  'a -s .x',
];

const DIRNAME = [...ONE_PATH, '', 'a b', '-- a/b', '-- -- a', '-x/y', '--', '--help', '--help x'];

/** nproc's errors; its count is the VM's (1 CPU), which the host's need not be. */
const NPROC_ERRORS = [
  '--ign=x',
  '--ignore',
  '--all=1',
  '--foo',
  '-a',
  '--ignore=-1',
  '--ignore=',
  '--ignore=4294967296',
];

/** tee over standard input, with files the host can write too (no file of its own is touched). */
const TEE = [
  '',
  '-',
  '- -',
  '/dev/null',
  '-a /dev/null',
  '-i -a - /dev/null',
  '/nonexistent/x',
  '/nonexistent/x -',
  '-q',
  '--append',
  '--help',
  '/',
];

describe('basename, dirname, nproc and tee, as busybox 1.35 runs them', () => {
  it('strip a path as POSIX says, and count the VM one CPU', () => {
    expect(run('basename /usr/lib/x.so .so; dirname /usr/lib/; dirname //; nproc; nproc --all --ignore=3\n')).toBe(
      'x\n/usr\n//\n1\n1\n',
    );
  });

  it('tee writes, truncates and appends files, and a missing directory is an error that goes on', () => {
    expect(
      run(
        'echo a | tee /tmp/f; echo b | tee -a /tmp/f /nonexistent/g - >/dev/null; echo "rc=$?"; cat /tmp/f; echo c | tee /tmp/f >/dev/null; cat /tmp/f\n',
      ),
    ).toBe('a\ntee: /nonexistent/g: No such file or directory\nrc=1\na\nb\nc\n');
  });

  it("tee - reads what the pipe holds at once, so each copy comes whole (the host busybox's order)", () => {
    expect(run('for i in a b; do echo "$i"; done | tee -a - /dev/null\n')).toBe('a\nb\na\nb\n');
  });

  it('tee stops with its reader, as SIGPIPE stops it', () => {
    expect(run('yes | tee /dev/null | head -n 2\n')).toBe('y\ny\n');
  });

  // Where the host has busybox (Debian 12's is the VM's version), every case agrees with it byte for byte.
  it.runIf(hasHostBusybox).each([
    ['basename', [null], BASENAME],
    ['dirname', [null], DIRNAME],
    ['nproc', [null], NPROC_ERRORS],
    ['tee', ['a\\nb', '', 'x\\0y\\n'], TEE],
  ] as const)('%s agrees with the host busybox on every case', (tool, inputs, options) => {
    const { busybox, lab } = busyboxAndLab(tool, inputs, options);
    expect(lab.length).toBe(busybox.length);
    for (const [k, text] of lab.entries()) expect(text).toBe(busybox[k]);
  });
});
