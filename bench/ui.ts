/**
 * `thinlab ui` figures for `npm run bench`: on a branch of a million events (one-block writes to a
 * 4 GiB pool, as in the event-log bench), how long the usage plot's data takes the first time
 * (one replay of the branch, sampling every event) and once kept, how big it is as JSON, and how
 * long a slider move takes (the whole view at a position: checkpoint, replay, device tree, block
 * map). Runs on its own with `node --import tsx bench/ui.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabEvent } from '../src/events/lab-events.js';
import { History } from '../src/replay/history.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';
import { UiApi } from '../src/ui/api.js';
import { setUpLabDirect } from './history.js';

const EVENTS = Number(process.env.BENCH_UI_EVENTS ?? 1_000_000);
const BATCH = 1000;
const MOVES = 20;
const WORKING_SET_BLOCKS = 60_000;

export interface UiFigures {
  readonly events: number;
  readonly timelineFirstMs: number;
  /** CPU time of the same: on a shared machine, wall clock counts other processes' turns too. */
  readonly timelineFirstCpuMs: number;
  readonly timelineKeptMs: number;
  readonly timelineJsonBytes: number;
  readonly timelineJsonMs: number;
  readonly moveMedianMs: number;
  readonly moveP95Ms: number;
  readonly moveCpuMedianMs: number;
  readonly atJsonBytes: number;
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const cpuMs = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

export async function uiBench(): Promise<UiFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-bench-ui-'));
  try {
    const store = await openSqliteStore(join(dir, 'lab.db'));
    const h = new History(store, 10_000);
    await store.setStreamMetadata('lab-branch-main', {
      kind: 'thinlab-branch',
      parent: null,
      forkPosition: 0,
      ramdiskKb: 4 * 1024 * 1024,
    });
    await store.setStreamMetadata('lab-head', { head: 'main', branches: ['main'] });
    const { runtime, length: setUp } = await setUpLabDirect(h);
    let length = setUp;
    for (let i = 0; i < EVENTS; i += BATCH) {
      const batch: Array<{ event: LabEvent; timeMs: number }> = [];
      for (let k = i; k < i + BATCH; k++) {
        const event = runtime.writeBlocks('/dev/mapper/thin', (k % WORKING_SET_BLOCKS) * 128, 128, 65 + (k % 8));
        batch.push({ event, timeMs: runtime.shell.machine.nowMs });
      }
      length = await h.append('main', batch, runtime, length);
    }
    const api = new UiApi(h);
    let t0 = process.hrtime.bigint();
    let c0 = process.cpuUsage();
    const timeline = await api.timeline('main');
    const timelineFirstMs = ms(t0);
    const timelineFirstCpuMs = cpuMs(c0);
    t0 = process.hrtime.bigint();
    await api.timeline('main');
    const timelineKeptMs = ms(t0);
    t0 = process.hrtime.bigint();
    const json = JSON.stringify(timeline);
    const timelineJsonMs = ms(t0);
    const moves: number[] = [];
    const moveCpu: number[] = [];
    let atJsonBytes = 0;
    for (let s = 0; s < MOVES; s++) {
      const pos = Math.floor((((s * 7919) % MOVES) / MOVES) * length) + 1;
      t0 = process.hrtime.bigint();
      c0 = process.cpuUsage();
      atJsonBytes = Math.max(atJsonBytes, JSON.stringify(await api.at('main', pos)).length);
      moves.push(ms(t0));
      moveCpu.push(cpuMs(c0));
    }
    await store.close();
    return {
      events: length,
      timelineFirstMs,
      timelineFirstCpuMs,
      timelineKeptMs,
      timelineJsonBytes: json.length,
      timelineJsonMs,
      moveMedianMs: sorted(moves)[Math.floor(MOVES / 2)]!,
      moveP95Ms: sorted(moves)[Math.ceil(MOVES * 0.95) - 1]!,
      moveCpuMedianMs: sorted(moveCpu)[Math.floor(MOVES / 2)]!,
      atJsonBytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function uiTable(f: UiFigures): string {
  return [
    '| figure | value | target |',
    '|---|---|---|',
    `| usage plot data of a ${f.events.toLocaleString('en')}-event branch, first time (one replay sampling every event): wall clock, CPU | ${(f.timelineFirstMs / 1000).toFixed(1)} s, ${(f.timelineFirstCpuMs / 1000).toFixed(1)} s | < 2 s |`,
    `| same, kept (the branch did not grow) | ${f.timelineKeptMs.toFixed(1)} ms | - |`,
    `| same as JSON: size, serialising | ${(f.timelineJsonBytes / 2 ** 20).toFixed(1)} MiB, ${f.timelineJsonMs.toFixed(0)} ms | - |`,
    `| slider move: the whole view at a position (${MOVES} spread-out positions), median / p95, CPU median | ${f.moveMedianMs.toFixed(0)} / ${f.moveP95Ms.toFixed(0)} ms, ${f.moveCpuMedianMs.toFixed(0)} ms | < 200 ms |`,
    `| largest view at a position as JSON | ${(f.atJsonBytes / 1024).toFixed(0)} KiB | - |`,
  ].join('\n');
}

if (process.argv[1]?.endsWith('bench/ui.ts')) {
  process.stdout.write(`${uiTable(await uiBench())}\n`);
}
