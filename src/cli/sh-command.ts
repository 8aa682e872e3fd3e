/**
 * `thinlab sh` and `thinlab demo tour`: a script on a fresh lab machine, recorded as a branch or
 * (with --no-record) not. Both exit with the script's status, as sh does: its `exit N`, else the
 * status of its last command.
 */
import type { ImageAttached } from '../events/lab-events.js';
import { attachImage } from '../lab/attach-image.js';
import { LabShell } from '../lab/lab-shell.js';
import type { StackId } from '../model/stack.js';
import { lastCommandAt, pieceMode, scriptPieceText, scriptStatus, tracePiece } from './history-commands.js';
import { mib, readBounded, readHostFile, SCRIPT_LIMIT_BYTES } from './host-input.js';
import { type Output, UsageError } from './output.js';
import { scriptPieces } from '../lab/script-pieces.js';

/** A script file, or standard input for undefined and '-'; a file that cannot be read is bad input. */
export function readScript(file: string | undefined): string {
  const name = file === undefined || file === '-' ? 'standard input' : file;
  let bytes: Buffer | null;
  try {
    bytes = readBounded(file === undefined || file === '-' ? 0 : file, SCRIPT_LIMIT_BYTES);
  } catch (e) {
    throw new UsageError(
      `cannot read ${file ?? 'standard input'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (bytes === null)
    throw new UsageError(
      `not modelled: a script longer than ${mib(SCRIPT_LIMIT_BYTES)} (${name}): the lab reads at most that much of a script`,
    );
  return bytes.toString('latin1');
}

/** Files given after the script are placed at /files/<name>, as the kernel oracle does. */
export function readExtraFiles(paths: readonly string[]): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const path of paths) {
    files.set(path.slice(path.lastIndexOf('/') + 1), new Uint8Array(readHostFile(path, 'a FILE')));
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
    /** Typed at a terminal: each command runs as at ash's prompt (see recordScript). */
    interactive: boolean;
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
  if (!options.trace && !options.interactive) {
    io.out(shell.runScript(script));
    return scriptStatus(shell);
  }
  const pieces = scriptPieces(shell, script);
  const last = lastCommandAt(pieces);
  for (const [i, piece] of pieces.entries()) {
    if (shell.exitStatus !== null) break;
    tracePiece(piece, io);
    const mode = pieceMode(options.interactive, i === last);
    if (piece.command !== '') io.out(shell.runLine(scriptPieceText(piece, mode, script), mode));
  }
  return scriptStatus(shell);
}
