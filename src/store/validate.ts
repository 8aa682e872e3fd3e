/**
 * Argument checks shared by every adapter, so that a bad call fails the same way, with
 * `STORE_INVALID_ARGUMENT`, whichever backend is behind the port. Each check runs before any I/O.
 */
import { RESERVED_STREAM_PREFIXES } from './event-store.js';
import type { ExpectedRevision, NewEvent, ReadOptions } from './event-store.js';
import { invalidArgument } from './errors.js';

/** KurrentDB has no hard limit below this; a longer id is surely a bug in the caller. */
const STREAM_ID_MAX_LENGTH = 512;
const EVENT_TYPE_MAX_LENGTH = 200;
/** An unsigned 64-bit integer: the range of KurrentDB revisions. */
const U64_MAX = (1n << 64n) - 1n;

export function validateStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw invalidArgument(`stream id must be a non-empty string, got ${describe(streamId)}`);
  }
  if (streamId.length > STREAM_ID_MAX_LENGTH) {
    throw invalidArgument(`stream id is ${streamId.length} characters long; the limit is ${STREAM_ID_MAX_LENGTH}`);
  }
  for (const prefix of RESERVED_STREAM_PREFIXES) {
    if (streamId.startsWith(prefix))
      throw invalidArgument(`stream id '${streamId}' starts with the reserved prefix '${prefix}'`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses.
  if (/[\u0000-\u001f]/.test(streamId))
    throw invalidArgument(`stream id ${JSON.stringify(streamId)} contains a control character`);
}

export function validateRevision(revision: unknown, what: string): asserts revision is bigint {
  if (typeof revision !== 'bigint' || revision < 0n || revision > U64_MAX) {
    throw invalidArgument(`${what} must be a bigint between 0 and 2^64-1, got ${describe(revision)}`);
  }
}

export function validateExpected(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'bigint') return validateRevision(expected, 'expected revision');
  throw invalidArgument(
    `expected revision must be 'any', 'no_stream', 'stream_exists' or a bigint, got ${describe(expected)}`,
  );
}

/** A NewEvent with its JSON already produced, so adapters serialise each payload exactly once. */
export interface EncodedEvent {
  readonly type: string;
  readonly version: number;
  readonly data: string;
  /** JSON text of the caller's metadata, or null when there is none. */
  readonly metadata: string | null;
  readonly timeMs: number;
}

/** Checks a batch and serialises it. Throws before anything is written. */
export function encodeEvents(events: unknown): EncodedEvent[] {
  if (!Array.isArray(events)) throw invalidArgument(`events must be an array, got ${describe(events)}`);
  if (events.length === 0) throw invalidArgument('cannot append an empty batch of events');
  const encoded: EncodedEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) encoded[i] = encodeEvent(events[i] as NewEvent, i);
  return encoded;
}

function encodeEvent(event: NewEvent, index: number): EncodedEvent {
  if (typeof event !== 'object' || event === null)
    throw invalidArgument(`event ${index} is ${describe(event)}, not an object`);
  const { type, version, timeMs } = event;
  if (typeof type !== 'string' || type.length === 0 || type.length > EVENT_TYPE_MAX_LENGTH || type.startsWith('$')) {
    throw invalidArgument(
      `event ${index}: type must be a string of 1 to ${EVENT_TYPE_MAX_LENGTH} characters not starting with '$', got ${describe(type)}`,
    );
  }
  if (!Number.isSafeInteger(version) || version < 0) {
    throw invalidArgument(`event ${index} (${type}): version must be a non-negative integer, got ${describe(version)}`);
  }
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs) || timeMs < 0) {
    throw invalidArgument(`event ${index} (${type}): timeMs must be a finite number >= 0, got ${describe(timeMs)}`);
  }
  const data = toJson(event.data, `event ${index} (${type}) data`);
  let metadata: string | null = null;
  if (event.metadata !== undefined) {
    validateJsonObject(event.metadata, `event ${index} (${type}) metadata`);
    metadata = toJson(event.metadata, `event ${index} (${type}) metadata`);
  }
  return { type, version, data, metadata, timeMs };
}

/** Checks stream metadata: a plain JSON object whose keys do not start with `$`. */
export function encodeStreamMetadata(metadata: unknown): string {
  validateJsonObject(metadata, 'stream metadata');
  for (const key of Object.keys(metadata)) {
    // KurrentDB gives `$`-keys meaning ($maxCount, $tb, $acl...): a lab key must not truncate a stream.
    if (key.startsWith('$')) throw invalidArgument(`stream metadata key '${key}' starts with the reserved '$'`);
  }
  return toJson(metadata, 'stream metadata');
}

export function validateReadOptions(options: ReadOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null)
    throw invalidArgument(`read options must be an object, got ${describe(options)}`);
  if (options.fromRevision !== undefined) validateRevision(options.fromRevision, 'fromRevision');
  if (options.maxCount !== undefined && (!Number.isSafeInteger(options.maxCount) || options.maxCount < 0)) {
    throw invalidArgument(`maxCount must be a non-negative integer, got ${describe(options.maxCount)}`);
  }
  if (options.direction !== undefined && options.direction !== 'forwards' && options.direction !== 'backwards') {
    throw invalidArgument(`direction must be 'forwards' or 'backwards', got ${describe(options.direction)}`);
  }
}

export function validateState(state: unknown): asserts state is Uint8Array {
  if (!(state instanceof Uint8Array))
    throw invalidArgument(`checkpoint state must be a Uint8Array, got ${describe(state)}`);
}

export function validatePrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw invalidArgument(`stream prefix must be a string, got ${describe(prefix)}`);
}

function validateJsonObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(`${what} must be a JSON object, got ${describe(value)}`);
  }
}

function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    // BigInt values and cycles land here: the store keeps JSON only.
    throw invalidArgument(`${what} is not JSON-serialisable: ${(error as Error).message}`);
  }
  if (text === undefined) throw invalidArgument(`${what} is not JSON-serialisable (got ${describe(value)})`);
  return text;
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
