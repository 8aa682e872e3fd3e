/**
 * Per-event summaries as columns of runs: after each event, per pool, its data and metadata usage,
 * mode, low-water mark and the thresholds people set, plus markers for the events that matter to
 * a pool. Runs (`[value, count]`) because most columns hold one value for long stretches: a
 * million events of one-block writes are a few thousand runs. Pure data: building, joining,
 * slicing, and the text a store keeps (event-summaries.ts reads and writes it).
 */

export type Runs<T> = Array<[T, number]>;

export type MarkerKind = 'snapshot' | 'delete' | 'discard' | 'fault' | 'crash';

/** One pool after one event. */
export interface PoolSample {
  readonly name: string;
  readonly dataUsed: number;
  readonly dataTotal: number;
  readonly metaUsed: number;
  readonly metaTotal: number;
  readonly mode: string;
  readonly lowWaterBlocks: number;
  readonly dockerMinFree: number | null;
  readonly lvmAutoextend: number | null;
}

/** The lab after one event: its clock, its live pools, and what the event did to pools. */
export interface EventSummary {
  readonly timeMs: number;
  readonly pools: readonly PoolSample[];
  readonly markers: readonly MarkerKind[];
}

export const NUMBER_COLUMNS = [
  'dataUsed',
  'dataTotal',
  'metaUsed',
  'metaTotal',
  'lowWaterBlocks',
  'dockerMinFree',
  'lvmAutoextend',
] as const;

export type NumberColumn = (typeof NUMBER_COLUMNS)[number];

/** A pool's columns; null where the pool did not exist. */
export type PoolColumns = { readonly name: string; readonly mode: Runs<string | null> } & Record<
  NumberColumn,
  Runs<number | null>
>;

export interface SummaryColumns {
  /** How many events the columns cover. */
  count: number;
  readonly timeMs: Runs<number>;
  readonly pools: PoolColumns[];
  /** [offset of the event in these columns, kind]. */
  readonly markers: Array<[number, MarkerKind]>;
}

export function emptyColumns(): SummaryColumns {
  return { count: 0, timeMs: [], pools: [], markers: [] };
}

export function pushRun<T>(runs: Runs<T>, value: T, count = 1): void {
  if (count <= 0) return;
  const last = runs[runs.length - 1];
  if (last !== undefined && last[0] === value) last[1] += count;
  else runs.push([value, count]);
}

function newPool(name: string, nulls: number): PoolColumns {
  const pool = { name, mode: [] } as unknown as PoolColumns;
  for (const c of NUMBER_COLUMNS) (pool as Record<NumberColumn, Runs<number | null>>)[c] = [];
  padPool(pool, nulls);
  return pool;
}

function padPool(pool: PoolColumns, nulls: number): void {
  pushRun(pool.mode, null, nulls);
  for (const c of NUMBER_COLUMNS) pushRun(pool[c], null, nulls);
}

function poolOf(target: SummaryColumns, name: string): PoolColumns {
  let pool = target.pools.find((p) => p.name === name);
  if (pool === undefined) {
    pool = newPool(name, target.count);
    target.pools.push(pool);
  }
  return pool;
}

/** Adds one event's summary at the end of `target`. */
export function pushSummary(target: SummaryColumns, s: EventSummary): void {
  pushRun(target.timeMs, s.timeMs);
  for (const sample of s.pools) {
    const pool = poolOf(target, sample.name);
    pushRun(pool.mode, sample.mode);
    for (const c of NUMBER_COLUMNS) pushRun(pool[c], sample[c]);
  }
  if (target.pools.length > s.pools.length)
    for (const pool of target.pools) if (!s.pools.some((p) => p.name === pool.name)) padPool(pool, 1);
  for (const kind of s.markers) target.markers.push([target.count, kind]);
  target.count++;
}

