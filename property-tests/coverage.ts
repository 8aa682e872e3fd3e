/**
 * What the property runs exercised: the pool-mode transitions and the copy-on-write cases the
 * issue names, counted over every sequence, so that a campaign that never reached a case says so.
 */
import type { CowEvents } from './reference.js';

export const COW_CASES: ReadonlyArray<readonly [keyof CowEvents, string]> = [
  ['firstWriteSharedFromOrigin', 'first write to a shared block from the origin'],
  ['firstWriteSharedFromSnapshot', 'first write to a shared block from the snapshot'],
  ['discardShared', 'discard of a shared block'],
  ['snapshotOfSnapshot', 'snapshot of a snapshot'],
  ['crashAfterRemap', 'crash after a remap'],
];

export class Coverage {
  readonly modeTransitions = new Map<string, number>();
  readonly cow: CowEvents = {
    firstWriteSharedFromOrigin: 0,
    firstWriteSharedFromSnapshot: 0,
    discardShared: 0,
    snapshotOfSnapshot: 0,
    crashAfterRemap: 0,
  };
  sequences = 0;
  commands = 0;

  modeChange(from: string, to: string): void {
    if (from === to) return;
    const key = `${from} -> ${to}`;
    this.modeTransitions.set(key, (this.modeTransitions.get(key) ?? 0) + 1);
  }

  /** Adds one finished sequence's copy-on-write counts. */
  addSequence(cow: CowEvents, commands: number): void {
    this.sequences++;
    this.commands += commands;
    for (const [k] of COW_CASES) this.cow[k] += cow[k];
  }

  /** The report `thinlab prop` prints at the end. */
  format(): string {
    const lines = [`coverage over ${this.sequences} sequences, ${this.commands} commands:`, '  pool-mode transitions:'];
    const transitions = [...this.modeTransitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (transitions.length === 0) lines.push('    (none)');
    for (const [k, n] of transitions) lines.push(`    ${k.padEnd(40)} ${n}`);
    lines.push('  copy-on-write cases:');
    for (const [k, label] of COW_CASES) lines.push(`    ${label.padEnd(50)} ${this.cow[k]}`);
    return lines.join('\n');
  }
}
