/**
 * What the CLI needs from a lab shell beyond running a command: the script cut into top-level
 * commands (so each is one event), and the exit status of the last one.
 */
import type { LabShell } from '../lab/lab-shell.js';

interface SplittingShell {
  splitCommands?(script: string): string[];
  lastStatus?: number | string;
}

/** Top-level commands of a script; comment lines are kept as items so a trace can show them. */
export function topLevelCommands(shell: LabShell, script: string): string[] {
  const s = shell as unknown as SplittingShell;
  if (typeof s.splitCommands === 'function') return s.splitCommands(script);
  return script
    .replace(/\\\n/g, '')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

export function lastStatus(shell: LabShell): number {
  const s = shell as unknown as SplittingShell;
  return s.lastStatus === undefined ? 0 : Number(s.lastStatus);
}
