/** Runs the thinlab CLI as a user would (bin/thinlab.js in a child process), for end-to-end tests. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

export function runThinlab(args: readonly string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
