/**
 * Store errors. Every expected failure of the store carries a stable `code`, so callers (the CLI's
 * exit codes, the replay layer's retry loop) branch on the code rather than on a message or on
 * `instanceof`, which breaks when two copies of a module are loaded.
 */
import type { ExpectedRevision } from './event-store.js';

export type StoreErrorCode =
  /** An append's expected revision did not hold (see `ConcurrencyConflictError`). */
  | 'STORE_CONFLICT'
  /** The database file cannot be opened or the server does not answer in time. */
  | 'STORE_UNREACHABLE'
  /** The file is not a SQLite database, is truncated or malformed, or holds unreadable rows. */
  | 'STORE_CORRUPT'
  /** A migration already applied to the database was edited afterwards. */
  | 'STORE_MIGRATION_EDITED'
  /** The database records migrations this code does not ship: it was written by a newer lab. */
  | 'STORE_TOO_NEW'
  /** A migration file is misnamed, out of order or fails to apply. */
  | 'STORE_MIGRATION_INVALID'
  /** The file is a SQLite database of something else: it has tables but no migration record. */
  | 'STORE_FOREIGN'
  /** The store URL names no known backend. */
  | 'STORE_BAD_URL'
  /** A caller passed something the port does not accept (empty batch, bad stream id, ...). */
  | 'STORE_INVALID_ARGUMENT'
  /** Another writer held the database lock for longer than the busy timeout. */
  | 'STORE_BUSY'
  /** The operating system failed a read or write (disk full, read-only file, I/O error). */
  | 'STORE_IO'
  /** The server refused a write for its size. */
  | 'STORE_TOO_LARGE'
  /** The server refused the credentials or the operation. */
  | 'STORE_DENIED'
  /** The store was used after `close()`. */
  | 'STORE_CLOSED'
  /** The server failed in a way none of the codes above describes. */
  | 'STORE_BACKEND'
  /** A read-only open found no database (or an empty one): nothing was created. */
  | 'STORE_MISSING'
  /** A read-only open found a database that needs a migration, which only a writing open applies. */
  | 'STORE_TOO_OLD';

/** A symbol shared across copies of this module, so isStoreError() works where instanceof would not. */
const FOOTPRINT: unique symbol = Symbol.for('thinlab/StoreError');

/** Base class of every store error. `message` is always one line. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  readonly [FOOTPRINT] = true;

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    // A message is printed by the CLI as one line, so vendor text with newlines is flattened.
    super(message.replace(/\s*\n\s*/g, ' '), options);
  }
}

/** Thrown by `append` when the expected revision does not hold. */
export class ConcurrencyConflictError extends StoreError {
  override readonly name = 'ConcurrencyConflictError';

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The revision of the stream's last event, or null when the stream has no events. */
    readonly actual: bigint | null,
    options?: { cause?: unknown },
  ) {
    super(
      'STORE_CONFLICT',
      `append to stream '${streamId}' expected ${describeExpected(expected)} but found ${describeActual(actual)}`,
      options,
    );
  }
}

/** Recognises a store error by its footprint, optionally with a given code. */
export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { [FOOTPRINT]?: unknown })[FOOTPRINT] !== true) return false;
  return code === undefined || (error as StoreError).code === code;
}

/** Recognises a concurrency conflict, also across copies of this module. */
export function isConcurrencyConflict(error: unknown): error is ConcurrencyConflictError {
  return isStoreError(error, 'STORE_CONFLICT');
}

export function describeExpected(expected: ExpectedRevision): string {
  if (typeof expected === 'bigint') return `revision ${expected}`;
  switch (expected) {
    case 'any':
      return 'any revision';
    case 'no_stream':
      return 'no stream';
    case 'stream_exists':
      return 'an existing stream';
  }
}

function describeActual(actual: bigint | null): string {
  return actual === null ? 'no stream' : `revision ${actual}`;
}

/** Shorthand for the invalid-argument error, which the validators raise often. */
export function invalidArgument(message: string): StoreError {
  return new StoreError('STORE_INVALID_ARGUMENT', message);
}
