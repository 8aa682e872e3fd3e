/**
 * Picks an adapter from a store URL. Only the CLI calls this, with a URL it got from argv or the
 * environment; this module reads neither itself.
 *
 * - `sqlite:PATH`, `sqlite://PATH` or a plain path -> SQLite (`sqlite:///abs/path` keeps the slash);
 * - `kurrentdb://...`, `esdb://...` (and the client's other schemes) -> KurrentDB;
 * - any other `scheme:` -> STORE_BAD_URL.
 *
 * The KurrentDB adapter is imported on demand so that a SQLite run never loads the client and
 * its native bridge.
 */

import { existsSync } from 'node:fs';
import { StoreError } from './errors.js';
import type { EventStore } from './event-store.js';
import { redact } from './kurrentdb/connection-string.js';

export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'kurrentdb'; readonly url: string };

const KURRENT_SCHEMES = /^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\//i;
/** A scheme is letters then `:`; a Windows drive letter (`C:\`) is one letter, so it is not mistaken for one. */
const ANY_SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/** Parses a store URL without opening anything. */
export function parseStoreUrl(url: string): StoreLocation {
  if (typeof url !== 'string' || url.trim().length === 0)
    throw new StoreError('STORE_BAD_URL', 'the store URL is empty');
  const trimmed = url.trim();
  if (KURRENT_SCHEMES.test(trimmed)) return { kind: 'kurrentdb', url: trimmed };
  const sqlite = /^sqlite:(\/\/)?(.*)$/i.exec(trimmed);
  if (sqlite !== null) {
    const path = sqlite[2]!;
    if (path.length === 0) throw new StoreError('STORE_BAD_URL', `'${trimmed}' names no file: use sqlite:PATH`);
    return { kind: 'sqlite', path };
  }
  const scheme = ANY_SCHEME.exec(trimmed)?.[1];
  if (scheme !== undefined) {
    throw new StoreError(
      'STORE_BAD_URL',
      `unknown store scheme '${scheme}:' in '${redact(trimmed)}': use sqlite:PATH, a file path, or kurrentdb://host:port`,
    );
  }
  return { kind: 'sqlite', path: trimmed };
}

export interface OpenStoreOptions {
  /**
   * For commands that only read: a SQLite file must exist and is neither created nor migrated,
   * and nothing is left next to it. A KurrentDB server is read as usual (reading creates nothing there).
   */
  readonly readOnly?: boolean;
  /**
   * For commands that write but need a lab already there (checkout, rollback, whatif, branch
   * deletion, `sh --continue`): a missing SQLite file is STORE_MISSING instead of a new, empty one.
   */
  readonly mustExist?: boolean;
  /** The SQLite adapter's write hook (the kill -9 sweep's fault injection); ignored by KurrentDB. */
  readonly onWrite?: (write: number, phase: 'before-commit' | 'after-commit', what: string) => void;
}

/** Opens the store a URL names. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<EventStore> {
  const location = parseStoreUrl(url);
  if (location.kind === 'sqlite') {
    if (options.mustExist === true && !existsSync(location.path))
      throw new StoreError(
        'STORE_MISSING',
        `no database ${location.path}: nothing was created (record a lab first with thinlab sh)`,
      );
    const { openSqliteStore } = await import('./sqlite/sqlite-event-store.js');
    return openSqliteStore(location.path, {
      ...(options.readOnly === true ? { readOnly: true } : {}),
      ...(options.onWrite === undefined ? {} : { onWrite: options.onWrite }),
    });
  }
  const { openKurrentStore } = await import('./kurrentdb/kurrentdb-event-store.js');
  return openKurrentStore(location.url);
}
