/**
 * kill -9 in the middle of an append: a child process appends big batches in a loop and is
 * killed with SIGKILL while a batch is being written. Reopening must show only whole batches,
 * contiguous revisions, and every batch the child had reported committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../event-store.contract.js';
import { openSqliteStore } from './sqlite-event-store.js';
import { spawnWorker } from './testing/spawn-worker.js';

let dir: string;
let dbPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-crash-'));
  dbPath = join(dir, 'lab.db');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const BATCH = 20_000;

/**
 * Runs the worker until it is inside batch `killAt`, kills it part-way through that batch, and
 * returns the number of batches it reported committed. The first batches time one append, and the
 * kill comes `fraction` of that time after the batch starts: late enough that the inserts have
 * begun (the events are built and serialised first), early enough that the commit has not.
 */
async function appendAndKill(killAt: number, fraction: number): Promise<number> {
  const worker = spawnWorker('crash-worker.ts', [dbPath, 'lab', String(BATCH)]);
  const startLine = await worker.waitFor(
    (line) => line.startsWith('appending ') && Number(line.slice('appending '.length)) >= killAt,
  );
  const durations: number[] = [];
  worker.lines.forEach((line, i) => {
    if (!line.startsWith('committed ')) return;
    const start = worker.lines.lastIndexOf(`appending ${line.slice('committed '.length)}`, i);
    if (start !== -1) durations.push(worker.times[i]! - worker.times[start]!);
  });
  const batchMs = Math.max(...durations);
  const startedAt = worker.times[worker.lines.indexOf(startLine)]!;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + batchMs * fraction - performance.now())));
  worker.child.kill('SIGKILL');
  const exit = await worker.exited;
  expect(exit.signal).toBe('SIGKILL');
  return worker.lines.filter((line) => line.startsWith('committed ')).length;
}

/** Checks the log: whole batches only, contiguous revisions; returns the number of batches. */
async function checkLog(): Promise<number> {
  // The raw tables too, not only what the store chooses to show: a torn batch must not be on disk.
  const raw = new Database(dbPath, { readonly: true });
  expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
  const rows = raw
    .prepare("SELECT count(*) AS n, coalesce(max(revision), -1) AS last FROM events WHERE stream_id = 'lab'")
    .get() as { n: number; last: number };
  const recordedLast = raw.prepare("SELECT last_revision FROM streams WHERE stream_id = 'lab'").pluck().get() as
    | number
    | undefined;
  raw.close();
  expect(rows.n % BATCH).toBe(0);
  expect(rows.last).toBe(rows.n - 1);
  expect(recordedLast ?? -1).toBe(rows.last);
  const store = await openSqliteStore(dbPath);
  const events = await collect(store.readStream('lab'));
  await store.close();
  expect(events).toHaveLength(rows.n);
  expect(events.length % BATCH).toBe(0);
  const batches = events.length / BATCH;
  // Plain comparisons, one assertion: 100,000 expect() calls would dominate the test's time.
  const wrong: string[] = [];
  events.forEach((event, index) => {
    const data = event.data as { batch: number; size: number; i: number };
    const ok =
      event.revision === BigInt(index) &&
      data.size === BATCH &&
      data.batch === Math.floor(index / BATCH) &&
      data.i === index % BATCH;
    if (!ok && wrong.length < 5) wrong.push(`revision ${event.revision} at index ${index}: ${JSON.stringify(data)}`);
  });
  expect(wrong).toEqual([]);
  return batches;
}

describe('SQLite store killed mid-append', () => {
  it('keeps exactly the complete batches, twice over', async () => {
    const committedFirst = await appendAndKill(2, 0.6);
    const afterFirst = await checkLog();
    // Every reported commit survived; the batch in flight is all there or not at all.
    expect(afterFirst).toBeGreaterThanOrEqual(committedFirst);
    expect(afterFirst).toBeLessThanOrEqual(committedFirst + 1);

    // A second writer carries on from the recovered log and is killed again.
    const committedSecond = await appendAndKill(afterFirst + 2, 0.85);
    const afterSecond = await checkLog();
    expect(afterSecond).toBeGreaterThanOrEqual(afterFirst + committedSecond);
    expect(afterSecond).toBeLessThanOrEqual(afterFirst + committedSecond + 1);
  });
});
