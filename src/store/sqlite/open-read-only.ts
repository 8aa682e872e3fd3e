/**
 * Opening a database for reading only, without creating, migrating or leaving anything behind.
 *
 * SQLite reads a WAL-mode database through a `-wal` and a `-shm` file next to it, and a
 * read-only connection creates them and never deletes them (only the last read-write connection
 * to close does). So:
 *
 * - a file and directory we may write: a read-write connection that never writes. It creates
 *   nothing (the file must exist) and, closing last, removes the `-wal`/`-shm` it used;
 * - a read-only file or directory whose database has a `-wal` (another process is using it, or
 *   crashed): a read-only connection through the files that are already there;
 * - a read-only file or directory without one: the database is copied into memory, where no
 *   side file exists. The header's WAL mark (bytes 18-19) is cleared in the copy, since an
 *   in-memory database cannot be in WAL mode; with no `-wal`, the main file holds every commit.
 *   If a `-wal` appears while the copy is read (a writer came), the copy is dropped and the
 *   read-only connection is used instead.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { openDatabase } from './open-database.js';
import { translateSqliteError } from './sqlite-errors.js';

/** The largest database copied into memory; a bigger one is opened read-only in place. */
const MAX_MEMORY_COPY_BYTES = 512 * 1024 * 1024;

const writable = (path: string): boolean => {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/** Opens `path` for reading; `checkFile` looks at the header first (file-check.ts). */
export function openForReading(path: string, checkFile: (path: string) => void): Db {
  if (!existsSync(path))
    throw new StoreError(
      'STORE_MISSING',
      `no database ${path}: nothing was created (a recording command such as thinlab sh makes one)`,
    );
  checkFile(path);
  try {
    if (writable(path) && writable(dirname(path))) return openDatabase(path, { fileMustExist: true });
    const wal = `${path}-wal`;
    if (existsSync(wal) || statSync(path).size > MAX_MEMORY_COPY_BYTES)
      return openDatabase(path, { readonly: true, fileMustExist: true });
    const before = statSync(path);
    const copy = readFileSync(path);
    const after = statSync(path);
    if (existsSync(wal) || after.mtimeMs !== before.mtimeMs || after.size !== before.size)
      return openDatabase(path, { readonly: true, fileMustExist: true });
    if (copy.length >= 20 && copy[18] === 2 && copy[19] === 2) {
      copy[18] = 1;
      copy[19] = 1;
    }
    return openDatabase(copy, { readonly: true });
  } catch (error) {
    if (error instanceof StoreError) throw error;
    if (typeof (error as { code?: unknown }).code === 'string') throw translateSqliteError(error, path, 'opening');
    throw new StoreError('STORE_UNREACHABLE', `cannot open database ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
