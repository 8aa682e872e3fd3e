/**
 * The event store port: the only shape the rest of the lab sees of its log. Adapters live in
 * `sqlite/` and `kurrentdb/`; both pass the shared suite in `event-store.contract.ts`.
 *
 * Revisions are 0-based per stream and positions are global and increasing; both are bigint
 * because KurrentDB speaks unsigned 64-bit integers and a lab log may outgrow 2^53 in principle.
 */

/**
 * What the caller believes about a stream before appending:
 * - `'any'`: no check;
 * - `'no_stream'`: the stream must have no events yet;
 * - `'stream_exists'`: the stream must have at least one event;
 * - a bigint: the revision of the stream's last event (0-based) must be exactly this.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** An event as the caller hands it to `append`. */
export interface NewEvent {
  /** The event type, e.g. `ThinCreated`. Non-empty, at most 200 characters, no leading `$`. */
  readonly type: string;
  /** The schema version of `data` for this type, a non-negative safe integer. */
  readonly version: number;
  /** The payload; stored as `JSON.stringify(data)`, so it must survive that round trip. */
  readonly data: unknown;
  /** Optional caller metadata (command id, causation); a JSON object. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Simulated time in milliseconds; comes from the lab's clock, never from the wall clock. */
  readonly timeMs: number;
}

/** An event as read back from the store. */
export interface StoredEvent extends NewEvent {
  readonly streamId: string;
  /** 0-based position of the event inside its stream. */
  readonly revision: bigint;
  /** Global position in the whole log: strictly increasing in append order across streams. */
  readonly position: bigint;
}

export interface AppendResult {
  /** The revision of the stream's last event after the append: pass it as the next `expected`. */
  readonly nextExpectedRevision: bigint;
  /** The global position of the batch's last event. */
  readonly position: bigint;
}

export interface ReadOptions {
  /** First revision to return (inclusive). Defaults to the start (forwards) or the end (backwards). */
  readonly fromRevision?: bigint;
  /** At most this many events; a non-negative safe integer. Defaults to all. */
  readonly maxCount?: number;
  readonly direction?: 'forwards' | 'backwards';
}

/** Options of `setStreamMetadata`. */
export interface SetStreamMetadataOptions {
  /**
   * The expected revision of the stream's *metadata* (0 after the first write), with the same
   * meaning as for events. Defaults to `'any'`: last write wins.
   */
  readonly expectedRevision?: ExpectedRevision;
}

/** A saved checkpoint: the whole lab state as opaque bytes at a stream revision. */
export interface Checkpoint {
  readonly revision: bigint;
  readonly state: Uint8Array;
}

export interface CheckpointStats {
  /** Number of distinct revisions holding a checkpoint. */
  readonly count: number;
  /** Sum of the state sizes of those checkpoints, in bytes. */
  readonly bytes: number;
}

/**
 * Summaries of consecutive events of a stream, as opaque text the caller wrote (the replay layer
 * keeps there what a view needs of each event, so that it need not replay the events to draw
 * them). A cache beside the log: it may be missing for any range, and is never part of an event.
 */
export interface SummaryChunk {
  /** The revision of the first event summarised. */
  readonly firstRevision: bigint;
  /** How many consecutive events the text summarises, from `firstRevision`: a positive safe integer. */
  readonly count: number;
  readonly data: string;
}

export interface EventStore {
  /**
   * Appends a non-empty batch atomically: either every event is stored, with consecutive
   * revisions, or none is. Throws `ConcurrencyConflictError` (code `STORE_CONFLICT`) when
   * `expected` does not hold.
   */
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Reads a stream in revision order. A missing stream yields nothing; it is not an error. */
  readStream(streamId: string, options?: ReadOptions): AsyncIterable<StoredEvent>;
  /** The revision of the stream's last event, or null when the stream has no events. */
  lastRevision(streamId: string): Promise<bigint | null>;
  /** The ids of the streams that have events and start with `prefix`, sorted. */
  listStreams(prefix: string): Promise<string[]>;
  /**
   * Replaces the stream's metadata: a small JSON object whose keys must not start with `$`
   * (reserved by KurrentDB). The stream itself need not exist.
   */
  setStreamMetadata(
    streamId: string,
    metadata: Readonly<Record<string, unknown>>,
    options?: SetStreamMetadataOptions,
  ): Promise<void>;
  /** The last metadata written for the stream, or null when none was written. */
  getStreamMetadata(streamId: string): Promise<Readonly<Record<string, unknown>> | null>;
  /**
   * Stores the whole lab state at `revision`, which must be an existing revision of the stream.
   * A second save at the same revision replaces the first.
   */
  saveCheckpoint(streamId: string, revision: bigint, state: Uint8Array): Promise<void>;
  /** The checkpoint with the highest revision not above `atOrBefore`, or null. */
  loadCheckpoint(streamId: string, atOrBefore: bigint): Promise<Checkpoint | null>;
  checkpointStats(streamId: string): Promise<CheckpointStats>;
  /**
   * Stores the summaries of revisions `firstRevision .. firstRevision+count-1`, which must exist.
   * Chunks lying wholly inside that range are replaced (a merge of several into one), so a
   * reader never sees two chunks for one revision unless they were written overlapping.
   */
  saveSummaries(streamId: string, chunk: SummaryChunk): Promise<void>;
  /** The stream's summary chunks starting at or after `fromRevision` (default 0), in revision order. */
  readSummaries(streamId: string, fromRevision?: bigint): Promise<SummaryChunk[]>;
  /** Releases the connection. Later calls fail with `STORE_CLOSED`; a second close is a no-op. */
  close(): Promise<void>;
}

/**
 * Stream ids the lab may not use, because the adapters keep their own bookkeeping streams there:
 * `$` is KurrentDB's system-stream prefix and `thinlab.` holds the KurrentDB adapter's index and
 * checkpoint streams. Both adapters refuse them so that a lab runs the same on either.
 */
export const RESERVED_STREAM_PREFIXES: readonly string[] = ['$', 'thinlab.'];
