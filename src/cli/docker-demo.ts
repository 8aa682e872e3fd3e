/**
 * `thinlab demo` (and `npm start`): Docker's devicemapper driver on a direct-lvm pool, from
 * setup to a full pool and back (demo/docker-devicemapper.sh), recorded as a branch; then a
 * rollback to the moment before the pool filled, on a branch of its own, where the pool is
 * still healthy. The tour of the thin pool alone stays available as `thinlab demo tour`.
 */

import { LabShell } from '../lab/lab-shell.js';
import type { StackId } from '../model/stack.js';
import type { History } from '../replay/history.js';
import { type Output, recordScript, rollbackCommand } from './history-commands.js';
import { DOCKER_DEMO_RAMDISK_KB } from './ramdisk-presets.js';
import { scriptPieces } from '../lab/script-pieces.js';

export { DOCKER_DEMO_RAMDISK_KB } from './ramdisk-presets.js';
/** The comment that opens the step where the pool fills; the rollback goes to just before it. */
export const FILL_STEP_MARK = '# 6.';

/** How many events the script records before its comment line starting with `mark` (comments are not events). */
export function eventsBefore(script: string, mark: string): number {
  const pieces = scriptPieces(new LabShell({ ramdiskKb: 1 }), script);
  const at = pieces.findIndex((p) => p.lead.split('\n').some((line) => line.trim().startsWith(mark)));
  if (at < 0) throw new Error(`the demo script has no step '${mark}'`);
  return at;
}

export async function runDockerDemo(
  h: History,
  script: string,
  io: Output,
  stack?: StackId,
): Promise<{ branch: string; before: number }> {
  const recorded = await recordScript(
    h,
    script,
    {
      baseName: 'docker-demo',
      continueBranch: false,
      ramdiskKb: DOCKER_DEMO_RAMDISK_KB,
      ...(stack === undefined ? {} : { stack }),
      trace: true,
      origin: 'demo',
    },
    io,
  );
  const before = eventsBefore(script, FILL_STEP_MARK);
  io.out(`\n# Roll back to event ${before}, just before the pool filled: a new branch, nothing deleted.\n`);
  const name = `${recorded.branch}-before-full`;
  await rollbackCommand(h, { branch: recorded.branch, position: String(before), name, origin: 'demo' }, io);
  await recordScript(
    h,
    "docker info 2>/dev/null | grep -E 'Data Space|Minimum'\nlvs\ndocker ps\n",
    { branch: name, continueBranch: true, ramdiskKb: DOCKER_DEMO_RAMDISK_KB, trace: true },
    io,
  );
  return { branch: recorded.branch, before };
}
