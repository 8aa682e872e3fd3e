/**
 * A look at a database file's header before SQLite opens it. SQLite itself only notices damage
 * when a query touches it, and by then opening may already have written to the file (switching
 * it to WAL, creating tables). Checking first means a damaged file gets a clear STORE_CORRUPT and
 * keeps its bytes. Only the header is read, so the check costs the same for any size of file.
 *
 * Header layout: https://www.sqlite.org/fileformat2.html#the_database_header
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StoreError } from '../errors.js';

const MAGIC = 'SQLite format 3\u0000';
const HEADER_BYTES = 100;

/** Throws STORE_CORRUPT when `path` exists but cannot be a whole SQLite database. A missing or empty file is fine: SQLite makes a new one. */
export function checkDatabaseFile(path: string): void {
  const size = fileSize(path);
  if (size === null || size === 0) return;
  if (size < HEADER_BYTES) throw corrupt(path, `it is ${size} bytes long, shorter than a SQLite header`);
  const header = readHeader(path);
  if (header.toString('latin1', 0, 16) !== MAGIC) throw corrupt(path, 'it is not a SQLite database (bad magic header)');
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw corrupt(path, `its header gives an impossible page size ${rawPageSize}`);
  }
  if (size % pageSize !== 0)
    throw corrupt(path, `it is truncated: ${size} bytes is not a whole number of ${pageSize}-byte pages`);
  // The page count at offset 28 is valid only when the change counter (24) matches the
  // version-valid-for number (92). A WAL file may legitimately hold pages past the end of the
  // main file, so with a non-empty WAL the comparison is left to SQLite.
  const pageCount = header.readUInt32BE(28);
  const countValid = pageCount > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
  const walSize = fileSize(`${path}-wal`) ?? 0;
  if (countValid && walSize === 0 && pageCount * pageSize > size) {
    throw corrupt(path, `it is truncated: the header counts ${pageCount} pages but the file holds ${size / pageSize}`);
  }
}

function fileSize(path: string): number | null {
  try {
    const stat = statSync(path);
    if (!stat.isFile())
      throw new StoreError('STORE_UNREACHABLE', `cannot open database ${path}: it is not a regular file`);
    return stat.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (error instanceof StoreError) throw error;
    throw new StoreError('STORE_UNREACHABLE', `cannot open database ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function readHeader(path: string): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new StoreError('STORE_UNREACHABLE', `cannot open database ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  return header;
}

function corrupt(path: string, why: string): StoreError {
  return new StoreError('STORE_CORRUPT', `database ${path} is damaged: ${why}; it was left untouched`);
}
