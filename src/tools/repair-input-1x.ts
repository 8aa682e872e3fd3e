/**
 * What thin_repair 1.1.0 hands its Restorer (src/thin/repair.rs: build_metadata, then
 * optimise_metadata of src/thin/metadata.rs with the Gatherer of src/thin/runs.rs): each device's
 * leaves in order, with the runs of leaves two devices share turned into shared subtrees (`<def>`,
 * named by their first leaf) that the devices reference (`<ref>`). The Restorer then takes those
 * leaves whole where they are full enough (metadata-writer-1x.ts), which is where its output's
 * blocks and counts of 2 come from.
 */
import { BLOCK_SIZE, LEAF_NODE, MAPPING_VALUE_SIZE, NODE } from '../format/layout.js';
import type { DeviceDetails } from '../model/metadata.js';
import type { Def1x, Device1x, Entry1x, Mapping1x } from './metadata-writer-1x.js';
import type { MetadataBytes } from './metadata-view.js';

/** Runs of leaves, each with whether more than one place reaches it (Gatherer::gather). */
export function gatherRuns(sequences: readonly (readonly number[])[]): { run: number[]; shared: boolean }[] {
  const heads = new Set<number>();
  const tails = new Set<number>();
  const shared = new Set<number>();
  const neighbours = new Map<number, Set<number>>();
  const back = new Map<number, number>();
  const markHead = (b: number): void => {
    if (heads.has(b)) shared.add(b);
    heads.add(b);
  };
  const first = (b: number): number | undefined => {
    const n = [...neighbours.get(b)!];
    return n.length === 0 ? undefined : Math.min(...n);
  };
  for (const seq of sequences) {
    let prev: number | null = null;
    for (const b of seq) {
      if (prev === null) markHead(b);
      else {
        const e: Set<number> = neighbours.get(prev)!;
        if (e.has(b)) shared.add(b);
        e.add(b);
        const from = back.get(b);
        if (from === undefined) back.set(b, prev);
        else if (from !== prev) markHead(b);
      }
      if (!neighbours.has(b)) neighbours.set(b, new Set());
      prev = b;
    }
    if (prev !== null) tails.add(prev);
  }
  // complete_heads_and_tails: a block with other than one neighbour, or before a head, ends a run;
  // what follows the end of a run starts one.
  const sorted = [...neighbours.keys()].sort((x, y) => x - y);
  const ends = sorted.filter((b) => {
    const n = first(b);
    return neighbours.get(b)!.size !== 1 || (n !== undefined && heads.has(n));
  });
  for (const t of ends) tails.add(t);
  for (const t of [...tails].sort((x, y) => x - y))
    for (const n of [...(neighbours.get(t) ?? [])].sort((x, y) => x - y)) markHead(n);
  return [...heads]
    .sort((x, y) => x - y)
    .map((head) => {
      const run = [head];
      for (let b = head; !tails.has(b); ) {
        b = first(b)!;
        run.push(b);
      }
      return { run, shared: shared.has(head) };
    });
}

/** A device's leaves in key order with their mappings, or null where its tree is damaged. */
function leavesOf(md: MetadataBytes, root: number): { block: number; mappings: Mapping1x[] }[] | null {
  const leaves: { block: number; mappings: Mapping1x[] }[] = [];
  let damaged = false;
  md.walkBtree(
    root,
    MAPPING_VALUE_SIZE,
    (vblock, v) => {
      const value = md.u64Big(v);
      leaves.at(-1)!.mappings.push({ vblock, dataBlock: Number(value >> 24n), time: Number(value & 0xffffffn) });
      if (Math.floor(v / BLOCK_SIZE) !== leaves.at(-1)!.block) damaged = true;
    },
    () => {
      damaged = true;
    },
    (block) => {
      if (md.u32(block * BLOCK_SIZE + NODE.flags) === LEAF_NODE) leaves.push({ block, mappings: [] });
    },
  );
  return damaged ? null : leaves;
}

/**
 * The Restorer's input for `devices` (id → root and details): the shared subtrees, then the
 * devices in id order; null where a tree does not read whole.
 */
export function repairInput1x(
  md: MetadataBytes,
  devices: ReadonlyMap<number, { root: number; details: DeviceDetails }>,
): { defs: Def1x[]; devices: Device1x[] } | null {
  const ids = [...devices.keys()].sort((x, y) => x - y);
  const leafMappings = new Map<number, Mapping1x[]>();
  const sequences: number[][] = [];
  for (const id of ids) {
    const leaves = leavesOf(md, devices.get(id)!.root);
    if (leaves === null) return null;
    for (const l of leaves) leafMappings.set(l.block, l.mappings);
    sequences.push(leaves.map((l) => l.block));
  }
  const runs = new Map(gatherRuns(sequences).map((r) => [r.run[0]!, r]));
  const mappingsOf = (blocks: readonly number[]): Mapping1x[] => blocks.flatMap((b) => leafMappings.get(b)!);
  const out: Device1x[] = ids.map((id, i) => {
    const entries: Entry1x[] = [];
    const seq = sequences[i]!;
    for (let j = 0; j < seq.length; ) {
      const run = runs.get(seq[j]!);
      if (run === undefined) {
        entries.push({ mappings: mappingsOf([seq[j]!]) });
        j++;
        continue;
      }
      entries.push(run.shared ? { ref: run.run[0]! } : { mappings: mappingsOf(run.run) });
      j += run.run.length;
    }
    return { id, details: devices.get(id)!.details, entries };
  });
  const defs = [...runs.values()]
    .filter((r) => r.shared)
    .sort((x, y) => x.run[0]! - y.run[0]!)
    .map((r) => ({ id: r.run[0]!, mappings: mappingsOf(r.run) }));
  return { defs, devices: out };
}
