/**
 * The lab's promise is determinism: the same command prints the same bytes on every run. The tour
 * and the Docker demo (`npm start`) run twice as a user runs them, in child processes through
 * bin/thinlab.js with stdout and stderr on pipes, each in a fresh directory; every scenario of the
 * library runs twice through the CLI's code in this process. Both runs must match byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-in-process.js';
import { ROOT } from './thinlab-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `thinlab ARGS` in a fresh directory (so the database has the same name both times), all its output. */
function freshRun(args: readonly string[]): { status: number | null; stdout: Buffer; stderr: Buffer } {
  const cwd = mkdtempSync(join(tmpdir(), 'thinlab-determinism-'));
  dirs.push(cwd);
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
    cwd,
    env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1' },
    maxBuffer: 64 * 2 ** 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the same run prints the same bytes', () => {
  for (const [what, args] of [
    ['demo tour', ['demo', 'tour']],
    ["npm start's demo", ['demo']],
  ] as const) {
    it(`${what}, twice`, () => {
      const first = freshRun(args);
      const second = freshRun(args);
      expect(first.status).toBe(0);
      expect(first.stdout.length).toBeGreaterThan(1000);
      expect(second.stdout.equals(first.stdout)).toBe(true);
      expect(second.stderr.toString('latin1')).toBe(first.stderr.toString('latin1'));
    }, 300_000);
  }

  it('every scenario of the library, twice', async () => {
    const files = readdirSync(join(ROOT, 'scenarios'))
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.sh'))
      .map((f) => join('scenarios', f));
    expect(files.length).toBeGreaterThan(40);
    const dir = mkdtempSync(join(tmpdir(), 'thinlab-determinism-'));
    dirs.push(dir);
    const first = await cli(['run', '--no-record', ...files], join(dir, 'a.db'));
    const second = await cli(['run', '--no-record', ...files], join(dir, 'a.db'));
    expect(first.stdout).toMatch(/all passed: \d+ scenarios\n$/);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toBe(first.stderr);
  }, 600_000);
});
