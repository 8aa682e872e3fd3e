/**
 * The usage plot's data of a branch: per pool, after every position, its data and metadata usage,
 * mode, low-water mark and the thresholds people set, plus markers for the events that matter to a
 * pool. They are the per-event summaries `History.append` stored when the events were recorded
 * (src/replay/event-summaries.ts), so opening the plot reads them instead of replaying the branch.
 * The result is kept per branch and length; a branch that grew (a whatif, `sh --continue`) is
 * read again.
 */
import type { History } from '../replay/history.js';
import {
  appendColumns,
  emptyColumns,
  type MarkerKind,
  NUMBER_COLUMNS,
  type NumberColumn,
  pushSummary,
  type Runs,
  type SummaryColumns,
} from '../replay/summary-columns.js';

export type { MarkerKind, Runs } from '../replay/summary-columns.js';

export interface Marker {
  readonly position: number;
  readonly kind: MarkerKind;
}

type Column = NumberColumn | 'mode';

/** The timeline as the page receives it: every column as runs (the page expands them), modes by index. */
export interface CompactTimeline {
  readonly branch: string;
  /** Positions 0..length. */
  readonly length: number;
  readonly timeMs: Runs<number | null>;
  readonly pools: ReadonlyArray<
    { readonly name: string; readonly modes: readonly string[] } & Record<Column, Runs<number | null>>
  >;
  readonly markers: readonly Marker[];
}

/** Positions 0..length of a branch as columns: the fresh lab, then the stored summaries. */
export async function timelineColumns(h: History, branch: string): Promise<SummaryColumns> {
  const columns = emptyColumns();
  pushSummary(columns, await h.firstSummary(branch));
  appendColumns(columns, await h.summaries(branch));
  return columns;
}

/** The page's form of the columns: a pool's modes listed once, its mode column as indexes into them. */
export function compactTimeline(branch: string, c: SummaryColumns): CompactTimeline {
  return {
    branch,
    length: c.count - 1,
    timeMs: c.timeMs,
    pools: c.pools.map((p) => {
      const modes: string[] = [];
      const mode: Runs<number | null> = p.mode.map(([m, n]) => {
        if (m === null) return [null, n];
        let i = modes.indexOf(m);
        if (i < 0) i = modes.push(m) - 1;
        return [i, n];
      });
      const numbers = Object.fromEntries(NUMBER_COLUMNS.map((col) => [col, p[col]])) as Record<
        NumberColumn,
        Runs<number | null>
      >;
      return { name: p.name, modes, mode, ...numbers };
    }),
    markers: c.markers.map(([position, kind]) => ({ position, kind })),
  };
}

export async function buildTimeline(h: History, branch: string): Promise<CompactTimeline> {
  return compactTimeline(branch, await timelineColumns(h, branch));
}

/**
 * Timelines by branch, read again only when the branch's length changed (a branch only grows:
 * events are appended, never rewritten). Concurrent requests for one branch share one read.
 */
export class TimelineCache {
  private readonly built = new Map<string, Promise<CompactTimeline>>();

  constructor(private readonly history: History) {}

  async get(branch: string): Promise<CompactTimeline> {
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

/** The values of runs, one per position (tests, and anything that wants a column whole). */
export function fromRuns<T>(runs: Runs<T>): T[] {
  const out: T[] = [];
  for (const [v, n] of runs) for (let i = 0; i < n; i++) out.push(v);
  return out;
}
