/**
 * The daily loop's slices. test:fast (vitest.fast.config.ts) sets THINLAB_TEST_SLICE=3, so the
 * heaviest suites run every third of their cases, the same ones on every run, and skip their
 * slowest single cases; `npm test` leaves it unset and runs everything (docs/testing.md).
 */
import { it } from 'vitest';

const EVERY = Number(process.env.THINLAB_TEST_SLICE ?? 1);

/** Every THINLAB_TEST_SLICE-th item, from the first (all of them in `npm test`). */
export function testSlice<T>(items: readonly T[]): T[] {
  return items.filter((_, i) => i % EVERY === 0);
}

/** A test only the full suite runs: test:fast reports it skipped. */
export const itInFullSuite = EVERY === 1 ? it : it.skip;
