/**
 * Forward-only schema migrations. The schema lives only in the ordered SQL files of `migrations/`
 * (`0001_create_events.sql`, ...). At open, each file not yet applied runs in its own transaction
 * and is recorded in `schema_migrations` with the sha256 of its text. Applied files are never run
 * again, so editing one would silently split databases into two schemas: that is refused, as is a
 * database that recorded migrations this code does not ship (it was written by a newer lab).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { packagePath } from '../../shared/package-root.js';
import { sha256Hex } from '../../shared/sha256.js';
import { StoreError } from '../errors.js';

export interface Migration {
  /** The file name, e.g. `0001_create_events.sql`; it is also the migration's identity. */
  readonly name: string;
  readonly sql: string;
  /**
   * sha256 (hex) of the text with CRLF turned into LF, so a checkout's line endings do not count as
   * an edit. Computed on first use: a read-only open never asks for it (see checkAppliedMigrations).
   */
  readonly checksum: string;
}

/** A migration whose checksum is hashed the first time something reads it, then kept. */
function migration(name: string, sql: string): Migration {
  let checksum: string | undefined;
  return {
    name,
    sql,
    get checksum(): string {
      checksum ??= checksumOf(sql);
      return checksum;
    },
  };
}

const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;

/** The bookkeeping table is the one piece of schema that cannot come from a migration file. */
const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name     TEXT PRIMARY KEY,
  checksum TEXT NOT NULL
) STRICT, WITHOUT ROWID`;

/** `<package root>/migrations`, found from this file's location rather than the working directory. */
export function defaultMigrationsDir(): string {
  return packagePath('migrations');
}

export function checksumOf(sql: string): string {
  return sha256Hex(sql.replace(/\r\n/g, '\n'));
}

/** Reads and orders the migration files. Other files (a README) are ignored; a misnamed `.sql` file is refused. */
export function loadMigrations(dir: string): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new StoreError(
      'STORE_MIGRATION_INVALID',
      `cannot read the migrations directory ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const migrations: Migration[] = [];
  const seen = new Map<string, string>();
  for (const name of names.filter((n) => n.endsWith('.sql')).sort()) {
    if (!MIGRATION_NAME.test(name)) {
      throw new StoreError(
        'STORE_MIGRATION_INVALID',
        `migration file ${join(dir, name)} is misnamed: names look like 0004_add_index.sql`,
      );
    }
    const number = name.slice(0, 4);
    const other = seen.get(number);
    if (other !== undefined)
      throw new StoreError('STORE_MIGRATION_INVALID', `migrations ${other} and ${name} share the number ${number}`);
    seen.set(number, name);
    const sql = readFileSync(join(dir, name), 'utf8');
    migrations.push(migration(name, sql));
  }
  if (migrations.length === 0) throw new StoreError('STORE_MIGRATION_INVALID', `no migration files in ${dir}`);
  return migrations;
}

interface AppliedRow {
  readonly name: string;
  readonly checksum: string;
}

/** The migrations recorded in the database, in name order; empty for a new database. */
export function readAppliedMigrations(db: Database): AppliedRow[] {
  const table = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return [];
  return db.prepare('SELECT name, checksum FROM schema_migrations ORDER BY name').all() as AppliedRow[];
}

/**
 * Refuses a database that this code must not touch. It only reads, so a refused file is left
 * exactly as it was. `verifyChecksums: false` (a read-only open) checks the applied names only:
 * an edited migration matters where migrations are applied, which a read-only open never does,
 * and the structure check that follows still refuses a schema the code cannot read. Hashing the
 * files costs a read-only command about a tenth of its start-up (docs/performance.md).
 */
export function checkAppliedMigrations(
  applied: readonly AppliedRow[],
  migrations: readonly Migration[],
  dir: string,
  verifyChecksums = true,
): void {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const unknown = applied.filter((row) => !byName.has(row.name)).map((row) => row.name);
  if (unknown.length > 0) {
    throw new StoreError(
      'STORE_TOO_NEW',
      `the database was migrated by a newer thinlab: it records ${unknown.join(', ')}, which ${dir} does not have`,
    );
  }
  for (const row of verifyChecksums ? applied : []) {
    const migration = byName.get(row.name)!;
    if (migration.checksum !== row.checksum) {
      throw new StoreError(
        'STORE_MIGRATION_EDITED',
        `migration ${join(dir, row.name)} was edited after it was applied (checksum ${migration.checksum.slice(0, 12)} != recorded ${row.checksum.slice(0, 12)}); add a new migration instead`,
      );
    }
  }
  const last = applied.at(-1)?.name;
  if (last === undefined) return;
  const appliedNames = new Set(applied.map((row) => row.name));
  const late = migrations.find((m) => !appliedNames.has(m.name) && m.name < last);
  if (late !== undefined) {
    throw new StoreError(
      'STORE_MIGRATION_INVALID',
      `migration ${late.name} sorts before the applied ${last} but was never applied; migrations must be added at the end`,
    );
  }
}

/**
 * Applies the pending migrations, each in a `BEGIN IMMEDIATE` transaction that first re-checks
 * the record, so two processes opening a new file at once apply each migration exactly once.
 * Migration files must not contain their own BEGIN/COMMIT.
 */
export function applyPendingMigrations(
  db: Database,
  migrations: readonly Migration[],
  applied: readonly AppliedRow[],
  onWrite?: (phase: 'before-commit' | 'after-commit', name: string) => void,
): string[] {
  const done = new Set(applied.map((row) => row.name));
  const ran: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.name)) continue;
    const apply = db.transaction(() => {
      db.exec(CREATE_SCHEMA_MIGRATIONS);
      const row = db.prepare('SELECT checksum FROM schema_migrations WHERE name = ?').get(migration.name) as
        | { checksum: string }
        | undefined;
      if (row !== undefined) return false; // Another process applied it while we waited for the lock.
      try {
        db.exec(migration.sql);
      } catch (error) {
        throw new StoreError(
          'STORE_MIGRATION_INVALID',
          `migration ${migration.name} failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
      db.prepare('INSERT INTO schema_migrations (name, checksum) VALUES (?, ?)').run(
        migration.name,
        migration.checksum,
      );
      onWrite?.('before-commit', migration.name);
      return true;
    });
    if (apply.immediate()) {
      ran.push(migration.name);
      onWrite?.('after-commit', migration.name);
    }
  }
  return ran;
}
