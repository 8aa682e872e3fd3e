/** Runs a host program for the VM builder, turning a failure into a ConformError with its own words. */
import { spawnSync } from 'node:child_process';
import { ConformError, type ConformErrorCode } from './conform-error.js';

/** Large enough for a decompressed kernel module or apt's dependency listing. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export function runHost(
  code: ConformErrorCode,
  command: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Buffer {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    maxBuffer: MAX_OUTPUT_BYTES,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error?.message ?? `exit status ${r.status ?? r.signal}`;
    const said = (r.stderr?.toString('utf8') ?? '').trim().split('\n').slice(-5).join('\n  ');
    throw new ConformError(code, `${command} ${args.join(' ')} failed (${why})${said === '' ? '' : `:\n  ${said}`}`);
  }
  return r.stdout;
}
