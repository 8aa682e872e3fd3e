/**
 * Checkpoints on KurrentDB. A lab state can be megabytes, and the server refuses any single
 * append over its MaxAppendSize (1 MiB by default), so a state is stored as binary chunks and
 * found through a small JSON index:
 *
 * - `thinlab.checkpoint-data-<stream>`: binary `CheckpointChunk` events of at most 512 KiB, one
 *   append each, the raw bytes (no base64: a third smaller and no encoding cost), each with
 *   `{ revision, part, parts }` in its metadata so a load can check it got the right chunks.
 * - `thinlab.checkpoints-<stream>`: one JSON `CheckpointSaved` event per save, written after all
 *   its chunks: `{ revision, firstChunk, chunks, bytes }`. It is the commit record: a save that
 *   dies half-way leaves chunks no index event points at, and they are never read.
 *
 * The lab streams keep the events alone, so reading a lab never pays for its checkpoints. A save
 * at a revision that already has a checkpoint adds a newer index event, and the newest wins;
 * the chunks it replaces stay in the data stream (KurrentDB is append-only) until a scavenge.
 */
import { binaryEvent, jsonEvent } from '@kurrent/kurrentdb-client';
import type { EventData, ResolvedEvent } from '@kurrent/kurrentdb-client';
import type { AppendResult, Checkpoint, CheckpointStats, ExpectedRevision, ReadOptions } from '../event-store.js';
import { isConcurrencyConflict, StoreError } from '../errors.js';

/** The adapter's bounded, error-translating append and read, lent to this module. */
export interface RawStreams {
  append(stream: string, events: EventData[], expected: ExpectedRevision, what: string): Promise<AppendResult>;
  /** A missing stream reads as empty. */
  read(stream: string, options: ReadOptions, what: string): Promise<ResolvedEvent[]>;
}

/** Half the server's default MaxAppendSize, leaving room for the event's own framing. */
export const CHUNK_BYTES = 512 * 1024;
/** Tries of a save that keeps losing races with another save of the same stream. */
const SAVE_ATTEMPTS = 5;

interface IndexEntry {
  readonly revision: bigint;
  /** Revision of the first chunk in the data stream; null for an empty state. */
  readonly firstChunk: bigint | null;
  readonly chunks: number;
  readonly bytes: number;
}

const dataStreamOf = (streamId: string): string => `thinlab.checkpoint-data-${streamId}`;
const indexStreamOf = (streamId: string): string => `thinlab.checkpoints-${streamId}`;

export async function saveCheckpoint(
  raw: RawStreams,
  streamId: string,
  revision: bigint,
  state: Uint8Array,
): Promise<void> {
  const what = `saving checkpoint ${revision} of '${streamId}'`;
  for (let attempt = 1; ; attempt++) {
    try {
      const firstChunk = await writeChunks(raw, streamId, revision, state, what);
      const entry = {
        revision: revision.toString(),
        firstChunk: firstChunk?.toString() ?? null,
        chunks: chunkCount(state),
        bytes: state.byteLength,
      };
      await raw.append(indexStreamOf(streamId), [jsonEvent({ type: 'CheckpointSaved', data: entry })], 'any', what);
      return;
    } catch (error) {
      // Another save of this stream slipped a chunk between ours: start over, a few times at most.
      if (!isConcurrencyConflict(error) || attempt >= SAVE_ATTEMPTS) throw error;
    }
  }
}

/**
 * Appends the chunks so that they are consecutive in the data stream: each append expects the
 * revision of the previous chunk, and a concurrent save makes it fail rather than interleave.
 */
async function writeChunks(
  raw: RawStreams,
  streamId: string,
  revision: bigint,
  state: Uint8Array,
  what: string,
): Promise<bigint | null> {
  const parts = chunkCount(state);
  let first: bigint | null = null;
  let expected: ExpectedRevision = 'any';
  for (let part = 0; part < parts; part++) {
    const chunk = state.subarray(part * CHUNK_BYTES, Math.min((part + 1) * CHUNK_BYTES, state.byteLength));
    const metadata = { revision: revision.toString(), part, parts };
    const result = await raw.append(
      dataStreamOf(streamId),
      [binaryEvent({ type: 'CheckpointChunk', data: chunk, metadata })],
      expected,
      what,
    );
    first ??= result.nextExpectedRevision;
    expected = result.nextExpectedRevision;
  }
  return first;
}

const chunkCount = (state: Uint8Array): number => Math.ceil(state.byteLength / CHUNK_BYTES);

export async function loadCheckpoint(
  raw: RawStreams,
  streamId: string,
  atOrBefore: bigint,
  target: string,
): Promise<Checkpoint | null> {
  let best: IndexEntry | undefined;
  for (const entry of (await readIndex(raw, streamId)).values()) {
    if (entry.revision <= atOrBefore && (best === undefined || entry.revision > best.revision)) best = entry;
  }
  if (best === undefined) return null;
  if (best.firstChunk === null) return { revision: best.revision, state: new Uint8Array(0) };
  const what = `loading checkpoint ${best.revision} of '${streamId}'`;
  const events = await raw.read(dataStreamOf(streamId), { fromRevision: best.firstChunk, maxCount: best.chunks }, what);
  const state = new Uint8Array(best.bytes);
  let offset = 0;
  for (const [part, resolved] of events.entries()) {
    const data = resolved.event?.data;
    const meta = resolved.event?.metadata as { revision?: unknown; part?: unknown } | undefined;
    const ours =
      resolved.event?.type === 'CheckpointChunk' && meta?.revision === best.revision.toString() && meta.part === part;
    if (!ours || !(data instanceof Uint8Array) || offset + data.byteLength > best.bytes) break;
    state.set(data, offset);
    offset += data.byteLength;
  }
  if (events.length !== best.chunks || offset !== best.bytes) {
    throw new StoreError(
      'STORE_CORRUPT',
      `checkpoint ${best.revision} of '${streamId}' on ${target} is incomplete: ${offset} of ${best.bytes} bytes in ${events.length} of ${best.chunks} chunks`,
    );
  }
  return { revision: best.revision, state };
}

export async function checkpointStats(raw: RawStreams, streamId: string): Promise<CheckpointStats> {
  const index = await readIndex(raw, streamId);
  let bytes = 0;
  for (const entry of index.values()) bytes += entry.bytes;
  return { count: index.size, bytes };
}

/** The newest index entry per revision. */
async function readIndex(raw: RawStreams, streamId: string): Promise<Map<bigint, IndexEntry>> {
  const index = new Map<bigint, IndexEntry>();
  for (const resolved of await raw.read(indexStreamOf(streamId), {}, `reading the checkpoint index of '${streamId}'`)) {
    const data = resolved.event?.data as
      | { revision?: unknown; firstChunk?: unknown; chunks?: unknown; bytes?: unknown }
      | undefined;
    if (typeof data?.revision !== 'string' || typeof data.chunks !== 'number' || typeof data.bytes !== 'number')
      continue;
    const firstChunk = typeof data.firstChunk === 'string' ? BigInt(data.firstChunk) : null;
    const revision = BigInt(data.revision);
    index.set(revision, { revision, firstChunk, chunks: data.chunks, bytes: data.bytes });
  }
  return index;
}
