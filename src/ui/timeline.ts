/**
 * Per-event summaries of a branch for the usage plot: after every event, for each pool, its data
 * and metadata usage, mode, low-water mark and the thresholds people set, plus markers for the
 * events that matter to a pool (snapshots, deletes, discards, faults, crashes). One replay of the
 * branch computes them all; the result is kept per branch and length, so the plot never replays
 * per view; a branch that grew (a whatif, `sh --continue`) is summarised again.
 */
import type { LabEvent } from '../events/lab-events.js';
import type { ThinPool } from '../model/pool.js';
import type { History } from '../replay/history.js';
import { LabRuntime } from '../replay/lab-runtime.js';
import { modeOf, thresholdsOf, usageOf } from './lab-view.js';

/** One pool's samples, one per position (null where the pool does not exist). Columnar: a million positions stay compact. */
export interface PoolSeries {
  readonly name: string;
  readonly dataUsed: Array<number | null>;
  readonly dataTotal: Array<number | null>;
  readonly metaUsed: Array<number | null>;
  readonly metaTotal: Array<number | null>;
  /** Index into `modes`. */
  readonly mode: Array<number | null>;
  readonly modes: string[];
  readonly lowWaterBlocks: Array<number | null>;
  readonly dockerMinFree: Array<number | null>;
  readonly lvmAutoextend: Array<number | null>;
}

export type MarkerKind = 'snapshot' | 'delete' | 'discard' | 'fault' | 'crash';

export interface Marker {
  readonly position: number;
  readonly kind: MarkerKind;
}

export interface Timeline {
  readonly branch: string;
  /** Positions 0..length. */
  readonly length: number;
  readonly timeMs: number[];
  readonly pools: PoolSeries[];
  readonly markers: Marker[];
}

/** What a recorded event did to pools, from its command and the device-mapper operations it logged. */
export function markersOf(event: LabEvent): MarkerKind[] {
  if (event.type !== 'ShellCommandRan') return [];
  const out: MarkerKind[] = [];
  const ops = (event.data.operations ?? []).join('\n');
  const command = event.data.command;
  if (/ create_snap /.test(ops)) out.push('snapshot');
  if (/ delete [0-9]/.test(ops)) out.push('delete');
  if (/\b(blkdiscard|fstrim)\b|docker system prune/.test(command)) out.push('discard');
  if (/^\s*fault\b/m.test(command)) out.push('fault');
  if (/^\s*crash\b/m.test(command)) out.push('crash');
  return out;
}

class TimelineBuilder {
  private readonly series = new Map<string, PoolSeries>();
  readonly timeMs: number[] = [];
  readonly markers: Marker[] = [];

  constructor(private readonly branch: string) {}

  /** Thresholds by pool as last read: only a shell command can change daemon.json or a profile. */
  private thresholds = new Map<string, ReturnType<typeof thresholdsOf>>();

  /** The live pools by name as of a lifecycle epoch: pools come and go only when it moves. */
  private pools: Array<{ name: string; pool: ThinPool }> = [];
  private poolsEpoch = -1;

  private livePools(lab: LabRuntime['lab']): Array<{ name: string; pool: ThinPool }> {
    const m = lab.machine;
    if (this.poolsEpoch === m.lifecycleEpoch) return this.pools;
    const byName = new Map<string, ThinPool>();
    for (const pool of m.livePools()) {
      const name = m.poolDevice(pool)?.name ?? pool.name;
      if (!byName.has(name)) byName.set(name, pool);
    }
    this.pools = [...byName].map(([name, pool]) => ({ name, pool }));
    this.poolsEpoch = m.lifecycleEpoch;
    return this.pools;
  }

  sample(runtime: LabRuntime, position: number, commandRan = true): void {
    const lab = runtime.lab;
    this.timeMs.push(lab.machine.nowMs);
    const live = this.livePools(lab);
    for (const { name, pool } of live) {
      const s = this.seriesOf(name, position);
      const u = usageOf(pool);
      const mode = modeOf(pool);
      let modeIndex = s.modes.indexOf(mode);
      if (modeIndex < 0) modeIndex = s.modes.push(mode) - 1;
      let t = commandRan ? undefined : this.thresholds.get(name);
      if (t === undefined) {
        t = thresholdsOf(lab, name);
        this.thresholds.set(name, t);
      }
      s.dataUsed.push(u.dataUsed);
      s.dataTotal.push(u.dataTotal);
      s.metaUsed.push(u.metaUsed);
      s.metaTotal.push(u.metaTotal);
      s.mode.push(modeIndex);
      s.lowWaterBlocks.push(pool.table.lowWaterBlocks);
      s.dockerMinFree.push(t.dockerMinFree);
      s.lvmAutoextend.push(t.lvmAutoextend);
    }
    if (this.series.size > live.length)
      for (const [name, s] of this.series) if (!live.some((p) => p.name === name)) pushNull(s);
  }

