/**
 * `thinlab ui` figures for `npm run bench`: on a branch of a million events (one-block writes to a
 * 4 GiB pool, recorded as in the event-log bench, bench/history.ts), how long the usage plot's
 * data takes to open from the summaries stored when recording, against the same branch with its
 * summaries removed (a history recorded before they were kept: one replay of the branch, the
 * baseline, measured in the same run), how big it is as JSON, and how long a slider move takes
 * (the whole view at a position: checkpoint or previous view, replay, device tree, block map,
 * state hash) to a spread-out position and one step forward. Runs on its own with
 * `node --import tsx bench/ui.ts` (`BENCH_UI_EVENTS` to change the size).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { History } from '../src/replay/history.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';
import { UiApi } from '../src/ui/api.js';
import { recordWriteHistory } from './history.js';

const EVENTS = Number(process.env.BENCH_UI_EVENTS ?? 1_000_000);
const OPENS = 5;
const MOVES = 20;

export interface UiFigures {
  readonly events: number;
  /** Median of OPENS opens, each by a new UiApi (nothing kept), from the stored summaries. */
  readonly timelineMs: number;
  readonly timelineCpuMs: number;
  /** The baseline: the same with no summaries stored (one replay of the branch, then stored). */
  readonly timelineReplayMs: number;
  readonly timelineReplayCpuMs: number;
  readonly timelineKeptMs: number;
  readonly timelineJsonBytes: number;
  readonly timelineJsonMs: number;
  readonly summaryChunks: number;
  readonly moveMedianMs: number;
  readonly moveP95Ms: number;
  readonly moveCpuMedianMs: number;
  readonly stepMedianMs: number;
  readonly stepCpuMedianMs: number;
  /** The same positions viewed with no lab kept: from the nearest checkpoint. */
  readonly stepBaselineMedianMs: number;
  readonly stepBaselineCpuMedianMs: number;
  readonly atJsonBytes: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

/** Wall clock and CPU time (user + system) of one call, in ms. */
async function timed<T>(action: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const value = await action();
  const c = process.cpuUsage(c0);
  return { value, ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: (c.user + c.system) / 1000 };
}

async function slider(h: History, length: number) {
  const api = new UiApi(h);
  const spread = (s: number): number => Math.floor((((s * 7919) % MOVES) / MOVES) * length) + 1;
  // One untimed round: the first reads fill SQLite's page cache and compile the replay path.
  for (let s = 0; s < MOVES; s += 4) await api.at('main', spread(s) + 1);
  const moves: Array<{ ms: number; cpuMs: number }> = [];
  const steps: Array<{ ms: number; cpuMs: number }> = [];
  const baseline: Array<{ ms: number; cpuMs: number }> = [];
  let atJsonBytes = 0;
  for (let s = 0; s < MOVES; s++) {
    // Spread over the branch and over the distance from the last checkpoint (0 to 9,999 events
    // to replay), so that the median is a typical move, not one next to a checkpoint.
    const pos = Math.min(spread(s) + ((s * 3571) % 10_000), length - 1);
    const move = await timed(() => api.at('main', pos));
    moves.push(move);
    atJsonBytes = Math.max(atJsonBytes, JSON.stringify(move.value).length);
    // The arrow key: one position on from the one just shown.
    steps.push(await timed(() => api.at('main', pos + 1)));
    // The baseline, same position: a view with no lab kept (from the nearest checkpoint).
    baseline.push(await timed(() => new UiApi(h).at('main', pos + 1)));
  }
  return {
    moveMedianMs: median(moves.map((m) => m.ms)),
    moveP95Ms: p95(moves.map((m) => m.ms)),
    moveCpuMedianMs: median(moves.map((m) => m.cpuMs)),
    stepMedianMs: median(steps.map((m) => m.ms)),
    stepCpuMedianMs: median(steps.map((m) => m.cpuMs)),
    stepBaselineMedianMs: median(baseline.map((m) => m.ms)),
    stepBaselineCpuMedianMs: median(baseline.map((m) => m.cpuMs)),
    atJsonBytes,
  };
}

