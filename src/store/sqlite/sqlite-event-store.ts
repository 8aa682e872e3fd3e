/**
 * The SQLite adapter: one database file, written through better-sqlite3's synchronous API and
 * wrapped in the port's promises. The synchronous methods (`appendSync`, `readStreamPagesSync`)
 * are public for benchmarks and for tools that need no event loop.
 *
 * Durability: the file runs in WAL mode. A batch is one `BEGIN IMMEDIATE` transaction, so a
 * process killed in the middle of an append (kill -9) leaves the log at the last complete batch:
 * SQLite ignores WAL frames that no commit frame seals. With `synchronous=NORMAL` (the default
 * here) a commit reaches the operating system before `append` returns, which survives any crash
 * of the process; only a power cut or kernel crash can lose the last few batches, and even then the
 * file stays consistent. `durability: 'full'` fsyncs the WAL on every commit to survive power
 * loss too, at the price of one fsync per batch.
 */

import type { Database as Db, Statement } from 'better-sqlite3';
import { ConcurrencyConflictError, invalidArgument, StoreError } from '../errors.js';
import { openDatabase } from './open-database.js';
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
import { expectedRevisionHolds } from '../expected-revision.js';
import { validateSummaryChunk } from '../summary-chunks.js';
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
import { eventChecksum } from './event-checksum.js';
import { checkDatabaseFile } from './file-check.js';
import {
  applyPendingMigrations,
  checkAppliedMigrations,
  defaultMigrationsDir,
  loadMigrations,
  readAppliedMigrations,
} from './migrate.js';
import { openForReading } from './open-read-only.js';
import { translateSqliteError } from './sqlite-errors.js';
import { checkStoreStructure, hasChecksumColumn, hasSummaryTable } from './structure-check.js';

export interface SqliteStoreOptions {
  /** Where the migration files are; defaults to the package's `migrations/`. */
  readonly migrationsDir?: string;
  /** `'normal'` (default): survives process crashes. `'full'`: also survives power loss, slower. */
  readonly durability?: 'normal' | 'full';
  /** How long a writer waits for another connection's lock before STORE_BUSY, in ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /**
   * Open for reading only: the file must exist (STORE_MISSING otherwise, and nothing is created),
   * no migration runs (a database that needs one is refused), every write is refused, and the
   * open works on read-only files and directories without leaving `-wal`/`-shm` files behind
   * (open-read-only.ts).
   */
  readonly readOnly?: boolean;
  /**
   * Called at each write transaction (1, 2, 3... in this connection), once just before its commit
   * and once just after: the kill -9 sweep ends the process there to prove a crash at any write
   * leaves the old or the new state. Never set in normal use.
   */
  readonly onWrite?: WriteHook;
}

export type WriteHook = (write: number, phase: 'before-commit' | 'after-commit', what: string) => void;

/** Events fetched per query while reading; big enough to amortise the query, small enough to bound memory. */
const READ_PAGE_EVENTS = 4096;
const MAX_SAFE_REVISION = BigInt(Number.MAX_SAFE_INTEGER);
/** Migrations a read-only open can do without (see #openReadOnly). */
const READ_OPTIONAL_MIGRATIONS: readonly string[] = ['0004_add_event_checksums.sql', '0006_create_event_summaries.sql'];

type EventRow = [
  revision: number,
  position: number,
  type: string,
  version: number,
  data: string,
  metadata: string | null,
  timeMs: number,
  /** Forward reads only; null for events from before migration 0004. */
  checksum?: number | null,
];

/** Opens (creating if needed) and migrates a store file. See `SqliteEventStore`. */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteEventStore> {
  return SqliteEventStore.open(path, options);
}

export class SqliteEventStore implements EventStore {
  readonly #db: Db;
  readonly #path: string;
  readonly #appliedMigrations: readonly string[];
  readonly #statements: ReturnType<typeof prepareStatements>;
  readonly #readOnly: boolean;
  readonly #onWrite: WriteHook | undefined;
  #writes = 0;
  #closed = false;

  private constructor(db: Db, path: string, appliedMigrations: readonly string[], options: SqliteStoreOptions) {
    this.#db = db;
    this.#path = path;
    this.#appliedMigrations = appliedMigrations;
    this.#statements = prepareStatements(db, hasChecksumColumn(db), hasSummaryTable(db));
    this.#readOnly = options.readOnly === true;
    this.#onWrite = options.onWrite;
  }

