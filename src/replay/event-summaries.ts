/**
 * The per-event summaries of a branch (summary-columns.ts), kept in the store beside the events:
 * `History.append` writes the summary of each event it records, so a view of a whole branch (the
 * usage plot) reads a few chunks instead of replaying the branch. A history recorded before
 * summaries were kept, or a range whose summaries were lost, is summarised by replaying from the
 * nearest checkpoint once, and the result is stored for next time (when the store may be written).
 */
import type { LabEvent } from '../events/lab-events.js';
import type { Lab } from '../lab/lab.js';
import { poolDmName, thinPools } from '../lvm/lvm-commands.js';
import { readProfile } from '../lvm/profile.js';
import type { ThinPool } from '../model/pool.js';
import { isStoreError } from '../store/errors.js';
import type { EventStore } from '../store/event-store.js';
import type { LabRuntime } from './lab-runtime.js';
import {
  appendColumns,
  decodeColumns,
  type EventSummary,
  emptyColumns,
  encodeColumns,
  type MarkerKind,
  type PoolSample,
  type SummaryColumns,
  sliceColumns,
} from './summary-columns.js';

/**
 * The largest chunk text merged or backfilled in one piece: KurrentDB refuses appends over 1 MiB,
 * and one chunk is one append there.
 */
export const MAX_CHUNK_CHARS = 512 * 1024;
/** Events per chunk when a range is summarised by replaying it. */
export const BACKFILL_CHUNK_EVENTS = 10_000;

/** A pool's mode as the page colours it: needs_check is shown over a pool that otherwise writes. */
export function modeOf(pool: ThinPool): string {
  return pool.md.needsCheck && pool.mode !== 'fail' ? 'needs_check' : pool.mode;
}

export interface PoolUsage {
  readonly dataUsed: number;
  readonly dataTotal: number;
  readonly metaUsed: number;
  readonly metaTotal: number;
}

/**
 * Used and total metadata and data blocks: the numbers the pool's status line prints (pool.ts's
 * status() computes them the same way), read from the model rather than by formatting the line,
 * which costs twenty times more and is done after every event recorded.
 */
export function usageOf(pool: ThinPool): PoolUsage {
  const md = pool.md;
  return {
    dataUsed: md.spaceMap.nrBlocks - md.spaceMap.nrFree,
    dataTotal: md.spaceMap.nrBlocks,
    metaUsed: md.metadataNrBlocks - md.freeMetadataBlocks(),
    metaTotal: md.metadataNrBlocks,
  };
}

