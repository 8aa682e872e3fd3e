/**
 * The SQLite adapter against the shared contract, each test on a fresh file under the OS temp
 * directory, plus the adapter's own settings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runEventStoreContract } from '../event-store.contract.js';
import { openSqliteStore } from './sqlite-event-store.js';

let dir: string | undefined;

runEventStoreContract(
  'SQLite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'thinlab-sqlite-contract-'));
    return openSqliteStore(join(dir, 'lab.db'));
  },
  () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
);

describe('SQLite store settings', () => {
  it('runs the file in WAL mode, with either durability', async () => {
    const settingsDir = mkdtempSync(join(tmpdir(), 'thinlab-sqlite-settings-'));
    try {
      for (const durability of ['normal', 'full'] as const) {
        const path = join(settingsDir, `${durability}.db`);
        const store = await openSqliteStore(path, { durability });
        const result = await store.append(
          'lab',
          [{ type: 'A', version: 1, data: { durability }, timeMs: 1 }],
          'no_stream',
        );
        expect(result).toEqual({ nextExpectedRevision: 0n, position: 1n });
        // journal_mode is stored in the file, so a second connection sees it.
        const raw = new Database(path, { readonly: true });
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
        raw.close();
        await store.close();
      }
    } finally {
      rmSync(settingsDir, { recursive: true, force: true });
    }
  });

  it('serves synchronous pages for tools and benchmarks', async () => {
    const settingsDir = mkdtempSync(join(tmpdir(), 'thinlab-sqlite-sync-'));
    try {
      const store = await openSqliteStore(join(settingsDir, 'lab.db'));
      store.appendSync(
        'lab',
        Array.from({ length: 5000 }, (_, i) => ({ type: 'A', version: 1, data: { i }, timeMs: i })),
        'no_stream',
      );
      const pages = [...store.readStreamPagesSync('lab')];
      expect(pages.map((page) => page.length)).toEqual([4096, 904]);
      expect(pages.flat().map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
      store.closeSync();
    } finally {
      rmSync(settingsDir, { recursive: true, force: true });
    }
  });
});
