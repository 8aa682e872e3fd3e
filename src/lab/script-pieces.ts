/**
 * A script cut into the pieces that are recorded, one event each: `thinlab sh`, the demos,
 * scenario runs and whatif's injected lines all record this way.
 *
 * Comment lines are never events of their own: positions given to at, rollback and bisect count
 * commands, whatever the flags. A comment is kept as the lead of the command after it (so that the
 * event runs the same lines as the script, and the shell's line numbers in its messages stay those
 * of the whole script); `--trace` prints the lead as it is and the command after `$ `. Comments
 * after the last command belong to no command: a trace prints them, nothing records them.
 */
import type { LabShell } from './lab-shell.js';

export interface ScriptPiece {
  /** Comment lines (and blank lines among them) before the command, without the final newline; '' if none. */
  readonly lead: string;
  /** The command with any lines it spans, as splitCommands cut it; '' for trailing comments. */
  readonly command: string;
}

const isComment = (piece: string): boolean => piece.trim().startsWith('#');

/** The script as recorded pieces; the last one has an empty command when comments end the script. */
export function scriptPieces(shell: LabShell, script: string): ScriptPiece[] {
  const pieces: ScriptPiece[] = [];
  let lead: string[] = [];
  for (const piece of shell.splitCommands(script)) {
    if (isComment(piece)) lead.push(piece);
    else {
      pieces.push({ lead: lead.join('\n'), command: piece });
      lead = [];
    }
  }
  if (lead.length > 0) pieces.push({ lead: lead.join('\n'), command: '' });
  return pieces;
}

/** The text an event records for a piece: its lead and its command, as the lines stand in the script. */
export function pieceText(piece: ScriptPiece): string {
  return piece.lead === '' ? piece.command : `${piece.lead}\n${piece.command}`;
}

/** Top-level commands of a script, one per event (each with the comments before it). */
export function topLevelCommands(shell: LabShell, script: string): string[] {
  return scriptPieces(shell, script)
    .filter((p) => p.command !== '')
    .map(pieceText);
}