  /** Synchronous open: header check, connection settings, migration checks, then pending migrations. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteEventStore {
    if (typeof path !== 'string' || path.length === 0 || path === ':memory:') {
      throw invalidArgument(`SQLite store path must be a file path, got ${JSON.stringify(path)}`);
    }
    const migrationsDir = options.migrationsDir ?? defaultMigrationsDir();
    const migrations = loadMigrations(migrationsDir);
    if (options.readOnly === true) return SqliteEventStore.#openReadOnly(path, migrations, migrationsDir, options);
    checkDatabaseFile(path);
    let db: Db;
    try {
      db = openDatabase(path);
    } catch (error) {
      // better-sqlite3 throws a plain TypeError when the directory is missing.
      throw new StoreError('STORE_UNREACHABLE', `cannot open database ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // Everything up to the migration checks only reads, so a refused file keeps its bytes.
      const applied = readAppliedMigrations(db);
      if (applied.length === 0) refuseForeignDatabase(db, path);
      checkAppliedMigrations(applied, migrations, migrationsDir);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('cache_size = -32768'); // 32 MiB of page cache: reads of a whole lab stay in memory.
      let writes = 0;
      const hook = options.onWrite;
      applyPendingMigrations(
        db,
        migrations,
        applied,
        hook === undefined
          ? undefined
          : (phase, name) => hook(phase === 'before-commit' ? ++writes : writes, phase, name),
      );
      checkStoreStructure(db, path);
      const names = readAppliedMigrations(db).map((row) => row.name);
      const store = new SqliteEventStore(db, path, names, options);
      store.#writes = writes;
      return store;
    } catch (error) {
      db.close();
      throw translateSqliteError(error, path, 'opening');
    }
  }

  static #openReadOnly(
    path: string,
    migrations: ReturnType<typeof loadMigrations>,
    migrationsDir: string,
    options: SqliteStoreOptions,
  ): SqliteEventStore {
    const db = openForReading(path, checkDatabaseFile);
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      const applied = readAppliedMigrations(db);
      if (applied.length === 0) {
        refuseForeignDatabase(db, path);
        throw new StoreError('STORE_MISSING', `database ${path} is empty: no lab was recorded in it yet`);
      }
      checkAppliedMigrations(applied, migrations, migrationsDir, false);
      const names = new Set(applied.map((row) => row.name));
      // Reading needs none of the optional migrations (a missing checksum column only means
      // events are not checked), so an older database stays readable without being upgraded.
      const pending = migrations
        .filter((m) => !names.has(m.name) && !READ_OPTIONAL_MIGRATIONS.includes(m.name))
        .map((m) => m.name);
      if (pending.length > 0)
        throw new StoreError(
          'STORE_TOO_OLD',
          `database ${path} was written by an older thinlab and needs ${pending.join(', ')}; a command that records upgrades it (thinlab sh SCRIPT, which starts a new branch, as does sh --continue), reading never does`,
        );
      checkStoreStructure(db, path);
      return new SqliteEventStore(db, path, [...names], options);
    } catch (error) {
      db.close();
      throw translateSqliteError(error, path, 'opening');
    }
  }

  /** The migrations recorded in the database, in order. */
  get appliedMigrations(): readonly string[] {
    return this.#appliedMigrations;
  }

  get path(): string {
    return this.#path;
  }

