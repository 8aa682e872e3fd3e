/**
 * Deliberate bugs for the mutation suite (property-tests/, docs/property-tests.md). The property
 * tests are only worth trusting if they fail when the model is wrong, so each of these switches
 * on one plausible copy-on-write bug. They are off unless a `Machine` is built with them (the
 * property harness and scenario files written by it do that); nothing a user types into the lab
 * shell reaches them. Each costs one null check where it applies when off.
 */
export const MODEL_MUTATIONS = [
  /** A write that breaks sharing keeps the reference to the old block (no decrement). */
  'cow-keeps-old-reference',
  /** The allocator hands out a block freed in this transaction before the next commit. */
  'reuse-before-commit',
  /** A write to a block shared with a snapshot goes in place: the snapshot sees it. */
  'snapshot-write-in-place',
  /** A partial write to a new block does not zero the rest of it. */
  'partial-block-not-zeroed',
  /** A crash brings back everything but the discards of the lost transaction. */
  'crash-keeps-discards',
] as const;

export type ModelMutation = (typeof MODEL_MUTATIONS)[number];

export function isModelMutation(name: string): name is ModelMutation {
  return (MODEL_MUTATIONS as readonly string[]).includes(name);
}
