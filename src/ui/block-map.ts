/**
 * Who holds each data block of a pool, in thin_ls's terms: a block one mapping in the whole pool
 * points at is its thin's exclusive block, a block several mappings point at is shared, a block
 * the space map counts as used while no mapping points at it is leaked, and the rest is free.
 * Pure over the model, so the page and the tests read the same numbers.
 */
import type { ThinPool } from '../model/pool.js';

/** Codes of the block map besides thin ids (which are >= 0). */
export const FREE = -1;
export const SHARED = -2;
export const LEAKED = -3;

export interface ThinBlocks {
  readonly id: number;
  readonly mapped: number;
  readonly exclusive: number;
  readonly shared: number;
  /** Its data blocks, as [start, length] runs in ascending order. */
  readonly runs: ReadonlyArray<readonly [number, number]>;
}

export interface PoolBlocks {
  readonly nrBlocks: number;
  /** Per data block: the thin id owning it alone, or FREE, SHARED or LEAKED. */
  readonly owners: Int32Array;
  readonly thins: readonly ThinBlocks[];
  /** Pairs of thins and the blocks they share, "a/b" with a < b. */
  readonly sharedBetween: ReadonlyMap<string, number>;
  readonly leaked: number;
}

/** Runs of equal values, [value, count]: a map of millions of blocks fits in a few runs. */
export function runLength(values: Int32Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < values.length; ) {
    const v = values[i]!;
    let j = i + 1;
    while (j < values.length && values[j] === v) j++;
    out.push([v, j - i]);
    i = j;
  }
  return out;
}

function runsOf(sortedBlocks: Int32Array): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const b of sortedBlocks) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[0] + last[1] === b) last[1]++;
    else runs.push([b, 1]);
  }
  return runs;
}

export function poolBlocks(pool: ThinPool): PoolBlocks {
  const sm = pool.md.spaceMap;
  const nrBlocks = sm.nrBlocks;
  const mappings = new Int32Array(nrBlocks);
  const owners = new Int32Array(nrBlocks).fill(FREE);
  const perThin = new Map<number, Int32Array>();
  for (const [id, dev] of pool.md.devices) {
    // A typed array sorts natively, which matters for thins of millions of blocks.
    let blocks = new Int32Array(1024);
    let n = 0;
    dev.table.forEach((_vb, block) => {
      if (block >= nrBlocks) return;
      if (n === blocks.length) {
        const grown = new Int32Array(n * 2);
        grown.set(blocks);
        blocks = grown;
      }
      blocks[n++] = block;
      mappings[block]!++;
      owners[block] = mappings[block] === 1 ? id : SHARED;
    });
    perThin.set(id, blocks.subarray(0, n).sort());
  }
  let leaked = 0;
  for (let b = 0; b < nrBlocks; b++) {
    if (mappings[b] === 0 && sm.refcount(b) > 0) {
      owners[b] = LEAKED;
      leaked++;
    }
  }
  const sharedBetween = new Map<string, number>();
  const holders = new Map<number, number[]>();
  const thins: ThinBlocks[] = [];
  for (const [id, blocks] of perThin) {
    let exclusive = 0;
    for (const b of blocks) {
      if (mappings[b] === 1) exclusive++;
      else {
        const list = holders.get(b) ?? [];
        list.push(id);
        holders.set(b, list);
      }
    }
    thins.push({ id, mapped: blocks.length, exclusive, shared: blocks.length - exclusive, runs: runsOf(blocks) });
  }
  for (const ids of holders.values()) {
    const unique = [...new Set(ids)].sort((a, b) => a - b);
    for (let i = 0; i < unique.length; i++)
      for (let j = i + 1; j < unique.length; j++) {
        const key = `${unique[i]}/${unique[j]}`;
        sharedBetween.set(key, (sharedBetween.get(key) ?? 0) + 1);
      }
  }
  thins.sort((a, b) => a.id - b.id);
  return { nrBlocks, owners, thins, sharedBetween, leaked };
}

/**
 * dm-thin does not record which device a snapshot was taken of; the lab guesses it the way a
 * person reading thin_ls would: the device created no later than it (lower id at equal time)
 * that shares the most blocks with it. A device sharing nothing is a root of the tree.
 */
export function guessOrigins(pool: ThinPool, blocks: PoolBlocks): Map<number, number | null> {
  const created = new Map<number, number>();
  for (const [id, dev] of pool.md.devices) created.set(id, dev.details.creationTime);
  const origins = new Map<number, number | null>();
  for (const t of blocks.thins) {
    let best: number | null = null;
    let bestShared = 0;
    for (const other of blocks.thins) {
      if (other.id === t.id) continue;
      const earlier =
        created.get(other.id)! < created.get(t.id)! || (created.get(other.id) === created.get(t.id) && other.id < t.id);
      if (!earlier) continue;
      const key = other.id < t.id ? `${other.id}/${t.id}` : `${t.id}/${other.id}`;
      const n = blocks.sharedBetween.get(key) ?? 0;
      if (n > bestShared || (n === bestShared && n > 0 && best !== null && other.id > best)) {
        best = other.id;
        bestShared = n;
      }
    }
    origins.set(t.id, best);
  }
  return origins;
}