  async append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    return this.appendSync(streamId, events, expected);
  }

  /** The whole append runs in one IMMEDIATE transaction: the check and the inserts cannot be split by another writer. */
  appendSync(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendResult {
    validateStreamId(streamId);
    validateExpected(expected);
    const encoded = encodeEvents(events); // Serialise before taking the write lock.
    this.#checkWritable();
    const s = this.#statements;
    const run = this.#db.transaction((): AppendResult => {
      const last = s.lastRevision.get(streamId) as number | undefined;
      const actual = last === undefined ? null : BigInt(last);
      if (!expectedRevisionHolds(expected, actual)) throw new ConcurrencyConflictError(streamId, expected, actual);
      let revision = last === undefined ? 0 : last + 1;
      let position = 0;
      for (const e of encoded) {
        const checksum = eventChecksum(e.type, e.version, e.data, e.metadata, e.timeMs);
        position = s.insertEvent.run(streamId, revision++, e.type, e.version, e.data, e.metadata, e.timeMs, checksum)
          .lastInsertRowid as number;
      }
      s.upsertStream.run(streamId, revision - 1);
      this.#beforeCommit(`append to ${streamId}`);
      return { nextExpectedRevision: BigInt(revision - 1), position: BigInt(position) };
    });
    const result = this.#guard('appending', () => run.immediate());
    this.#afterCommit(`append to ${streamId}`);
    return result;
  }

  readStream(streamId: string, options?: ReadOptions): AsyncIterable<StoredEvent> {
    return pagedAsyncIterable(() => this.readStreamPagesSync(streamId, options));
  }

  /**
   * Reads in pages of at most READ_PAGE_EVENTS events. A forward read stops at the last revision
   * that existed when it began. With `verify`, each forward page is checked against the checksums
   * written with its events before it is handed on (what `findDamage` checks, in the same read):
   * a page with a damaged event throws STORE_CORRUPT naming its first damaged revision.
   */
  *readStreamPagesSync(
    streamId: string,
    options: ReadOptions & { readonly verify?: boolean } = {},
  ): Generator<StoredEvent[], void, undefined> {
    validateStreamId(streamId);
    validateReadOptions(options);
    this.#checkOpen();
    const last = this.#guard('reading', () => this.#statements.lastRevision.get(streamId) as number | undefined);
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (last === undefined || remaining === 0) return;
    const from = options.fromRevision === undefined ? undefined : clampRevision(options.fromRevision);
    if (options.direction === 'backwards') {
      let cursor = from === undefined || from > last ? last : from;
      while (cursor >= 0 && remaining > 0) {
        const rows = this.#readRows('backwards', streamId, cursor, Math.min(READ_PAGE_EVENTS, remaining));
        if (rows.length === 0) return;
        this.#checkContiguous(streamId, rows, cursor, -1);
        yield this.#toStoredEvents(streamId, rows);
        remaining -= rows.length;
        cursor = rows[rows.length - 1]![0] - 1;
      }
      return;
    }
    let cursor = from ?? 0;
    while (cursor <= last && remaining > 0) {
      const rows = this.#readRows('forwards', streamId, cursor, Math.min(READ_PAGE_EVENTS, remaining), last);
      if (rows.length === 0) return;
      this.#checkContiguous(streamId, rows, cursor, 1);
      if (options.verify === true) this.#verify(streamId, rows);
      yield this.#toStoredEvents(streamId, rows);
      remaining -= rows.length;
      cursor = rows[rows.length - 1]![0] + 1;
    }
  }

  /** Rows read with their checksum (the 8th column, forwards only): throws at the first that fails it. */
  #verify(streamId: string, rows: readonly EventRow[]): void {
    for (const [revision, , type, version, data, metadata, timeMs, checksum] of rows) {
      if (checksum != null && checksum !== eventChecksum(type, version, data, metadata, timeMs))
        throw new StoreError(
          'STORE_CORRUPT',
          `database ${this.#path} is damaged: event ${revision} of stream '${streamId}' does not match the checksum written with it`,
        );
    }
  }

  #readRows(
    direction: 'forwards' | 'backwards',
    streamId: string,
    cursor: number,
    limit: number,
    last = 0,
  ): EventRow[] {
    this.#checkOpen(); // The store may have been closed between two pages.
    const s = this.#statements;
    return this.#guard(
      'reading',
      () =>
        (direction === 'forwards'
          ? s.readForwards.all(streamId, cursor, last, limit)
          : s.readBackwards.all(streamId, cursor, limit)) as EventRow[],
    );
  }

  /** Revisions must follow each other from `first`: a gap is a lost row, reported as damage. */
  #checkContiguous(streamId: string, rows: readonly EventRow[], first: number, step: 1 | -1): void {
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]![0] !== first + i * step)
        throw new StoreError(
          'STORE_CORRUPT',
          `database ${this.#path} is damaged: event ${first + i * step} of stream '${streamId}' is missing`,
        );
    }
  }

  #toStoredEvents(streamId: string, rows: EventRow[]): StoredEvent[] {
    try {
      return rows.map((row) => toStoredEvent(streamId, row));
    } catch (error) {
      throw new StoreError('STORE_CORRUPT', `database ${this.#path} holds malformed JSON in stream '${streamId}'`, {
        cause: error,
      });
    }
  }

  /**
   * The revisions in `from .. to-1` of a stream whose stored text no longer matches the checksum
   * written with it (events from before migration 0004 have none and are not checked). History
   * calls this where damage would otherwise look like something else: `log`, and a replay that
   * diverges or an event that cannot be decoded.
   */
  async findDamage(streamId: string, fromRevision: bigint, toRevision: bigint): Promise<bigint[]> {
    validateStreamId(streamId);
    this.#checkOpen();
    const rows = this.#guard(
      'checking events',
      () =>
        this.#statements.readChecked.all(streamId, clampRevision(fromRevision), clampRevision(toRevision)) as [
          number,
          string,
          number,
          string,
          string | null,
          number,
          number | null,
        ][],
    );
    const damaged: bigint[] = [];
    for (const [revision, type, version, data, metadata, timeMs, checksum] of rows) {
      if (checksum !== null && checksum !== eventChecksum(type, version, data, metadata, timeMs))
        damaged.push(BigInt(revision));
    }
    return damaged;
  }

  async lastRevision(streamId: string): Promise<bigint | null> {
    validateStreamId(streamId);
    this.#checkOpen();
    const last = this.#guard('reading', () => this.#statements.lastRevision.get(streamId) as number | undefined);
    return last === undefined ? null : BigInt(last);
  }

  async listStreams(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    this.#checkOpen();
    return this.#guard('listing streams', () => {
      // Ids sharing a prefix are contiguous in SQLite's byte order, so the scan stops at the first miss.
      const ids: string[] = [];
      for (const id of this.#statements.listStreams.iterate(prefix) as IterableIterator<string>) {
        if (!id.startsWith(prefix)) break;
        ids.push(id);
      }
      return ids.sort();
    });
  }

  async setStreamMetadata(
    streamId: string,
    metadata: Readonly<Record<string, unknown>>,
    options: SetStreamMetadataOptions = {},
  ): Promise<void> {
    validateStreamId(streamId);
    const expected = options.expectedRevision ?? 'any';
    validateExpected(expected);
    const json = encodeStreamMetadata(metadata);
    this.#checkWritable();
    const s = this.#statements;
    const run = this.#db.transaction(() => {
      const current = s.metadataRevision.get(streamId) as number | undefined;
      const actual = current === undefined ? null : BigInt(current);
      if (!expectedRevisionHolds(expected, actual))
        throw new ConcurrencyConflictError(`$$${streamId}`, expected, actual);
      s.upsertMetadata.run(streamId, current === undefined ? 0 : current + 1, json);
      this.#beforeCommit(`metadata of ${streamId}`);
    });
    this.#guard('writing stream metadata', () => run.immediate());
    this.#afterCommit(`metadata of ${streamId}`);
  }

  async getStreamMetadata(streamId: string): Promise<Readonly<Record<string, unknown>> | null> {
    validateStreamId(streamId);
    this.#checkOpen();
    const json = this.#guard(
      'reading stream metadata',
      () => this.#statements.getMetadata.get(streamId) as string | undefined,
    );
    return json === undefined
      ? null
      : (parseJson(json, this.#path, `metadata of stream '${streamId}'`) as Record<string, unknown>);
  }

  async saveCheckpoint(streamId: string, revision: bigint, state: Uint8Array): Promise<void> {
    validateStreamId(streamId);
    validateRevision(revision, 'checkpoint revision');
    validateState(state);
    this.#checkWritable();
    const s = this.#statements;
    const run = this.#db.transaction(() => {
      const last = s.lastRevision.get(streamId) as number | undefined;
      if (last === undefined || BigInt(last) < revision) {
        throw invalidArgument(
          `cannot checkpoint stream '${streamId}' at revision ${revision}: its last revision is ${last ?? 'none'}`,
        );
      }
      s.saveCheckpoint.run(streamId, revision, Buffer.from(state.buffer, state.byteOffset, state.byteLength));
      this.#beforeCommit(`checkpoint of ${streamId}`);
    });
    this.#guard('saving a checkpoint', () => run.immediate());
    this.#afterCommit(`checkpoint of ${streamId}`);
  }

  async loadCheckpoint(streamId: string, atOrBefore: bigint): Promise<Checkpoint | null> {
    validateStreamId(streamId);
    validateRevision(atOrBefore, 'atOrBefore');
    this.#checkOpen();
    const row = this.#guard('loading a checkpoint', () =>
      this.#statements.loadCheckpoint.get(streamId, clampRevision(atOrBefore)),
    ) as { revision: number; state: Buffer } | undefined;
    if (row === undefined) return null;
    // A plain Uint8Array view: callers should not depend on Buffer's extra methods.
    return {
      revision: BigInt(row.revision),
      state: new Uint8Array(row.state.buffer, row.state.byteOffset, row.state.byteLength),
    };
  }

  async checkpointStats(streamId: string): Promise<CheckpointStats> {
    validateStreamId(streamId);
    this.#checkOpen();
    return this.#guard(
      'reading checkpoint stats',
      () => this.#statements.checkpointStats.get(streamId) as CheckpointStats,
    );
  }

  async saveSummaries(streamId: string, chunk: SummaryChunk): Promise<void> {
    validateStreamId(streamId);
    validateSummaryChunk(chunk);
    this.#checkWritable();
    const s = this.#statements;
    const first = clampRevision(chunk.firstRevision);
    const last = first + chunk.count - 1;
    const run = this.#db.transaction(() => {
      const streamLast = s.lastRevision.get(streamId) as number | undefined;
      if (streamLast === undefined || streamLast < last)
        throw invalidArgument(
          `cannot store summaries of stream '${streamId}' up to revision ${last}: its last revision is ${streamLast ?? 'none'}`,
        );
      s.deleteSummariesWithin.run(streamId, first, last);
      s.insertSummaries.run(streamId, first, chunk.count, chunk.data);
      this.#beforeCommit(`summaries of ${streamId}`);
    });
    this.#guard('saving summaries', () => run.immediate());
    this.#afterCommit(`summaries of ${streamId}`);
  }

  async readSummaries(streamId: string, fromRevision = 0n): Promise<SummaryChunk[]> {
    validateStreamId(streamId);
    validateRevision(fromRevision, 'fromRevision');
    this.#checkOpen();
    const rows = this.#guard(
      'reading summaries',
      () => this.#statements.readSummaries.all(streamId, clampRevision(fromRevision)) as [number, number, string][],
    );
    return rows.map(([first, count, data]) => ({ firstRevision: BigInt(first), count, data }));
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.#readOnly)
      throw new StoreError(
        'STORE_IO',
        `the SQLite store ${this.#path} was opened for reading only: nothing may be written`,
      );
  }

  #beforeCommit(what: string): void {
    if (this.#onWrite !== undefined) this.#onWrite(++this.#writes, 'before-commit', what);
  }

  #afterCommit(what: string): void {
    if (this.#onWrite !== undefined) this.#onWrite(this.#writes, 'after-commit', what);
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', `the SQLite store ${this.#path} is closed`);
  }

  #guard<T>(what: string, action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw translateSqliteError(error, this.#path, what);
    }
  }
}