export async function uiBench(): Promise<UiFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-bench-ui-'));
  try {
    const path = join(dir, 'lab.db');
    const store = await openSqliteStore(path);
    const h = new History(store, 10_000);
    const { length } = await recordWriteHistory(h, EVENTS);
    const summaryChunks = (await store.readSummaries('lab-branch-main')).length;
    const opens: Array<{ ms: number; cpuMs: number }> = [];
    for (let r = 0; r < OPENS; r++) opens.push(await timed(() => new UiApi(h).timeline('main')));
    const api = new UiApi(h);
    const timeline = await api.timeline('main');
    const kept = await timed(() => api.timeline('main'));
    const json = await timed(async () => JSON.stringify(timeline));
    // The baseline, same branch and run: its summaries removed, as in a history recorded before.
    const raw = new Database(path);
    raw.exec('DELETE FROM event_summaries');
    raw.close();
    const replay = await timed(() => new UiApi(h).timeline('main'));
    if (JSON.stringify(replay.value) !== json.value) throw new Error('bench: replayed summaries differ from recorded');
    const moves = await slider(h, length);
    await store.close();
    return {
      events: length,
      timelineMs: median(opens.map((o) => o.ms)),
      timelineCpuMs: median(opens.map((o) => o.cpuMs)),
      timelineReplayMs: replay.ms,
      timelineReplayCpuMs: replay.cpuMs,
      timelineKeptMs: kept.ms,
      timelineJsonBytes: json.value.length,
      timelineJsonMs: json.ms,
      summaryChunks,
      ...moves,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function uiTable(f: UiFigures): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  return [
    '| figure | wall clock | CPU | target |',
    '|---|---|---|---|',
    `| usage plot data of the ${f.events.toLocaleString('en')}-event branch, opened from the summaries stored when recording (${f.summaryChunks} chunks; median of ${OPENS} opens) | ${s(f.timelineMs)} | ${s(f.timelineCpuMs)} | < 2 s |`,
    `| baseline, same run: the same branch without stored summaries (one replay sampling every event, then stored) | ${s(f.timelineReplayMs)} | ${s(f.timelineReplayCpuMs)} | - |`,
    `| stored / replayed | ${(f.timelineMs / f.timelineReplayMs).toFixed(3)} | ${(f.timelineCpuMs / f.timelineReplayCpuMs).toFixed(3)} | - |`,
    `| same, kept by the server (the branch did not grow) | ${f.timelineKeptMs.toFixed(1)} ms | - | - |`,
    `| same as JSON: size, serialising | ${(f.timelineJsonBytes / 2 ** 20).toFixed(2)} MiB, ${f.timelineJsonMs.toFixed(0)} ms | - | - |`,
    `| slider move: the view at a spread-out position (checkpoint, replay, tree, block map, hash), ${MOVES} positions: median / p95 | ${f.moveMedianMs.toFixed(0)} / ${f.moveP95Ms.toFixed(0)} ms | ${f.moveCpuMedianMs.toFixed(0)} ms (median) | < 200 ms |`,
    `| one step forward (→) from the position shown, median | ${f.stepMedianMs.toFixed(0)} ms | ${f.stepCpuMedianMs.toFixed(0)} ms | < 200 ms |`,
    `| baseline, same run and positions: the same view with no lab kept (from the nearest checkpoint), median | ${f.stepBaselineMedianMs.toFixed(0)} ms | ${f.stepBaselineCpuMedianMs.toFixed(0)} ms | - |`,
    `| largest view at a position as JSON | ${(f.atJsonBytes / 1024).toFixed(0)} KiB | - | - |`,
  ].join('\n');
}

if (process.argv[1]?.endsWith('bench/ui.ts')) {
  process.stdout.write(`${uiTable(await uiBench())}\n`);
}
