/**
 * The KurrentDB adapter, over `@kurrent/kurrentdb-client`: appends go through the client's gRPC
 * Append call, reads through its Rust bridge. How the port's extras map onto KurrentDB:
 *
 * - Event version and simulated time travel in the event metadata (see `envelope.ts`).
 * - Stream metadata is KurrentDB's own: a `$metadata` event on the `$$<stream>` metastream,
 *   written directly (not through the client's `setStreamMetadata`, which would turn a lab key
 *   such as `maxCount` into the server's `$maxCount` and truncate the stream).
 * - `listStreams` reads the index stream `thinlab.streams`, which gets one `StreamCreated` event
 *   when an append creates a stream, because reading `$all` needs rights a lab user may lack.
 *   The index is written after the append it records (KurrentDB before 25.1 has no atomic write
 *   to two streams). If that second write fails, the append still reports success, since its
 *   events are stored, and the store retries the index entry before its next append or listing;
 *   only a crash in between leaves the stream out of the list.
 * - Checkpoints: see `checkpoint-streams.ts`.
 * - Summaries: one JSON `SummariesSaved` event per save on `thinlab.summaries-<stream>`; a reader
 *   folds them, later saves replacing the chunks inside their range (`summary-chunks.ts`).
 */
import { jsonEvent, KurrentDBClient } from '@kurrent/kurrentdb-client';
import type { AppendStreamState, EventData, ResolvedEvent } from '@kurrent/kurrentdb-client';
import type {
  AppendResult,
  Checkpoint,
  CheckpointStats,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadOptions,
  SetStreamMetadataOptions,
  StoredEvent,
  SummaryChunk,
} from '../event-store.js';
import { ConcurrencyConflictError, StoreError } from '../errors.js';
import { foldSummaryChunks, lastRevisionOf, validateSummaryChunk } from '../summary-chunks.js';
import {
  encodeEvents,
  encodeStreamMetadata,
  validateExpected,
  validatePrefix,
  validateReadOptions,
  validateRevision,
  validateState,
  validateStreamId,
} from '../validate.js';
import { checkpointStats, loadCheckpoint, saveCheckpoint } from './checkpoint-streams.js';
import type { RawStreams } from './checkpoint-streams.js';
import { describeTarget, normalizeConnectionString } from './connection-string.js';
import { fromEnvelope, toEnvelope } from './envelope.js';
import { clientErrorType, translateKurrentError, withTimeout } from './kurrent-errors.js';

export interface KurrentStoreOptions {
  /**
   * How long one call (an append, a one-event read, each step of a long read) may take before
   * STORE_UNREACHABLE, in ms. Default 5000.
   */
  readonly timeoutMs?: number;
}

/** The index of stream names; see the module comment. */
export const STREAM_INDEX = 'thinlab.streams';
/** The side stream of a lab stream's summary chunks (`thinlab.` is reserved for the adapter). */
const summaryStreamOf = (streamId: string): string => `thinlab.summaries-${streamId}`;
const U64_MAX = (1n << 64n) - 1n;