function prepareStatements(db: Db, checksums: boolean, summaries: boolean) {
  const prepare = (sql: string): Statement => db.prepare(sql);
  // A read-only open of a database from before migration 0006 has no summaries: it reads none.
  const summarySql = (sql: string, without: string): Statement => prepare(summaries ? sql : without);
  const readColumns = 'SELECT revision, position, type, version, data, metadata, time_ms FROM events';
  // Forward pages carry the checksum too, for reads that verify (it costs nothing to the others).
  const forwardColumns = `SELECT revision, position, type, version, data, metadata, time_ms, ${checksums ? 'checksum' : 'NULL'} FROM events`;
  return {
    lastRevision: prepare('SELECT last_revision FROM streams WHERE stream_id = ?').pluck(),
    // A read-only open of a database from before migration 0004 has no checksum column; it never inserts.
    insertEvent: checksums
      ? prepare(
          'INSERT INTO events (stream_id, revision, type, version, data, metadata, time_ms, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
      : prepare('SELECT ?, ?, ?, ?, ?, ?, ?, ?'),
    readChecked: prepare(
      `SELECT revision, type, version, data, metadata, time_ms, ${checksums ? 'checksum' : 'NULL'} FROM events WHERE stream_id = ? AND revision >= ? AND revision < ? ORDER BY revision`,
    ).raw(),
    upsertStream: prepare(
      'INSERT INTO streams (stream_id, last_revision) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET last_revision = excluded.last_revision',
    ),
    readForwards: prepare(
      `${forwardColumns} WHERE stream_id = ? AND revision >= ? AND revision <= ? ORDER BY revision LIMIT ?`,
    ).raw(),
    readBackwards: prepare(`${readColumns} WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`).raw(),
    listStreams: prepare('SELECT stream_id FROM streams WHERE stream_id >= ? ORDER BY stream_id').pluck(),
    metadataRevision: prepare('SELECT revision FROM stream_metadata WHERE stream_id = ?').pluck(),
    getMetadata: prepare('SELECT metadata FROM stream_metadata WHERE stream_id = ?').pluck(),
    upsertMetadata: prepare(
      'INSERT INTO stream_metadata (stream_id, revision, metadata) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, metadata = excluded.metadata',
    ),
    saveCheckpoint: prepare(
      'INSERT INTO checkpoints (stream_id, revision, state) VALUES (?, ?, ?) ON CONFLICT (stream_id, revision) DO UPDATE SET state = excluded.state',
    ),
    loadCheckpoint: prepare(
      'SELECT revision, state FROM checkpoints WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT 1',
    ),
    checkpointStats: prepare(
      'SELECT count(*) AS count, coalesce(sum(length(state)), 0) AS bytes FROM checkpoints WHERE stream_id = ?',
    ),
    deleteSummariesWithin: summarySql(
      'DELETE FROM event_summaries WHERE stream_id = ? AND first_revision >= ? AND first_revision + count - 1 <= ?',
      'SELECT ?, ?, ?',
    ),
    insertSummaries: summarySql(
      'INSERT INTO event_summaries (stream_id, first_revision, count, data) VALUES (?, ?, ?, ?) ON CONFLICT (stream_id, first_revision) DO UPDATE SET count = excluded.count, data = excluded.data',
      'SELECT ?, ?, ?, ?',
    ),
    readSummaries: summarySql(
      'SELECT first_revision, count, data FROM event_summaries WHERE stream_id = ? AND first_revision >= ? ORDER BY first_revision',
      'SELECT 0, 0, ?, ? WHERE 0',
    ).raw(),
  };
}

/** A file that has tables but no migration record belongs to something else: migrating it would mix two schemas. */
function refuseForeignDatabase(db: Db, path: string): void {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 3")
    .pluck()
    .all() as string[];
  if (tables.length > 0) {
    throw new StoreError(
      'STORE_FOREIGN',
      `database ${path} is not a thinlab store: it has tables (${tables.join(', ')}) but no schema_migrations`,
    );
  }
}

function clampRevision(revision: bigint): number {
  // Stored revisions are far below 2^53, so anything above lies past every stream's end.
  return revision > MAX_SAFE_REVISION ? Number.MAX_SAFE_INTEGER : Number(revision);
}

function toStoredEvent(streamId: string, row: EventRow): StoredEvent {
  return {
    streamId,
    revision: BigInt(row[0]),
    position: BigInt(row[1]),
    type: row[2],
    version: row[3],
    data: JSON.parse(row[4]),
    metadata: row[5] === null ? undefined : JSON.parse(row[5]),
    timeMs: row[6],
  };
}

function parseJson(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StoreError('STORE_CORRUPT', `database ${path} holds malformed JSON in ${what}`, { cause: error });
  }
}

/**
 * Turns a synchronous generator of pages into an async iterable without an async generator per
 * event: each `next()` is an already-resolved promise, which keeps a 1M-event read fast.
 */
function pagedAsyncIterable<T>(pages: () => Generator<T[], void, undefined>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let source: Generator<T[], void, undefined> | undefined;
      let page: T[] = [];
      let index = 0;
      return {
        next(): Promise<IteratorResult<T>> {
          try {
            source ??= pages();
            while (index >= page.length) {
              const step = source.next();
              if (step.done === true) return Promise.resolve({ done: true, value: undefined });
              page = step.value;
              index = 0;
            }
            return Promise.resolve({ done: false, value: page[index++]! });
          } catch (error) {
            return Promise.reject(error);
          }
        },
        return(): Promise<IteratorResult<T>> {
          source?.return();
          page = [];
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}