  private seriesOf(name: string, position: number): PoolSeries {
    let s = this.series.get(name);
    if (s === undefined) {
      s = {
        name,
        dataUsed: [],
        dataTotal: [],
        metaUsed: [],
        metaTotal: [],
        mode: [],
        modes: [],
        lowWaterBlocks: [],
        dockerMinFree: [],
        lvmAutoextend: [],
      };
      for (let i = 0; i < position; i++) pushNull(s);
      this.series.set(name, s);
    }
    return s;
  }

  finish(): Timeline {
    return {
      branch: this.branch,
      length: this.timeMs.length - 1,
      timeMs: this.timeMs,
      pools: [...this.series.values()],
      markers: this.markers,
    };
  }
}

function pushNull(s: PoolSeries): void {
  for (const column of [
    s.dataUsed,
    s.dataTotal,
    s.metaUsed,
    s.metaTotal,
    s.mode,
    s.lowWaterBlocks,
    s.dockerMinFree,
    s.lvmAutoextend,
  ])
    column.push(null);
}

/** Replays a branch once from its first event, sampling after each. */
export async function buildTimeline(h: History, branch: string): Promise<Timeline> {
  const info = await h.branch(branch);
  const length = await h.length(branch);
  const runtime = LabRuntime.forBranch(info);
  const b = new TimelineBuilder(branch);
  b.sample(runtime, 0);
  for await (const page of h.eventPages(branch, 0, length)) {
    for (const { position, event } of page) {
      runtime.apply(event, `${branch}@${position}`);
      b.sample(runtime, position, event.type === 'ShellCommandRan');
      for (const kind of markersOf(event)) b.markers.push({ position, kind });
    }
  }
  return b.finish();
}

/**
 * Timelines by branch, rebuilt only when the branch's length changed (a branch only grows: events
 * are appended, never rewritten). Concurrent requests for one branch share one build.
 */
export class TimelineCache {
  private readonly built = new Map<string, Promise<Timeline>>();

  constructor(private readonly history: History) {}

  async get(branch: string): Promise<Timeline> {
    const length = await this.history.length(branch);
    const cached = this.built.get(branch);
    if (cached !== undefined) {
      const t = await cached;
      if (t.length === length) return t;
    }
    const building = buildTimeline(this.history, branch);
    this.built.set(branch, building);
    building.catch(() => this.built.delete(branch));
    return building;
  }
}

/** Runs of equal values, [value, count]: most columns hold the same value for long stretches. */
export type Runs = Array<[number | null, number]>;

export function toRuns(values: ReadonlyArray<number | null>): Runs {
  const out: Runs = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last !== undefined && last[0] === v) last[1]++;
    else out.push([v, 1]);
  }
  return out;
}

export function fromRuns(runs: Runs): Array<number | null> {
  const out: Array<number | null> = [];
  for (const [v, n] of runs) for (let i = 0; i < n; i++) out.push(v);
  return out;
}

const COLUMNS = [
  'dataUsed',
  'dataTotal',
  'metaUsed',
  'metaTotal',
  'mode',
  'lowWaterBlocks',
  'dockerMinFree',
  'lvmAutoextend',
] as const;

type Column = (typeof COLUMNS)[number];

/** The timeline as the page receives it: every column as runs (the page expands them). */
export interface CompactTimeline {
  readonly branch: string;
  readonly length: number;
  readonly timeMs: Runs;
  readonly pools: ReadonlyArray<{ readonly name: string; readonly modes: readonly string[] } & Record<Column, Runs>>;
  readonly markers: readonly Marker[];
}

export function compactTimeline(t: Timeline): CompactTimeline {
  return {
    branch: t.branch,
    length: t.length,
    timeMs: toRuns(t.timeMs),
    pools: t.pools.map((p) => {
      const columns = Object.fromEntries(COLUMNS.map((c) => [c, toRuns(p[c])])) as Record<Column, Runs>;
      return { name: p.name, modes: p.modes, ...columns };
    }),
    markers: t.markers,
  };
}
