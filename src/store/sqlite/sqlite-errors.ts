/**
 * Translates better-sqlite3's errors into store errors at the border, so nothing above the
 * adapter sees a SQLITE_* code.
 */
import { isStoreError, StoreError } from '../errors.js';

/** The primary result code, e.g. SQLITE_IOERR for SQLITE_IOERR_SHORT_READ. */
function primaryCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const second = code.indexOf('_', 'SQLITE_'.length);
  return second === -1 ? code : code.slice(0, second);
}

/** Returns a StoreError for a SQLite failure while doing `what` on the database at `path`. */
export function translateSqliteError(error: unknown, path: string, what: string): unknown {
  if (isStoreError(error)) return error;
  const message = (error as Error).message;
  switch (primaryCode(error)) {
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return new StoreError('STORE_CORRUPT', `database ${path} is damaged (${message}) while ${what}`, {
        cause: error,
      });
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new StoreError(
        'STORE_BUSY',
        `database ${path} stayed locked by another writer past the busy timeout while ${what}`,
        { cause: error },
      );
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return new StoreError('STORE_UNREACHABLE', `cannot open database ${path} (${message}) while ${what}`, {
        cause: error,
      });
    case 'SQLITE_FULL':
    case 'SQLITE_IOERR':
    case 'SQLITE_READONLY':
      return new StoreError('STORE_IO', `I/O failure on database ${path} (${message}) while ${what}`, { cause: error });
    case 'SQLITE_ERROR':
      // The statements are fixed and checked at open, so a missing table or column means the
      // schema itself was damaged after the open's check (or by something else entirely).
      if (/no such (table|column)|malformed/i.test(message))
        return new StoreError('STORE_CORRUPT', `database ${path} is damaged (${message}) while ${what}`, {
          cause: error,
        });
      return error;
    default:
      // Anything else is a bug in the adapter (a bad statement, a type error): let it surface as is.
      return error;
  }
}
