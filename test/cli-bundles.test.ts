/**
 * The build that `npx thinlab` runs: one CommonJS bundle per command with a V8 code cache
 * (scripts/bundle.mjs), chosen by bin/thinlab.js from the command line (src/cli/command-route.ts).
 * In each bundle the other commands are stubs that throw, so a routing mistake would show here as
 * an internal error; every command, the thin tools and the usage paths run through the build and
 * must print what the sources print. Skipped only in a checkout where nothing was built (`npm ci`
 * and CI always build), like test/ui-build.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFor, MAIN_BUNDLE, TOOLS_BUNDLE } from '../src/cli/command-route.js';
import { COMMANDS } from '../src/cli/commands/index.js';
import { cli } from './cli-in-process.js';
import { ROOT } from './thinlab-process.js';

const BUNDLES = join(ROOT, 'dist', 'bundle');
const BUILT = existsSync(join(BUNDLES, 'main.cjs'));
const ALL_BUNDLES = [...Object.keys(COMMANDS), TOOLS_BUNDLE, MAIN_BUNDLE];

/** `npx thinlab ARGS` from the build, on the history at `db`; stdout as the bytes it wrote. */
function built(args: readonly string[], db: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
    cwd: ROOT,
    encoding: 'latin1',
    env: { ...process.env, THINLAB_STORE: `sqlite:${db}`, THINLAB_FROM_SOURCE: '', THINLAB_WRITE_CODE_CACHE: '' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('which bundle a command line runs (src/cli/command-route.ts)', () => {
  it('is the command named, after any --db/--store given before it', () => {
    expect(bundleFor(['at', '3'])).toBe('at');
    expect(bundleFor(['--db', 'x.db', 'log'])).toBe('log');
    expect(bundleFor(['--store', 'sqlite:x.db', '--db', 'y.db', 'diff', '1', '2'])).toBe('diff');
  });

  it('is the tools bundle for a thin tool, with or without --stack before it', () => {
    expect(bundleFor(['thin_check', 'meta.img'])).toBe(TOOLS_BUNDLE);
    expect(bundleFor(['thin_migrate', '-h'])).toBe(TOOLS_BUNDLE);
    expect(bundleFor(['--stack', 'debian13', 'thin_dump', 'x'])).toBe(TOOLS_BUNDLE);
    expect(bundleFor(['--stack=debian13', 'thin_dump', 'x'])).toBe(TOOLS_BUNDLE);
  });

  it('is main for usage, help and every name that is not a command (an Object method name too)', () => {
    for (const argv of [[], ['--help'], ['help'], ['nosuch'], ['toString'], ['constructor'], ['--db', 'x']])
      expect(bundleFor(argv), argv.join(' ')).toBe(MAIN_BUNDLE);
  });
});

describe('a name that is an Object method is an unknown command, not an internal error', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'thinlab-route-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['toString', 'constructor', 'hasOwnProperty', '__proto__'])('thinlab %s', async (name) => {
    const r = await cli([name], join(dir, 'lab.db'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`thinlab: unknown command '${name}' (thinlab --help lists them)\n`);
  });
});

describe.skipIf(!BUILT)('the built CLI (dist/bundle)', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'thinlab-bundles-'));
    db = join(dir, 'lab.db');
    writeFileSync(
      join(dir, 'script.sh'),
      [
        'dmsetup create pool --table "0 20480 thin-pool /dev/ram0 /dev/ram1 128 0"',
        'dmsetup message pool 0 "create_thin 0"',
        'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0"',
        'dd if=/dev/zero of=/dev/mapper/thin bs=64k count=3 oflag=direct',
        'dmsetup status pool',
        '',
      ].join('\n'),
    );
    const recorded = built(['sh', join(dir, 'script.sh')], db);
    expect(recorded.status, recorded.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has a bundle and a code cache newer than it for every command, the tools and main', () => {
    for (const name of ALL_BUNDLES) {
      const file = join(BUNDLES, `${name}.cjs`);
      expect(statSync(`${file}.cache`).mtimeMs, name).toBeGreaterThanOrEqual(statSync(file).mtimeMs);
    }
  });

  it('has caches that this node accepts', () => {
    // Compiled the way bin/thinlab.js compiles a bundle, in a fresh node with its default flags.
    const probe = `const fs=require('node:fs');const vm=require('node:vm');const out=[];
for (const f of process.argv.slice(1)) { const s=new vm.Script('(function (exports, require, module, __filename, __dirname) {'+fs.readFileSync(f,'utf8')+'\\n})',{filename:f,cachedData:fs.readFileSync(f+'.cache')}); out.push(s.cachedDataRejected); }
console.log(JSON.stringify(out));`;
    const files = ALL_BUNDLES.map((name) => join(BUNDLES, `${name}.cjs`));
    const r = spawnSync(process.execPath, ['-e', probe, ...files], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(files.map(() => false));
  });

  it.each(Object.keys(COMMANDS))('runs `%s --help` as the sources do', async (name) => {
    // prop, ui and the thin tools take their arguments whole; each still answers --help.
    const fromBuild = built([name, '--help'], db);
    const fromSource = await cli([name, '--help'], db);
    expect(fromBuild.stderr).toBe(fromSource.stderr);
    expect(fromBuild.stdout).toBe(fromSource.stdout);
    expect(fromBuild.status).toBe(fromSource.status);
    expect(fromBuild.status).toBe(0);
  });

  it.each([
    [['log']],
    [['--db', 'IGNORED', 'at', '3']],
    [['at', '5', '--json']],
    [['diff', '2', '5']],
    [['branches']],
    [['explain', 'device-mapper: thin: 253:0: switching pool to fail mode']],
    [['thin_check', '-V']],
    [['--stack', 'debian13', 'thin_check', '-V']],
    [['thin_metadata_size', '-b', '64k', '-s', '1g', '-m', '10']],
    [[]],
    [['--help']],
    [['nosuch']],
    [['toString']],
    [['at', '--no-such-flag']],
  ])('runs `thinlab %j` as the sources do', async (args) => {
    // `--db IGNORED` names a database the test's THINLAB_STORE overrides in neither run: both read it.
    const argv = args[0] === '--db' ? ['--db', db, ...args.slice(2)] : args;
    const fromBuild = built(argv, db);
    const fromSource = await cli(argv, db);
    expect(fromBuild.stderr).toBe(fromSource.stderr);
    expect(fromBuild.stdout).toBe(fromSource.stdout);
    expect(fromBuild.status).toBe(fromSource.status);
    expect(fromBuild.stderr).not.toMatch(/internal error|has no command/);
  });
});
