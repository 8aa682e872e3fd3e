/**
 * The store's public surface: the port, its errors, and the ways to open an adapter. The
 * KurrentDB adapter is only re-exported as a type, so importing this barrel never loads the
 * KurrentDB client; `openStore` loads it when a URL asks for it.
 */
export type {
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
} from './event-store.js';
export { RESERVED_STREAM_PREFIXES } from './event-store.js';
export { ConcurrencyConflictError, isConcurrencyConflict, isStoreError, StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { expectedRevisionHolds } from './expected-revision.js';
export { openStore, parseStoreUrl } from './open-store.js';
export type { StoreLocation } from './open-store.js';
export { openSqliteStore, SqliteEventStore } from './sqlite/sqlite-event-store.js';
export type { SqliteStoreOptions } from './sqlite/sqlite-event-store.js';
export type { KurrentEventStore, KurrentStoreOptions } from './kurrentdb/kurrentdb-event-store.js';
