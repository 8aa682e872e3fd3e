/**
 * The rules both adapters apply to summary chunks (event-store.ts, `SummaryChunk`): what a valid
 * chunk is, and which chunks survive a sequence of saves. SQLite applies the second rule with a
 * DELETE in the save's transaction; KurrentDB, which only appends, applies it when reading.
 */
import { invalidArgument } from './errors.js';
import type { SummaryChunk } from './event-store.js';
import { validateRevision } from './validate.js';

export function validateSummaryChunk(chunk: unknown): asserts chunk is SummaryChunk {
  const c = chunk as Partial<SummaryChunk> | null;
  if (typeof c !== 'object' || c === null) throw invalidArgument('a summary chunk must be an object');
  validateRevision(c.firstRevision, 'summary chunk firstRevision');
  if (typeof c.count !== 'number' || !Number.isSafeInteger(c.count) || c.count < 1)
    throw invalidArgument(`summary chunk count must be a positive integer, got ${String(c.count)}`);
  if (typeof c.data !== 'string') throw invalidArgument('summary chunk data must be a string');
}

/** The last revision a chunk covers. */
export const lastRevisionOf = (c: SummaryChunk): bigint => c.firstRevision + BigInt(c.count) - 1n;

/**
 * The chunks that survive saves made in this order: each save drops the earlier chunks lying
 * wholly inside its range, and the one starting where it starts. The result is in revision order.
 */
export function foldSummaryChunks(saves: readonly SummaryChunk[]): SummaryChunk[] {
  let kept: SummaryChunk[] = [];
  for (const save of saves) {
    const last = lastRevisionOf(save);
    // As SQLite's key does, a save also replaces the chunk that starts where it starts.
    kept = kept.filter(
      (c) =>
        c.firstRevision !== save.firstRevision && (c.firstRevision < save.firstRevision || lastRevisionOf(c) > last),
    );
    kept.push(save);
  }
  return kept.sort((a, b) => (a.firstRevision < b.firstRevision ? -1 : a.firstRevision > b.firstRevision ? 1 : 0));
}
