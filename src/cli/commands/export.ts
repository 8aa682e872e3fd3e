/**
 * `thinlab export [POS] DEVICE FILE`: a lab block device (a RAM disk, a loop device, a dm device)
 * or a lab file, as it is at a history position (the end of the branch by default), written to a
 * host file byte for byte (src/lab/device-export.ts reads it in 1 MiB chunks). The file is written
 * beside FILE and renamed over it only when every byte was read, so a failed export loses nothing.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ExportError, openForExport } from '../../lab/device-export.js';
import { type History, HistoryError } from '../../replay/history.js';
import type { CommandSpec } from '../command-spec.js';
import { type Output, UsageError } from '../output.js';
import { BRANCH_OPTION, branchArg } from './common.js';

export const EXPORT_USAGE =
  'export [POS] DEVICE FILE   write a lab block device (/dev/ram0, /dev/loop0, /dev/mapper/NAME) or lab file at POS (default: the end) to a host file, e.g. thinlab export 12 /dev/ram1 meta.img';

export interface ExportArgs {
  readonly branch?: string;
  readonly positional: readonly string[];
}

/** Writes the device to FILE; returns the number of bytes written. */
export async function exportCommand(h: History, args: ExportArgs, io: Output): Promise<number> {
  const p = args.positional;
  if (p.length < 2 || p.length > 3) throw new UsageError(`export needs DEVICE and FILE: thinlab ${EXPORT_USAGE}`);
  if (p.length === 3 && !/^[0-9]+$/.test(p[0]!))
    throw new UsageError(`POS must be a position (0, 1, 2, ...), got '${p[0]}'`);
  const [device, file] = p.length === 3 ? [p[1]!, p[2]!] : [p[0]!, p[1]!];
  const branch = args.branch ?? (await h.head());
  if (branch === null)
    throw new HistoryError('UNKNOWN_BRANCH', 'the database has no lab yet: run `thinlab sh FILE` or `npm start` first');
  const position = p.length === 3 ? Number(p[0]) : await h.length(branch);
  const runtime = await h.stateAt(branch, position);
  const source = openForExport(runtime.lab, device);
  const partial = `${file}.thinlab-partial`;
  let fd: number;
  try {
    fd = openSync(partial, 'w');
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let written = 0;
  try {
    for (const chunk of source.chunks()) {
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } catch (e) {
    closeSync(fd);
    rmSync(partial, { force: true });
    if (e instanceof ExportError) throw new ExportError(`${e.message} (nothing written to ${file})`);
    throw e;
  }
  closeSync(fd);
  renameSync(partial, file);
  io.out(`exported ${source.what} at ${branch}@${position}: ${written} bytes to ${file}\n`);
  return written;
}

export const command: CommandSpec = {
  name: 'export',
  help: `usage: thinlab export [POS] DEVICE FILE [--branch NAME]
A lab block device (/dev/ram0, /dev/loop0, /dev/mapper/NAME) or lab file, as it is at position POS
of the branch (default: its end), written to a host file byte for byte, for the real tools.
  --branch NAME   another branch than the head
example:
  thinlab export /dev/ram0 meta.img && thin_check meta.img
`,
  options: { ...BRANCH_OPTION },
  maxPositionals: 3,
  async run(ctx) {
    await ctx.withHistory((h) => exportCommand(h, { ...branchArg(ctx), positional: ctx.positionals }, ctx.io), 'read');
    return 0;
  },
};
