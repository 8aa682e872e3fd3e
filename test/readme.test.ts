/**
 * The README's command block is a tested walk-through: every line runs, in the order written, on
 * one fresh database, and is held to what its comment says. A README line without a check here
 * fails the test, so an example cannot be added without being run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliResult, cli, shellWords } from './cli-in-process.js';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'thinlab-readme-'));
const db = join(dir, 'thinlab.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The block of example commands: the one that starts with `npx thinlab demo`. */
function exampleLines(): string[] {
  const block = /```sh\n(npx thinlab demo [\s\S]*?)```/.exec(README);
  if (block === null) throw new Error('README.md has no example block starting with `npx thinlab demo`');
  return block[1]!.split('\n').filter((l) => l.trim() !== '');
}

/** The command of a line, without its comment (a `#` after at least two spaces). */
const commandOf = (line: string): string => line.replace(/\s{2,}#.*$/, '').trim();

type Check = (r: CliResult) => void;
const ok =
  (...patterns: RegExp[]): Check =>
  (r) => {
    expect(r.stderr.replace(/\n\nrecorded as[\s\S]*$/, '')).not.toMatch(/thinlab: /);
    expect(r.status).toBe(0);
    for (const p of patterns) expect(r.stdout).toMatch(p);
  };

/** What each line's comment promises, by the line's command. */
const CHECKS: Record<string, Check> = {
  'npx thinlab demo': (r) => {
    ok(/docker-thinpool/)(r);
    expect(r.stderr).toMatch(/recorded as branch 'docker-demo', and 'docker-demo-before-full'/);
  },
  'npx thinlab log --branch docker-demo': ok(
    /^branch docker-demo, \d+ events, stack debian12 \(Linux 6\.1, [^)]*\)\n/,
    /docker run -d --name app\$i/,
  ),
  'npx thinlab why app1 --branch docker-demo': ok(/app1/, /thin/),
  "npx thinlab bisect --expect 'pool_mode docker-thinpool=write' 24 --branch docker-demo": ok(
    /first bad position \d+: pool_mode docker-thinpool=write expected write, got out_of_data_space/,
  ),
  'npx thinlab demo tour': (r) => {
    ok(/^# A thin pool's life/)(r);
    expect(r.stderr).toMatch(/recorded as branch 'tour'/);
  },
  'npx thinlab at 12': ok(/^tour@12 /, /^pool \(ACTIVE/m, /^snap \(ACTIVE/m),
  'npx thinlab rollback 13 --name fix': ok(/branch fix starts at tour@13; it is now the head/),
  "echo 'dmsetup status pool' | npx thinlab sh --continue": ok(/^0 1024 thin-pool \d+ \d+\/16384 5\/8 /),
  'npx thinlab diff tour fix': ok(/tour@30/, /fix@14/),
  'npx thinlab branches --json': (r) => {
    ok()(r);
    const j = JSON.parse(r.stdout) as { head: string; branches: { name: string }[] };
    expect(j.head).toBe('fix');
    expect(j.branches.map((b) => b.name).sort()).toEqual(['docker-demo', 'docker-demo-before-full', 'fix', 'tour']);
  },
  'npx thinlab replay': ok(/^replayed 14 events of fix .* every event gave the recorded outcome/),
  'npx thinlab bisect --invariant writable 16 --branch tour': ok(
    /first bad position 14: invariant writable expected the pool is in write mode/,
  ),
  'npx thinlab whatif --at 6 --inject crash --branch tour': ok(/^what if: tour with `crash` after position 6/m),
  'npx thinlab run scenarios/pool-full-queue-extend.yaml': ok(/PASS/),
  "npx thinlab explain 'device-mapper: thin: 253:0: switching pool to fail mode'": ok(
    /what it means: /,
    /scenarios\/[a-z0-9-]+\.yaml/,
  ),
  'npx thinlab sh --no-record scenarios/tour.sh': (r) => {
    ok()(r);
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'scenarios', 'tour.expected'), 'latin1'));
  },
  "echo 'exit 3' | npx thinlab sh --no-record": (r) => expect(r).toEqual({ status: 3, stdout: '', stderr: '' }),
  'echo \'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup status\' | npx thinlab sh --no-record':
    ok(/^pool: 0 1024 thin-pool 0 \d+\/16384 0\/8 - rw/),
  'echo \'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup status\' | npx thinlab sh --no-record --stack debian13':
    ok(/^pool: 0 1024 thin-pool 0 \d+\/16384 0\/8 - rw discard_passdown /),
  "echo 'fault --help' | npx thinlab sh --no-record": ok(/^Usage: fault KIND/),
  "echo 'pvcreate /dev/ram0; vgcreate docker /dev/ram0; lvcreate -n thinpool docker -l 95%VG; lvcreate -n thinpoolmeta docker -l 1%VG; lvs' | npx thinlab sh --no-record --ramdisk-kb docker-demo":
    ok(/thinpool +docker -wi-a----- 480\.00m/, /thinpoolmeta docker -wi-a----- +4\.00m/),
  'echo \'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup remove pool; thin_check /dev/ram0\' | npx thinlab sh --no-record':
    ok(/^examining superblock\n/, /checking space map counts\n$/),
  'npx thinlab thin_check --help': ok(/^Usage: thin_check \[options\] \{device\|file\}/),
  'npx thinlab prop --runs 20 --seed 1': ok(/^passed: 20 sequences/m),
  'npx thinlab log --help': ok(/^usage: thinlab log/, /\nexample:\n/),
};

/** Lines that run the project's own tooling: checked to exist, not run inside the tests they start. */
const NOT_RUN: Record<string, string> = {
  'npm run test:fast': 'the fast tier includes this test',
  'npm run bench': 'minutes of timed runs, not a test',
};

/** Runs one README line: `npx thinlab ...`, or `echo 'SCRIPT' | npx thinlab ...` with SCRIPT as a file. */
async function runLine(command: string, n: number): Promise<CliResult> {
  const piped = /^echo '([^']*)' \| npx thinlab (.*)$/.exec(command);
  if (piped !== null) {
    const file = join(dir, `stdin-${n}.sh`);
    writeFileSync(file, `${piped[1]!}\n`);
    return cli([...shellWords(piped[2]!), file], db);
  }
  if (!command.startsWith('npx thinlab ')) throw new Error(`README line is not a thinlab command: ${command}`);
  return cli(shellWords(command.slice('npx thinlab '.length)), db);
}

describe('README.md', () => {
  it('runs every example line in order on a fresh database, each doing what its comment says', async () => {
    const lines = exampleLines().map(commandOf);
    for (const [n, command] of lines.entries()) {
      if (command in NOT_RUN) {
        const script = command.replace(/^npm run /, '');
        expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts).toHaveProperty(script);
        continue;
      }
      const check = CHECKS[command];
      if (check === undefined) throw new Error(`README line ${n + 1} has no check in test/readme.test.ts: ${command}`);
      const r = await runLine(command, n);
      try {
        check(r);
      } catch (e) {
        throw new Error(`README line ${n + 1} (${command}): ${(e as Error).message}\n${r.stdout}${r.stderr}`);
      }
    }
    // Every check is used: a line removed from the README takes its check with it.
    expect(Object.keys(CHECKS).filter((c) => !lines.includes(c))).toEqual([]);
  }, 600_000);

  it('names the fast test tier and a RAM-disk preset the demo and sh share', () => {
    expect(README).toContain('npm run test:fast');
    expect(README).toContain('--ramdisk-kb docker-demo');
  });
});
