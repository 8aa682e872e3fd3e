/**
 * `thinlab why NAME [POS] [--branch B]`: a Docker image or container of the recorded history (at
 * the end of the branch, or after POS events) followed down to its thin devices and blocks.
 */
import { describeProvenance } from '../docker/provenance.js';
import type { History } from '../replay/history.js';
import { UsageError, type Output } from './history-commands.js';

export async function whyCommand(
  h: History,
  args: { branch?: string; name?: string; position?: string },
  io: Output,
): Promise<number> {
  if (args.name === undefined) throw new UsageError('why needs an image or a container: thinlab why NAME [POS]');
  const branch = args.branch ?? (await h.head());
  if (branch === null || branch === undefined)
    throw new UsageError('no history yet: record something first (thinlab demo, thinlab sh SCRIPT)');
  const length = await h.length(branch);
  const position = args.position === undefined ? length : Number(args.position);
  if (!Number.isInteger(position) || position < 0 || position > length)
    throw new UsageError(`POS must be a position from 0 to ${length}, got '${args.position ?? ''}'`);
  const runtime = await h.stateAt(branch, position);
  const r = describeProvenance(runtime.shell.machine, runtime.shell.docker, args.name);
  io.out(`${branch}@${position}\n`);
  if (!r.ok) {
    io.err(`${r.text}\n`);
    return 1;
  }
  io.out(r.text);
  return 0;
}
