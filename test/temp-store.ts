/**
 * The set-up the history tests share: a SQLite store in a fresh temporary directory, opened before
 * each test (or once for a file) and removed after, and an Output that collects what a command prints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Output } from '../src/cli/history-commands.js';
import type { EventStore } from '../src/store/event-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';

/** The directory and the store of the running test; read them inside tests and hooks only. */
export interface TempStore {
  readonly dir: string;
  readonly store: EventStore;
}

/**
 * Registers hooks that open `lab.db` in a new `thinlab-PREFIX-*` directory before each test
 * (`each`) or once before the file's tests (`all`), and close and delete it afterwards.
 */
export function useTempStore(prefix: string, scope: 'each' | 'all' = 'each'): TempStore {
  let dir: string | null = null;
  let store: EventStore | null = null;
  const handle: TempStore = {
    get dir() {
      if (dir === null) throw new Error('useTempStore: the directory is read outside a test');
      return dir;
    },
    get store() {
      if (store === null) throw new Error('useTempStore: the store is read outside a test');
      return store;
    },
  };
  (scope === 'each' ? beforeEach : beforeAll)(async () => {
    dir = mkdtempSync(join(tmpdir(), `thinlab-${prefix}-`));
    store = await openSqliteStore(join(dir, 'lab.db'));
  });
  (scope === 'each' ? afterEach : afterAll)(async () => {
    await store?.close();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    store = null;
    dir = null;
  });
  return handle;
}

/** An Output whose standard output is collected: `text` reads it, `reset` empties it. */
export interface CapturedOutput {
  readonly io: Output;
  text(): string;
  reset(): void;
}

export function captureOutput(): CapturedOutput {
  let printed = '';
  return {
    io: { out: (t) => (printed += t), err: () => {}, interactive: false },
    text: () => printed,
    reset: () => {
      printed = '';
    },
  };
}
