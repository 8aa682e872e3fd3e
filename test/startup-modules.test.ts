/**
 * What a command loads, not how long it takes (no test here times anything: the machines are
 * shared). A read-only command's start-up is mostly the modules it loads (docs/performance.md),
 * so these tests run the CLI in a child process with a module hook that lists every source file
 * it loads, and fail when `--help` or `log` starts loading the lab, or when `at` on a history of
 * device-mapper commands loads a command domain it does not use (src/lab/domains.ts). They also
 * check the lazy replay's answer against the lab with every domain loaded, on the path where a
 * command meets a domain the replay had not loaded (a function defined before the checkpoint).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli-in-process.js';
import { ROOT } from './thinlab-process.js';

/** A loader hook, registered before the CLI starts, that prints each source module's URL as it loads. */
const HOOK = `data:text/javascript,${encodeURIComponent(
  `import { writeSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.includes('/src/')) writeSync(2, 'LOADED ' + url + '\\n');
  return next(url, context);
}`,
)}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(HOOK)});`)}`;

/** The source files (relative to src/) that `thinlab ARGS` loads, and its output. */
function loadedBy(args: readonly string[], db: string): { modules: string[]; stdout: string; status: number } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', REGISTER, join(ROOT, 'src', 'cli', 'main.ts'), ...args],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, THINLAB_STORE: `sqlite:${db}` } },
  );
  const modules = [...r.stderr.matchAll(/^LOADED file:\/\/.*?\/src\/(\S+)$/gm)].map((m) => m[1]!);
  return { modules, stdout: r.stdout, status: r.status ?? -1 };
}

/** The registration modules of the domains loaded on first use (src/lab/commands.ts's LOADERS). */
const DOMAIN_MODULES = ['system', 'host', 'text', 'files', 'faults', 'thin-tools', 'lvm', 'docker', 'containerd'].map(
  (d) => `lab/commands/${d}.ts`,
);
/**
 * The domains' own code, which only their registration modules import: the text tools and xargs
 * among it (dd reads its input through lab/stdin-chunks.ts, not the text tools' streams).
 */
const DOMAIN_CODE =
  /^(tools|faults|lab\/awk)\/|^docker\/(?!docker-state|options|units)|^lvm\/(?!lvm-state)|^lab\/(text-streams|text-tools|tr|line-filters|xargs)\.ts$/;

let dir: string;
let db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-modules-'));
  db = join(dir, 'lab.db');
  // Device-mapper commands only, then a function (recorded in the session's state, so in every
  // checkpoint after it) that sleeps, called only after the first checkpoint (event 100).
  const lines = [
    'dmsetup create pool --table "0 20480 thin-pool /dev/ram0 /dev/ram1 128 0"',
    'dmsetup message pool 0 "create_thin 0"',
    'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0"',
    'nap() { sleep 2; }',
  ];
  while (lines.length < 110) lines.push(`dd if=/patterns/A of=/dev/mapper/thin bs=64k count=1 seek=${lines.length}`);
  lines.push('nap', 'dmsetup status pool');
  writeFileSync(join(dir, 'history.sh'), `${lines.join('\n')}\n`);
  const r = await cli(['sh', join(dir, 'history.sh')], db);
  expect(r.status, r.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a read-only command loads', () => {
  it('for --help: the CLI alone, neither the store nor the lab', () => {
    const r = loadedBy(['--help'], db);
    expect(r.status).toBe(0);
    expect(r.modules).toContain('cli/run-cli.ts');
    expect(r.modules.filter((m) => !/^(cli|shared)\/|^model\/stack\.ts$/.test(m))).toEqual([]);
  });

  it('for log: the store and the event schema, never the lab, the shell or the model', () => {
    const r = loadedBy(['log'], db);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('112 events');
    expect(r.modules).toContain('store/sqlite/sqlite-event-store.ts');
    expect(
      r.modules.filter((m) => /^(lab|shell|lifecycle|docker|lvm|containerd|tools|faults|format)\//.test(m)),
    ).toEqual([]);
    expect(
      r.modules.filter((m) => m.startsWith('model/') && m !== 'model/stack.ts' && m !== 'model/mutations.ts'),
    ).toEqual([]);
  });

  it('for at before the function runs: the lab, and none of the command domains its history does not use', () => {
    const r = loadedBy(['at', '105'], db);
    expect(r.status).toBe(0);
    expect(r.modules).toContain('lab/lab.ts');
    expect(r.modules).toContain('lab/commands/devices.ts');
    expect(r.modules.filter((m) => DOMAIN_MODULES.includes(m) || DOMAIN_CODE.test(m))).toEqual([]);
  });
});

describe('a lazy replay', () => {
  it('that meets a domain it had not loaded (sleep inside a function from before the checkpoint) loads it, starts again, and shows the same lab', async () => {
    const lazy = loadedBy(['at', '112'], db);
    expect(lazy.status).toBe(0);
    expect(lazy.modules).toContain('lab/commands/system.ts');
    expect(lazy.modules).not.toContain('lab/commands/docker.ts');
    // In this process every domain is loaded (the recording loaded them): the eager answer.
    const eager = await cli(['at', '112'], db);
    expect(eager.status).toBe(0);
    expect(lazy.stdout).toBe(eager.stdout);
    expect(lazy.stdout).toContain('time 7.000s');
  });

  it('diffs the same as the lab with every domain loaded', async () => {
    const lazy = loadedBy(['diff', '105', '112'], db);
    const eager = await cli(['diff', '105', '112'], db);
    expect(lazy.status).toBe(0);
    expect(lazy.stdout).toBe(eager.stdout);
  });
});