/** The thresholds people set for a pool, in % of data used: Docker's min_free_space, LVM's autoextend. */
export function thresholdsOf(
  lab: Lab,
  poolName: string,
): { dockerMinFree: number | null; lvmAutoextend: number | null } {
  const o = lab.docker.options;
  const dockerMinFree = o !== null && lab.docker.poolName === poolName ? 100 - o.minFreeSpacePercent : null;
  let lvmAutoextend: number | null = null;
  for (const { vg, pool } of thinPools(lab.lvm)) {
    if (poolDmName(vg.name, pool) !== poolName) continue;
    const t = readProfile(lab.fs, pool.profile).threshold;
    if (t < 100) lvmAutoextend = t;
  }
  return { dockerMinFree, lvmAutoextend };
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

/**
 * Samples one lab after event after event. It keeps the live pools while the machine's
 * lifecycle epoch stays the same (pools come and go only when it moves) and the thresholds until
 * a shell command runs (only a command can change daemon.json or an LVM profile): sampling is
 * done for every event recorded, so it must cost little next to the event itself.
 */
class Sampler {
  private pools: Array<{ name: string; pool: ThinPool }> = [];
  private poolsEpoch = -1;
  private readonly thresholds = new Map<string, ReturnType<typeof thresholdsOf>>();

  private livePools(lab: Lab): Array<{ name: string; pool: ThinPool }> {
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

  sample(lab: Lab, event: LabEvent | null): EventSummary {
    const commandRan = event === null || event.type === 'ShellCommandRan';
    const pools: PoolSample[] = this.livePools(lab).map(({ name, pool }) => {
      let t = commandRan ? undefined : this.thresholds.get(name);
      if (t === undefined) {
        t = thresholdsOf(lab, name);
        this.thresholds.set(name, t);
      }
      return { name, ...usageOf(pool), mode: modeOf(pool), lowWaterBlocks: pool.table.lowWaterBlocks, ...t };
    });
    return { timeMs: lab.machine.nowMs, pools, markers: event === null ? [] : markersOf(event) };
  }
}

const samplers = new WeakMap<LabRuntime, Sampler>();

/** The summary of the lab `runtime` holds, just after `event` (null: the lab before any event). */
export function summarizeEvent(runtime: LabRuntime, event: LabEvent | null): EventSummary {
  let s = samplers.get(runtime);
  if (s === undefined) {
    s = new Sampler();
    samplers.set(runtime, s);
  }
  return s.sample(runtime.lab, event);
}

/** Stores the summaries of a stream's revisions `first ..`: cache writes, so a store that refuses them loses nothing. */
export async function saveSummaries(
  store: EventStore,
  stream: string,
  first: number,
  columns: SummaryColumns,
): Promise<void> {
  try {
    for (let at = 0; at < columns.count; at += BACKFILL_CHUNK_EVENTS) {
      const part =
        columns.count <= BACKFILL_CHUNK_EVENTS ? columns : sliceColumns(columns, at, at + BACKFILL_CHUNK_EVENTS);
      await store.saveSummaries(stream, {
        firstRevision: BigInt(first + at),
        count: part.count,
        data: encodeColumns(part),
      });
    }
  } catch (e) {
    // A read-only or busy store keeps the events; what is not stored here is computed again later.
    if (!isStoreError(e)) throw e;
  }
}

/**
 * Merges the chunks of a stream from revision `from` on into one (after a checkpoint: a branch
 * recorded one command at a time would otherwise keep a chunk per event), unless the merged text
 * would be too big for one append.
 */
export async function mergeSummaries(store: EventStore, stream: string, from: number): Promise<void> {
  const chunks = await store.readSummaries(stream, BigInt(from));
  if (chunks.length < 2) return;
  const merged = emptyColumns();
  let next = Number(chunks[0]!.firstRevision);
  for (const chunk of chunks) {
    const columns = Number(chunk.firstRevision) === next ? decodeColumns(chunk.data, chunk.count) : null;
    if (columns === null) return; // A gap or a damaged chunk: left for the reader to recompute.
    appendColumns(merged, columns);
    next += chunk.count;
  }
  const data = encodeColumns(merged);
  if (data.length > MAX_CHUNK_CHARS) return;
  try {
    await store.saveSummaries(stream, { firstRevision: chunks[0]!.firstRevision, count: merged.count, data });
  } catch (e) {
    if (!isStoreError(e)) throw e;
  }
}

/** A stream's stored summaries of revisions `0 .. count-1`, with the ranges that have none. */
export async function storedSummaries(
  store: EventStore,
  stream: string,
  count: number,
): Promise<Array<{ first: number; columns: SummaryColumns | null; count: number }>> {
  const out: Array<{ first: number; columns: SummaryColumns | null; count: number }> = [];
  let covered = 0;
  for (const chunk of await store.readSummaries(stream)) {
    if (covered >= count) break;
    const first = Number(chunk.firstRevision);
    const end = Math.min(first + chunk.count, count);
    if (end <= covered) continue; // Overlapped by what came before.
    let columns = decodeColumns(chunk.data, chunk.count);
    if (columns === null) continue; // Damaged: its range stays missing and is recomputed.
    if (first > covered) out.push({ first: covered, columns: null, count: first - covered });
    const from = Math.max(covered, first);
    if (from > first || end < first + chunk.count) columns = sliceColumns(columns, from - first, end - first);
    out.push({ first: from, columns, count: end - from });
    covered = end;
  }
  if (covered < count) out.push({ first: covered, columns: null, count: count - covered });
  return out;
}
