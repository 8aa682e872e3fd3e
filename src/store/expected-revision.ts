import type { ExpectedRevision } from './event-store.js';

/**
 * Whether an append with `expected` may go ahead on a stream whose last revision is `actual`
 * (null: no events). This is KurrentDB's rule, which the SQLite adapter copies so that the two
 * behave alike.
 */
export function expectedRevisionHolds(expected: ExpectedRevision, actual: bigint | null): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === null;
  if (expected === 'stream_exists') return actual !== null;
  return actual === expected;
}
