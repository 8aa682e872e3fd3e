/**
 * Event log figures for `npm run bench`: appending to SQLite in batches against the raw
 * better-sqlite3 insert loop on the same machine (the ceiling), replaying one million write
 * events, and seeking to random positions of that history through checkpoints.
 */

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LabEvent } from '../src/events/lab-events.js';
import { summarizeEvent } from '../src/replay/event-summaries.js';
import { History } from '../src/replay/history.js';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';
import type { EventSummary } from '../src/replay/summary-columns.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = 1000;
const CHECKPOINT_EVERY = 10_000;
const SEEKS = 20;
const WORKING_SET_BLOCKS = 60_000;

export interface HistoryFigures {
  readonly appendPerSecond: number;
  /** Computing each event's summary while recording (event-summaries.ts), in µs per event. */
  readonly summaryMicrosPerEvent: number;
  readonly rawInsertPerSecond: number;
  readonly replayPerSecond: number;
  readonly seekP95Ms: number;
  readonly seekMedianMs: number;
  readonly checkpoints: number;
  readonly checkpointBytes: number;
  readonly databaseBytes: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

/** The raw ceiling: one prepared INSERT per event, batches in transactions, same row shape. */
function rawInsertRate(path: string, events: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE e (pos INTEGER PRIMARY KEY, stream TEXT, rev INTEGER, type TEXT, version INTEGER, data TEXT, meta TEXT, time_ms INTEGER, UNIQUE(stream, rev))',
  );
  const ins = db.prepare(
    'INSERT INTO e (stream, rev, type, version, data, meta, time_ms) VALUES (?, ?, ?, ?, ?, NULL, ?)',
  );
  const batch = db.transaction((from: number) => {
    for (let i = from; i < from + BATCH; i++) {
      ins.run(
        'lab-branch-main',
        i,
        'BlocksWritten',
        1,
        JSON.stringify({
          device: '/dev/mapper/thin',
          sector: (i % WORKING_SET_BLOCKS) * 128,
          sectors: 128,
          byte: 65 + (i % 8),
          errno: 0,
        }),
        i,
      );
    }
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < events; i += BATCH) batch(i);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  return events / seconds;
}

export async function historyBench(): Promise<HistoryFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-bench-'));
  try {
    const rawInsertPerSecond = rawInsertRate(join(dir, 'raw.db'), Math.min(EVENTS, 200_000));
    const store = await openSqliteStore(join(dir, 'lab.db'));
    const h = new History(store, CHECKPOINT_EVERY);
    const { length, appendSeconds, summarySeconds } = await recordWriteHistory(h, EVENTS);
    // Full replay from the first event, no checkpoints: read, decode, apply, check.
    const replayStore = new History(store, Number.MAX_SAFE_INTEGER);
    const t0 = process.hrtime.bigint();
    const replayed = LabRuntime.fresh({ ramdiskKb: 4 * 1024 * 1024 });
    let n = 0;
    for await (const page of replayStore.eventPages('main', 0, length)) {
      for (const { position, event } of page) replayed.apply(event, `main@${position}`);
      n += page.length;
    }
    const replaySeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // Seeks to spread-out positions (deterministic choice, no randomness needed).
    const seekMs: number[] = [];
    for (let s = 0; s < SEEKS; s++) {
      const pos = Math.floor((((s * 7919) % SEEKS) / SEEKS) * length) + 1;
      const t = process.hrtime.bigint();
      await h.stateAt('main', pos);
      seekMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const cp = await store.checkpointStats('lab-branch-main');
    await store.close();
    return {
      appendPerSecond: EVENTS / appendSeconds,
      summaryMicrosPerEvent: (summarySeconds * 1e6) / EVENTS,
      rawInsertPerSecond,
      replayPerSecond: n / replaySeconds,
      seekP95Ms: p95(seekMs),
      seekMedianMs: median(seekMs),
      checkpoints: cp.count,
      checkpointBytes: cp.bytes,
      databaseBytes: statSync(join(dir, 'lab.db')).size,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The history both this bench and bench/ui.ts read: a branch `main` on 4 GiB RAM disks, the three
 * set-up commands, then `events` one-block writes cycling over WORKING_SET_BLOCKS, appended in
 * batches of BATCH with each event's summary (what `thinlab sh` records, one event at a time).
 * `appendSeconds` is the time spent in `History.append` (events and summaries written);
 * `summarySeconds` the time spent computing the summaries.
 */
export async function recordWriteHistory(
  h: History,
  events: number,
): Promise<{ runtime: LabRuntime; length: number; appendSeconds: number; summarySeconds: number }> {
  // The lab must exist with its ram1 size recorded: the branch stores ramdiskKb.
  await h.store.setStreamMetadata('lab-branch-main', {
    kind: 'thinlab-branch',
    parent: null,
    forkPosition: 0,
    ramdiskKb: 4 * 1024 * 1024,
  });
  await h.store.setStreamMetadata('lab-head', { head: 'main', branches: ['main'] });
  const { runtime, length: setUp } = await setUpLabDirect(h);
  let length = setUp;
  let appendSeconds = 0;
  let summarySeconds = 0;
  for (let i = 0; i < events; i += BATCH) {
    const batch: Array<{ event: LabEvent; timeMs: number; summary: EventSummary }> = [];
    for (let k = i; k < Math.min(events, i + BATCH); k++) {
      const event = runtime.writeBlocks('/dev/mapper/thin', (k % WORKING_SET_BLOCKS) * 128, 128, 65 + (k % 8));
      const t0 = process.hrtime.bigint();
      const summary = summarizeEvent(runtime, event);
      summarySeconds += Number(process.hrtime.bigint() - t0) / 1e9;
      batch.push({ event, timeMs: runtime.shell.machine.nowMs, summary });
    }
    const t0 = process.hrtime.bigint();
    length = await h.append('main', batch, runtime, length);
    appendSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return { runtime, length, appendSeconds, summarySeconds };
}

/** The three set-up commands, recorded against a lab whose ram1 is big enough. */
export async function setUpLabDirect(h: History): Promise<{ runtime: LabRuntime; length: number }> {
  const runtime = LabRuntime.fresh({ ramdiskKb: 4 * 1024 * 1024 });
  let length = 0;
  for (const command of [
    'dmsetup create pool --table "0 8388608 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
    'dmsetup message pool 0 "create_thin 0"',
    'dmsetup create thin --table "0 8388608 thin /dev/mapper/pool 0" && dmsetup mknodes',
  ]) {
    const event = runtime.runCommand(command);
    length = await h.append('main', [{ event, timeMs: runtime.shell.machine.nowMs }], runtime, length);
  }
  return { runtime, length };
}
