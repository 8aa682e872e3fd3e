import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConformError } from '../conform/conform-error.js';
import { missingToolsMessage, requireTools } from '../conform/host-tools.js';
import { cacheDirOf, parseConformOptions } from './conform-command.js';
import { UsageError } from './output.js';
import { runCli } from './run-cli.js';

const ARGS = {
  script: 's.sh',
  files: [],
  stack: undefined,
  ramdiskKb: undefined,
  cache: undefined,
  mirror: undefined,
  timeoutS: '300',
  json: false,
};
const ENV = { HOME: '/home/u' };

function capture() {
  let out = '';
  let err = '';
  return {
    io: { out: (t: string) => (out += t), err: (t: string) => (err += t), interactive: false },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

describe('conform options', () => {
  it('defaults to debian12, the XDG cache and the script header for the RAM disks', () => {
    expect(parseConformOptions(ARGS, ENV)).toEqual({
      stack: 'debian12',
      ramdiskKb: undefined,
      cacheDir: '/home/u/.cache/thinlab',
      mirror: undefined,
      timeoutS: 300,
    });
    expect(cacheDirOf(undefined, { XDG_CACHE_HOME: '/x', HOME: '/home/u' })).toBe('/x/thinlab');
    expect(cacheDirOf(undefined, { XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.cache/thinlab');
    expect(cacheDirOf('/c', ENV)).toBe('/c');
    expect(parseConformOptions({ ...ARGS, stack: 'debian13', ramdiskKb: 'docker-demo' }, ENV)).toMatchObject({
      stack: 'debian13',
      ramdiskKb: 524288,
    });
  });

  it.each([
    [{ stack: 'debian11' }, "--stack must be one of debian12, debian13, got 'debian11'"],
    [{ timeoutS: '0' }, "--timeout-s needs a number of seconds from 1 to 86400, got '0'"],
    [{ timeoutS: '5s' }, "--timeout-s needs a number of seconds from 1 to 86400, got '5s'"],
    [
      { mirror: 'deb.debian.org' },
      "--mirror needs an http:// or https:// URL of a Debian archive, got 'deb.debian.org'",
    ],
    [{ ramdiskKb: '-1' }, '--ramdisk-kb needs a number of KiB'],
    [{ cache: '' }, '--cache needs a folder'],
  ])('refuses %o', (bad, message) => {
    expect(() => parseConformOptions({ ...ARGS, ...bad }, ENV)).toThrow(UsageError);
    expect(() => parseConformOptions({ ...ARGS, ...bad }, ENV)).toThrow(message);
  });

  it('refuses bad input on the command line with exit 2, before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conform-cli-'));
    const script = join(dir, 's.sh');
    writeFileSync(script, 'echo hi\n');
    const cases: Array<[string[], string]> = [
      [['conform'], 'conform: which script?'],
      [['conform', join(dir, 'missing.sh')], 'cannot read'],
      [['conform', script, '--stack', 'centos'], "--stack must be one of debian12, debian13, got 'centos'"],
      [['conform', script, join(dir, 'missing.img')], 'cannot read'],
      [['conform', script, '--bogus'], "conform: unknown option '--bogus'"],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await runCli(argv, c.io, undefined), argv.join(' ')).toBe(2);
      expect(c.err).toContain(message);
      expect(c.out).toBe('');
    }
  });

  it('--help names the stacks, the cache and the exit statuses', async () => {
    const c = capture();
    expect(await runCli(['conform', '--help'], c.io, undefined)).toBe(0);
    for (const word of ['--stack', 'debian13', 'XDG_CACHE_HOME', '--json', 'Exit 0 when they agree', 'example:'])
      expect(c.out).toContain(word);
  });
});

describe('missing host programs', () => {
  it('are refused by name with the apt command that installs them', () => {
    expect(() =>
      requireTools([{ command: 'no-such-qemu-here', debianPackage: 'qemu-system-x86' }], ['/nonexistent']),
    ).toThrow(ConformError);
    expect(missingToolsMessage([{ command: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' }])).toBe(
      'conform needs qemu-system-x86_64 on this machine, which has not got it; install it with: sudo apt-get update && sudo apt-get install --no-install-recommends qemu-system-x86',
    );
    expect(missingToolsMessage([{ command: 'apt-get', debianPackage: 'apt' }])).toContain(
      'run it on a Debian or Ubuntu machine',
    );
  });

  it('make the command exit 3 with that message, after the options were checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conform-cli-'));
    const script = join(dir, 's.sh');
    writeFileSync(script, 'echo hi\n');
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const c = capture();
      expect(await runCli(['conform', script, '--cache', join(dir, 'cache')], c.io, undefined)).toBe(3);
      expect(c.err).toBe(
        'thinlab conform: conform needs qemu-system-x86_64 on this machine, which has not got it; install it with: sudo apt-get update && sudo apt-get install --no-install-recommends qemu-system-x86 [missing-host-tools]\n',
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
