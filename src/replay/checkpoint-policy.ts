/**
 * When History stores a checkpoint. A checkpoint is a cache of the events before it: it bounds
 * what a read-only command (`thinlab at`, `diff`, a bisect step, a slider move) pays to reach a
 * position, which is restoring the checkpoint and then replaying every event after it. It costs
 * storage, the lab's whole state each time.
 *
 * The two costs pull apart, and a lab's state ranges from about 25 KB (a pool on small RAM disks)
 * to 20 MiB (loop-lvm's sparse files), so one fixed spacing serves neither end: every 10,000
 * events made `thinlab at 500` on a small lab replay 500 commands from nothing (about three
 * times node's own start-up), while every 100 events would store 20 MiB per 100 commands of a
 * loop-lvm lab. The policy spaces checkpoints by the size of the last one instead: the next
 * comes after `ceil(size / bytesPerEvent)` events, kept within `minEvents .. maxEvents`. A small
 * lab then gets one every 100 events (no read replays more than 99 commands) and a large one as
 * rarely as before. Checkpoints cost at most about `bytesPerEvent` per event (the spacing follows
 * the last checkpoint's size, so a lab that grows fast can go a little over until its next one),
 * except states larger than `maxEvents * bytesPerEvent` (2.5 MB), which get one per `maxEvents`
 * events as they always did. Everything here is counted in events and bytes of the stored state,
 * never in time, so the same history gets the same checkpoints.
 */
export interface CheckpointPolicy {
  /** The fewest events between two checkpoints (and before the first, whose size is not known yet). */
  readonly minEvents: number;
  /** The most events between two checkpoints: the longest replay a read ever pays. */
  readonly maxEvents: number;
  /** Checkpoint bytes allowed per event of history; 0 spaces them `maxEvents` apart. */
  readonly bytesPerEvent: number;
}

/**
 * The CLI's policy. 256 bytes per event keeps the event-log bench's 4 GiB pool (1.8 MiB per
 * checkpoint) near its old spacing of 10,000 (7,373 events) and gives the 25 KB lab of
 * `npm run bench`'s start-up history one checkpoint per 100 events (docs/performance.md).
 */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { minEvents: 100, maxEvents: 10_000, bytesPerEvent: 256 };

/** A checkpoint every `events` events whatever its size: what tests and benches that count checkpoints ask for. */
export function checkpointEvery(events: number): CheckpointPolicy {
  if (!Number.isSafeInteger(events) || events < 1)
    throw new RangeError(`a checkpoint spacing must be a positive number of events, got ${events}`);
  return { minEvents: events, maxEvents: events, bytesPerEvent: 0 };
}

/**
 * How many events after a checkpoint of `lastBytes` bytes the next one is due (`null`: the branch
 * has none of its own yet, so the first comes after `minEvents`).
 */
export function checkpointSpacing(policy: CheckpointPolicy, lastBytes: number | null): number {
  if (lastBytes === null) return policy.minEvents;
  if (policy.bytesPerEvent <= 0) return policy.maxEvents;
  const wanted = Math.ceil(lastBytes / policy.bytesPerEvent);
  return Math.min(policy.maxEvents, Math.max(policy.minEvents, wanted));
}
