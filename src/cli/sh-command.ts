/**
 * `thinlab sh` and `thinlab demo tour`: a script on a fresh lab machine, recorded as a branch or
 * (with --no-record) not. Both exit with the script's status, as sh does: its `exit N`, else the
 * status of its last command.
 */
import type { ImageAttached } from '../events/lab-events.js';
import { attachImage } from '../lab/attach-image.js';
import { readFileSync } from 'node:fs';
import { LabShell } from '../lab/lab-shell.js';
import type { StackId } from '../model/stack.js';
import { scriptStatus, tracePiece } from './history-commands.js';
import { type Output, UsageError } from './output.js';
import { pieceText, scriptPieces } from '../lab/script-pieces.js';

/** A script file, or standard input for undefined and '-'; a file that cannot be read is bad input. */
export function readScript(file: string | undefined): string {
  try {
    return readFileSync(file === undefined || file === '-' ? 0 : file, 'latin1');
  } catch (e) {
    throw new UsageError(
      `cannot read ${file ?? 'standard input'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** Files given after the script are placed at /files/<name>, as the kernel oracle does. */
export function readExtraFiles(paths: readonly string[]): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const path of paths) {
    try {
      files.set(path.slice(path.lastIndexOf('/') + 1), new Uint8Array(readFileSync(path)));
    } catch (e) {
      throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return files;
}

/** Runs a script without touching the database; returns its exit status. */
export function runUnrecorded(
  script: string,
  options: {
    ramdiskKb: number;
    stack?: StackId;
    trace: boolean;
    files: ReadonlyMap<string, Uint8Array>;
    attach?: ImageAttached['data'];
    maxSteps?: number;
  },
  io: Output,
): number {
  const shell = new LabShell({
    ramdiskKb: options.ramdiskKb,
    ...(options.stack === undefined ? {} : { stack: options.stack }),
    files: options.files,
    ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
  });
  const attach = options.attach;
  if (attach !== undefined) attachImage(shell.lab, attach.device, attach.file, attach.sizeBytes, attach.runs);
  if (!options.trace) {
    io.out(shell.runScript(script));
    return scriptStatus(shell);
  }
  for (const piece of scriptPieces(shell, script)) {
    if (shell.exitStatus !== null) break;
    tracePiece(piece, io);
    if (piece.command !== '') io.out(shell.runLine(pieceText(piece)));
  }
  return scriptStatus(shell);
}