/** Opens a client and checks that the server answers, so a wrong URL fails here and not at the first append. */
export async function openKurrentStore(
  connectionString: string,
  options: KurrentStoreOptions = {},
): Promise<KurrentEventStore> {
  const url = normalizeConnectionString(connectionString);
  const target = describeTarget(url);
  let client: KurrentDBClient;
  try {
    client = KurrentDBClient.connectionString(url);
  } catch (error) {
    throw new StoreError('STORE_BAD_URL', `cannot use KurrentDB URL for ${target}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const store = new KurrentEventStore(client, target, options.timeoutMs ?? 5000);
  try {
    await store.ping();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export class KurrentEventStore implements EventStore {
  readonly #client: KurrentDBClient;
  readonly #target: string;
  readonly #timeoutMs: number;
  readonly #raw: RawStreams;
  /** Streams created by this store whose index entry could not be written yet. */
  readonly #unindexed = new Set<string>();
  #closed = false;

  constructor(client: KurrentDBClient, target: string, timeoutMs: number) {
    this.#client = client;
    this.#target = target;
    this.#timeoutMs = timeoutMs;
    this.#raw = {
      append: (stream, events, state, what) => this.#appendRaw(stream, events, state, what),
      read: (stream, options, what) => this.#readRaw(stream, options, what),
    };
  }

  /** The server address, without credentials. */
  get target(): string {
    return this.#target;
  }

  /** One cheap read, to learn whether the server answers. */
  async ping(): Promise<void> {
    await this.#readRaw(STREAM_INDEX, { direction: 'backwards', maxCount: 1 }, 'connecting');
  }

  async append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    validateStreamId(streamId);
    validateExpected(expected);
    encodeEvents(events); // Validates; the client serialises again itself.
    const data = events.map((e) =>
      jsonEvent({
        type: e.type,
        data: e.data as never,
        metadata: toEnvelope(e.version, e.timeMs, e.metadata) as never,
      }),
    );
    await this.#flushIndex().catch(() => undefined); // Best effort here; listStreams insists.
    const result = await this.#appendRaw(streamId, data, expected, `appending to '${streamId}'`);
    if (result.nextExpectedRevision === BigInt(events.length - 1)) {
      // This append created the stream: record it for listStreams.
      this.#unindexed.add(streamId);
      await this.#flushIndex().catch(() => undefined);
    }
    return result;
  }

  /** Writes the pending index entries, oldest first; throws if the server refuses. */
  async #flushIndex(): Promise<void> {
    for (const streamId of [...this.#unindexed]) {
      await this.#appendRaw(
        STREAM_INDEX,
        [jsonEvent({ type: 'StreamCreated', data: { streamId } })],
        'any',
        'indexing a new stream',
      );
      this.#unindexed.delete(streamId);
    }
  }

  readStream(streamId: string, options: ReadOptions = {}): AsyncIterable<StoredEvent> {
    const read = async function* (this: KurrentEventStore): AsyncGenerator<StoredEvent, void, undefined> {
      validateStreamId(streamId);
      validateReadOptions(options);
      for await (const resolved of this.#iterate(streamId, options, `reading '${streamId}'`)) {
        yield this.#toStoredEvent(streamId, resolved);
      }
    };
    return read.call(this);
  }

  async lastRevision(streamId: string): Promise<bigint | null> {
    validateStreamId(streamId);
    const [last] = await this.#readRaw(
      streamId,
      { direction: 'backwards', maxCount: 1 },
      `reading the end of '${streamId}'`,
    );
    return last?.event?.revision ?? null;
  }

  async listStreams(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    await this.#flushIndex();
    const ids = new Set<string>();
    for await (const resolved of this.#iterate(STREAM_INDEX, {}, 'listing streams')) {
      const id = (resolved.event?.data as { streamId?: unknown } | undefined)?.streamId;
      if (typeof id === 'string' && id.startsWith(prefix)) ids.add(id);
    }
    return [...ids].sort();
  }

  async setStreamMetadata(
    streamId: string,
    metadata: Readonly<Record<string, unknown>>,
    options: SetStreamMetadataOptions = {},
  ): Promise<void> {
    validateStreamId(streamId);
    const expected = options.expectedRevision ?? 'any';
    validateExpected(expected);
    encodeStreamMetadata(metadata);
    const event = jsonEvent({ type: '$metadata', data: metadata as never });
    await this.#appendRaw(`$$${streamId}`, [event], expected, `writing the metadata of '${streamId}'`);
  }

  async getStreamMetadata(streamId: string): Promise<Readonly<Record<string, unknown>> | null> {
    validateStreamId(streamId);
    const [last] = await this.#readRaw(
      `$$${streamId}`,
      { direction: 'backwards', maxCount: 1 },
      `reading the metadata of '${streamId}'`,
    );
    const data = last?.event?.data;
    if (data === undefined) return null;
    if (typeof data !== 'object' || data === null || Array.isArray(data) || data instanceof Uint8Array) {
      throw new StoreError(
        'STORE_CORRUPT',
        `the metadata of stream '${streamId}' on ${this.#target} is not a JSON object`,
      );
    }
    return data as Record<string, unknown>;
  }

  async saveCheckpoint(streamId: string, revision: bigint, state: Uint8Array): Promise<void> {
    validateStreamId(streamId);
    validateRevision(revision, 'checkpoint revision');
    validateState(state);
    const last = await this.lastRevision(streamId);
    if (last === null || last < revision) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        `cannot checkpoint stream '${streamId}' at revision ${revision}: its last revision is ${last ?? 'none'}`,
      );
    }
    await saveCheckpoint(this.#raw, streamId, revision, state);
  }

  async loadCheckpoint(streamId: string, atOrBefore: bigint): Promise<Checkpoint | null> {
    validateStreamId(streamId);
    validateRevision(atOrBefore, 'atOrBefore');
    return loadCheckpoint(this.#raw, streamId, atOrBefore, this.#target);
  }

  async checkpointStats(streamId: string): Promise<CheckpointStats> {
    validateStreamId(streamId);
    return checkpointStats(this.#raw, streamId);
  }

  /** Summaries go to a side stream, one JSON event per save; the newest saves win (summary-chunks.ts). */
  async saveSummaries(streamId: string, chunk: SummaryChunk): Promise<void> {
    validateStreamId(streamId);
    validateSummaryChunk(chunk);
    const last = await this.lastRevision(streamId);
    if (last === null || last < lastRevisionOf(chunk)) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        `cannot store summaries of stream '${streamId}' up to revision ${lastRevisionOf(chunk)}: its last revision is ${last ?? 'none'}`,
      );
    }
    const data = { firstRevision: chunk.firstRevision.toString(), count: chunk.count, data: chunk.data };
    await this.#appendRaw(
      summaryStreamOf(streamId),
      [jsonEvent({ type: 'SummariesSaved', data })],
      'any',
      `saving summaries of '${streamId}'`,
    );
  }

  async readSummaries(streamId: string, fromRevision = 0n): Promise<SummaryChunk[]> {
    validateStreamId(streamId);
    validateRevision(fromRevision, 'fromRevision');
    const saves: SummaryChunk[] = [];
    for (const resolved of await this.#readRaw(summaryStreamOf(streamId), {}, `reading summaries of '${streamId}'`)) {
      const d = resolved.event?.data as { firstRevision?: unknown; count?: unknown; data?: unknown } | undefined;
      // A malformed save is passed over: summaries are a cache, and what is missing is recomputed.
      if (typeof d?.firstRevision !== 'string' || !/^[0-9]{1,20}$/.test(d.firstRevision)) continue;
      const chunk = { firstRevision: BigInt(d.firstRevision), count: d.count, data: d.data };
      try {
        validateSummaryChunk(chunk);
      } catch {
        continue;
      }
      saves.push(chunk);
    }
    return foldSummaryChunks(saves).filter((c) => c.firstRevision >= fromRevision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.dispose();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', `the KurrentDB store at ${this.#target} is closed`);
  }

  #timedOut(what: string): () => StoreError {
    return () =>
      new StoreError(
        'STORE_UNREACHABLE',
        `KurrentDB at ${this.#target} did not answer within ${this.#timeoutMs} ms while ${what}`,
      );
  }

  async #appendRaw(
    stream: string,
    events: EventData[],
    expected: ExpectedRevision,
    what: string,
  ): Promise<AppendResult> {
    this.#checkOpen();
    try {
      const call = this.#client.appendToStream(stream, events, { streamState: expected as AppendStreamState });
      const result = await withTimeout(call, this.#timeoutMs, this.#timedOut(what));
      const position = result.position?.prepare ?? result.position?.commit;
      if (position === undefined)
        throw new StoreError('STORE_BACKEND', `KurrentDB at ${this.#target} returned no log position while ${what}`);
      return { nextExpectedRevision: result.nextExpectedRevision, position };
    } catch (error) {
      if (clientErrorType(error) === 'wrong-expected-version') {
        const actual = (error as { actualState?: bigint | string }).actualState;
        throw new ConcurrencyConflictError(stream, expected, typeof actual === 'bigint' ? actual : null, {
          cause: error,
        });
      }
      throw translateKurrentError(error, this.#target, what);
    }
  }

  /** A whole short read into memory; a missing stream reads as empty. */
  async #readRaw(stream: string, options: ReadOptions, what: string): Promise<ResolvedEvent[]> {
    const events: ResolvedEvent[] = [];
    for await (const resolved of this.#iterate(stream, options, what)) events.push(resolved);
    return events;
  }

  /** The client's read, with StreamNotFound turned into an empty read and every step bounded in time. */
  async *#iterate(stream: string, options: ReadOptions, what: string): AsyncGenerator<ResolvedEvent, void, undefined> {
    this.#checkOpen();
    if (options.maxCount === 0) return;
    const backwards = options.direction === 'backwards';
    const iterator = this.#client
      .readStream(stream, {
        direction: backwards ? 'backwards' : 'forwards',
        fromRevision: options.fromRevision ?? (backwards ? 'end' : 'start'),
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      })
      [Symbol.asyncIterator]();
    try {
      for (;;) {
        let step: IteratorResult<ResolvedEvent>;
        try {
          step = await withTimeout(iterator.next(), this.#timeoutMs, this.#timedOut(what));
        } catch (error) {
          if (clientErrorType(error) === 'stream-not-found') return;
          throw translateKurrentError(error, this.#target, what);
        }
        if (step.done === true) return;
        yield step.value;
      }
    } finally {
      // Stop the client's read when the caller stops early; its errors no longer matter.
      void iterator.return?.(undefined)?.catch(() => undefined);
    }
  }

  #toStoredEvent(streamId: string, resolved: ResolvedEvent): StoredEvent {
    const event = resolved.event;
    const where = `event ${event?.revision ?? '?'} of '${streamId}' on ${this.#target}`;
    if (event === undefined || !event.isJson) throw new StoreError('STORE_CORRUPT', `${where} is not a JSON event`);
    const { version, timeMs, metadata } = fromEnvelope(event.metadata, where);
    return {
      streamId,
      revision: event.revision,
      position: this.#positionOf(event.position, where),
      type: event.type,
      version,
      data: event.data,
      metadata,
      timeMs,
    };
  }

  /**
   * The prepare position is unique per event (the commit position may be shared by a batch).
   * Servers before 22.6 leave positions out of stream reads (u64 max), and the port cannot keep
   * its promise of a global position then: say so rather than invent one.
   */
  #positionOf(position: { commit: bigint; prepare: bigint } | undefined, where: string): bigint {
    const value = position?.prepare !== undefined && position.prepare !== U64_MAX ? position.prepare : position?.commit;
    if (value === undefined || value === U64_MAX) {
      throw new StoreError(
        'STORE_BACKEND',
        `${where} carries no log position: KurrentDB before 22.6 does not report positions on stream reads`,
      );
    }
    return value;
  }
}