/** Appends `more` at the end of `target` (which it changes). */
export function appendColumns(target: SummaryColumns, more: SummaryColumns): void {
  for (const [v, n] of more.timeMs) pushRun(target.timeMs, v, n);
  for (const p of more.pools) {
    const pool = poolOf(target, p.name);
    for (const [v, n] of p.mode) pushRun(pool.mode, v, n);
    for (const c of NUMBER_COLUMNS) for (const [v, n] of p[c]) pushRun(pool[c], v, n);
  }
  for (const pool of target.pools) if (!more.pools.some((p) => p.name === pool.name)) padPool(pool, more.count);
  for (const [offset, kind] of more.markers) target.markers.push([offset + target.count, kind]);
  target.count += more.count;
}

function sliceRuns<T>(runs: Runs<T>, from: number, to: number): Runs<T> {
  const out: Runs<T> = [];
  let at = 0;
  for (const [v, n] of runs) {
    const start = Math.max(at, from);
    const end = Math.min(at + n, to);
    if (end > start) out.push([v, end - start]);
    at += n;
    if (at >= to) break;
  }
  return out;
}

/** Events `from .. to-1` of the columns. Pools with no sample there are left out. */
export function sliceColumns(c: SummaryColumns, from: number, to: number): SummaryColumns {
  const end = Math.min(to, c.count);
  const start = Math.min(from, end);
  const pools: PoolColumns[] = [];
  for (const p of c.pools) {
    const mode = sliceRuns(p.mode, start, end);
    if (mode.every(([v]) => v === null)) continue;
    const pool = { name: p.name, mode } as PoolColumns;
    for (const col of NUMBER_COLUMNS)
      (pool as Record<NumberColumn, Runs<number | null>>)[col] = sliceRuns(p[col], start, end);
    pools.push(pool);
  }
  return {
    count: end - start,
    timeMs: sliceRuns(c.timeMs, start, end),
    pools,
    markers: c.markers.filter(([o]) => o >= start && o < end).map(([o, k]) => [o - start, k]),
  };
}

const FORMAT = 1;

/** The text a store keeps for a chunk of summaries. */
export function encodeColumns(c: SummaryColumns): string {
  return JSON.stringify({ format: FORMAT, ...c });
}

const MARKER_KINDS: ReadonlySet<string> = new Set(['snapshot', 'delete', 'discard', 'fault', 'crash']);

function runsCover(runs: unknown, count: number, ok: (v: unknown) => boolean): boolean {
  if (!Array.isArray(runs)) return false;
  let total = 0;
  for (const r of runs) {
    if (!Array.isArray(r) || r.length !== 2 || !ok(r[0]) || !Number.isSafeInteger(r[1]) || r[1] < 1) return false;
    total += r[1];
  }
  return total === count;
}

const isNumberOrNull = (v: unknown): boolean => v === null || typeof v === 'number';

/**
 * The columns of a chunk's text, or null when the text is not what `encodeColumns` writes for
 * `count` events: a damaged or foreign chunk is then treated as missing and computed again.
 */
export function decodeColumns(text: string, count: number): SummaryColumns | null {
  let c: SummaryColumns & { format?: unknown };
  try {
    c = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof c !== 'object' || c === null || c.format !== FORMAT || c.count !== count) return null;
  if (!runsCover(c.timeMs, count, (v) => typeof v === 'number') || !Array.isArray(c.pools)) return null;
  for (const p of c.pools) {
    if (typeof p?.name !== 'string') return null;
    if (!runsCover(p.mode, count, (v) => v === null || typeof v === 'string')) return null;
    for (const col of NUMBER_COLUMNS) if (!runsCover(p[col], count, isNumberOrNull)) return null;
  }
  const markersOk =
    Array.isArray(c.markers) &&
    c.markers.every(
      (m) => Array.isArray(m) && Number.isSafeInteger(m[0]) && m[0] >= 0 && m[0] < count && MARKER_KINDS.has(m[1]),
    );
  if (!markersOk) return null;
  return { count, timeMs: c.timeMs, pools: c.pools, markers: c.markers };
}
