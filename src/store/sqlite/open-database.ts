/**
 * Every better-sqlite3 connection is opened here, naming its compiled module by path: without it
 * the `bindings` package searches a dozen candidate paths on each start, about 6 ms of the CPU a
 * read-only command such as `thinlab log` spends in all (docs/performance.md).
 */
import { createRequire } from 'node:module';
import type { Database as Db, Options } from 'better-sqlite3';
import Database from 'better-sqlite3';

let nativeBindingPath: string | null | undefined;

/** The `.node` file npm built; null when it is elsewhere (a debug build), where `bindings` finds it. */
function nativeBinding(): string | null {
  if (nativeBindingPath === undefined) {
    try {
      nativeBindingPath = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
    } catch {
      nativeBindingPath = null;
    }
  }
  return nativeBindingPath;
}

export function openDatabase(path: string | Buffer, options: Options = {}): Db {
  const binding = nativeBinding();
  return new Database(path, binding === null ? options : { ...options, nativeBinding: binding });
}
