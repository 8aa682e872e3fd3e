/**
 * Two writers on one database file: separate connections in this process, then separate
 * processes. Optimistic concurrency must let exactly one of two racing appends through, and the
 * log must end with contiguous revisions, nothing lost and nothing twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchOf, collect, expectStoreError } from '../event-store.contract.js';
import { isConcurrencyConflict } from '../errors.js';
import { openSqliteStore } from './sqlite-event-store.js';
import { spawnWorker } from './testing/spawn-worker.js';

let dir: string;
let dbPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-concurrency-'));
  dbPath = join(dir, 'lab.db');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite store with two writers', () => {
  it('lets one of two connections that read the same revision append, and refuses the other', async () => {
    const left = await openSqliteStore(dbPath);
    const right = await openSqliteStore(dbPath);
    try {
      const seenLeft = await left.lastRevision('pool');
      const seenRight = await right.lastRevision('pool');
      expect(seenLeft).toBeNull();
      expect(seenRight).toBeNull();
      await left.append('pool', batchOf(3, 'left'), 'no_stream');
      const error = await expectStoreError(
        () => right.append('pool', batchOf(3, 'right'), 'no_stream'),
        'STORE_CONFLICT',
      );
      expect(isConcurrencyConflict(error)).toBe(true);
      // The loser rereads, sees the winner's events and appends after them.
      const now = await right.lastRevision('pool');
      expect(now).toBe(2n);
      await right.append('pool', batchOf(2, 'right'), now!);
      const labels = (await collect(left.readStream('pool'))).map((e) => (e.data as { label: string }).label);
      expect(labels).toEqual(['left', 'left', 'left', 'right', 'right']);
    } finally {
      await left.close();
      await right.close();
    }
  });

  it('waits for another connection’s write lock, and reports STORE_BUSY past the timeout', async () => {
    const store = await openSqliteStore(dbPath, { busyTimeoutMs: 50 });
    const blocker = new Database(dbPath);
    try {
      blocker.exec('BEGIN IMMEDIATE');
      await expectStoreError(() => store.append('pool', batchOf(1, 'x'), 'any'), 'STORE_BUSY');
      blocker.exec('COMMIT');
      expect((await store.append('pool', batchOf(1, 'x'), 'no_stream')).nextExpectedRevision).toBe(0n);
    } finally {
      blocker.close();
      await store.close();
    }
  });

  it('keeps revisions contiguous with two processes racing 200 appends each', async () => {
    // Create the schema first so the workers race on appends, not on migrations.
    await (await openSqliteStore(dbPath)).close();
    const perWorker = 200;
    const workers = ['w1', 'w2'].map((id) => spawnWorker('race-worker.ts', [dbPath, 'raced', id, String(perWorker)]));
    await Promise.all(workers.map((w) => w.waitFor((line) => line === 'ready')));
    for (const w of workers) w.child.stdin.end('go\n');
    const summaries = await Promise.all(workers.map((w) => w.waitFor((line) => line.startsWith('{'), 60_000)));
    const exits = await Promise.all(workers.map((w) => w.exited));
    for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);

    const store = await openSqliteStore(dbPath);
    const events = await collect(store.readStream('raced'));
    await store.close();
    expect(events).toHaveLength(2 * perWorker);
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 2 * perWorker }, (_, i) => BigInt(i)));
    for (const id of ['w1', 'w2']) {
      // Each worker's events appear once each and in its own order.
      const mine = events
        .map((e) => e.data as { worker: string; i: number })
        .filter((d) => d.worker === id)
        .map((d) => d.i);
      expect(mine).toEqual(Array.from({ length: perWorker }, (_, i) => i));
    }
    const conflicts = summaries.map((line) => (JSON.parse(line) as { conflicts: number }).conflicts);
    expect(conflicts.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
    // The workers overlapped for hundreds of appends: a run without a single conflict raced nothing.
    expect(conflicts[0]! + conflicts[1]!).toBeGreaterThan(0);
  });
});
