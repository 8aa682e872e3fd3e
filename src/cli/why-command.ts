/**
 * `thinlab why NAME [POS] [--branch B]`: a Docker image or container of the recorded history (at
 * the end of the branch, or after POS events) followed down to its thin devices and blocks.
 */
import { describeProvenance } from '../docker/provenance.js';
import type { History } from '../replay/history.js';
import { type Output, printJson, UsageError } from './output.js';

export async function whyCommand(
  h: History,
  args: { branch?: string; name?: string; position?: string; json?: boolean },
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
  const docker = runtime.shell.docker;
  const r = describeProvenance(runtime.shell.machine, docker, args.name);
  const containers = docker.containers.map((c) => c.name);
  const images = docker.images.map((i) => i.ref);
  // A name that is not there is answered with the names that are, so the next try can be right.
  const known =
    r.ok || (containers.length === 0 && images.length === 0)
      ? ''
      : `\n(at ${branch}@${position} the containers are: ${containers.join(', ') || 'none'}; the images: ${images.join(', ') || 'none'})`;
  if (args.json === true) {
    const kind = !r.ok
      ? null
      : docker.containers.some((c) => c.name === args.name || c.id.startsWith(args.name!))
        ? 'container'
        : docker.images.some((i) => i.ref === args.name || i.ref === `${args.name}:latest`)
          ? 'image'
          : 'other';
    printJson(io, { branch, position, name: args.name, found: r.ok, kind, containers, images, text: r.text + known });
    return r.ok ? 0 : 1;
  }
  io.out(`${branch}@${position}\n`);
  if (!r.ok) {
    io.err(`${r.text}${known}\n`);
    return 1;
  }
  io.out(r.text);
  return 0;
}
