/**
 * thin_dump 1.1.0's dump when devices share runs of leaves (shared-runs-1x.ts): the defs first,
 * then each device with its own leaves inline and a ref for each shared run (dump_metadata in
 * src/thin/dump.rs). Mappings merge into ranges within one stretch of leaves only: a def, or a
 * device's leaves between two refs, is written by its own MappingVisitor, whose run ends with it.
 */
import { BLOCK_SIZE, getBlockTime, MAPPING_VALUE_SIZE, NODE, SB, SM_ROOT } from '../format/layout.js';
import { walkBtree } from '../format/metadata-walker.js';
import { type Emitter, humanEmitter, xmlEmitter } from './dump-emitters.js';
import type { MetadataBytes, RawSuperblock } from './metadata-view.js';
import { planSharedRuns1x, type SharedPlan } from './shared-runs-1x.js';

/**
 * A bottom tree's leaves in key order, as 1.1.0's LeafWalker lists them without reading them: a
 * leaf that does not read is listed too (its damage is met only when the dump reads it). Damage
 * above the leaves is `unmodelled` (the LeafWalker fails on it before any output, in words the
 * lab has not recorded beside shared runs).
 */
function leavesOf(md: MetadataBytes, root: number): { leaves: number[]; damaged: number[]; unmodelled: boolean } {
  const leaves: number[] = [];
  const damaged: number[] = [];
  let leafDepth: number | null = null;
  let unmodelled = false;
  walkBtree(md, root, MAPPING_VALUE_SIZE, {
    wideKeys: true,
    node: (place, header) => {
      if (!header.leaf) return;
      leaves.push(place.block);
      leafDepth ??= place.depth;
    },
    entry: () => undefined,
    damage: (d) => {
      if (leafDepth === null || d.place.depth !== leafDepth || d.problem?.code !== 'checksum') unmodelled = true;
      leaves.push(d.place.block);
      damaged.push(d.place.block);
    },
  });
  return { leaves, damaged, unmodelled };
}

/** The dumped devices (by id), 1.1.0's plan of shared runs for them, and the leaves that do not read. */
export interface SharedDump {
  readonly ids: readonly number[];
  readonly plan: SharedPlan;
  readonly damaged: ReadonlySet<number>;
}

/**
 * The plan for the devices a dump selects, or null when they share no run (the dump is then
 * 0.9.0's with 1.1.0's XML, as before) unless `evenUnshared`, or 'unmodelled' where a bottom
 * tree is damaged above its leaves. Keys past 2^53 are read (1.1.0's keys are u64); the caller
 * makes sure they are exact as doubles (hugeKeys1x).
 */
export function sharedDumpPlan1x(
  md: MetadataBytes,
  sb: RawSuperblock,
  devId: number | null,
  evenUnshared = false,
): SharedDump | 'unmodelled' | null {
  const roots = [...md.deviceRoots(sb.dataMappingRoot, () => undefined)]
    .filter(([id]) => devId === null || id === devId)
    .sort(([a], [b]) => a - b);
  const walked = roots.map(([, root]) => leavesOf(md, root));
  const plan = planSharedRuns1x(walked.map((w) => w.leaves));
  if (plan.defs.length === 0 && !evenUnshared) return null;
  if (walked.some((w) => w.unmodelled)) return 'unmodelled';
  return { ids: roots.map(([id]) => id), plan, damaged: new Set(walked.flatMap((w) => w.damaged)) };
}

/**
 * Writes one stretch of leaves' mappings, merged into runs that end with the stretch; at a leaf
 * that does not read it stops, leaving the run being merged unwritten, and gives that leaf.
 */
function emitLeaves(
  md: MetadataBytes,
  e: Emitter,
  leaves: readonly number[],
  damaged: ReadonlySet<number>,
): number | null {
  for (const leaf of leaves) {
    if (damaged.has(leaf)) {
      e.flushComplete();
      return leaf;
    }
    walkBtree(md, leaf, MAPPING_VALUE_SIZE, {
      wideKeys: true,
      entry: (key, valueOffset) => {
        const { dataBlock, time } = getBlockTime(md.dv, valueOffset);
        e.mapping(key, dataBlock, time);
      },
    });
  }
  e.flushMappings();
  return null;
}

/**
 * 1.1.0's nr_data_blocks: the data space map root's count in the superblock it dumps, a u64
 * printed whole (dump.rs unpacks the root of that superblock, the held copy's own under -m, with
 * none of 0.9.0's rule that only block 0 counts). Seed 17 cases 5255 (`1152921504606846976`, not
 * a double's 9007199254740991) and 6095 (a held copy's `5260204364768739328`, not 0).
 */
export function nrDataBlocks1x(md: MetadataBytes, sb: RawSuperblock): bigint {
  return md.u64Big(sb.block * BLOCK_SIZE + SB.dataSpaceMapRoot + SM_ROOT.nrBlocks);
}

/**
 * The dump as 1.1.0 writes it, as text, up to the first leaf that does not read (`failedNode`,
 * null when it wrote the whole dump); or null where the details and top-level trees hold other
 * devices: 1.1.0 pairs their entries by position (devices_iter zips them), which the lab does
 * not model.
 */
export function sharedDumpText1x(
  md: MetadataBytes,
  sb: RawSuperblock,
  shared: SharedDump,
  format: 'xml' | 'human_readable',
): { text: string; failedNode: number | null } | null {
  const details = md.details(sb.deviceDetailsRoot, () => undefined);
  const roots = md.deviceRoots(sb.dataMappingRoot, () => undefined);
  if (details.size !== roots.size || [...roots.keys()].some((id) => !details.has(id))) return null;
  let text = '';
  const e = (format === 'xml' ? xmlEmitter : humanEmitter)((t) => {
    text += t;
  }, '1.1.0');
  const stopped = (failedNode: number) => ({ text, failedNode });
  e.begin(sb, '', nrDataBlocks1x(md, sb));
  for (const def of shared.plan.defs) {
    e.beginDef(def.head);
    const failed = emitLeaves(md, e, def.leaves, shared.damaged);
    if (failed !== null) return stopped(failed);
    e.endDef();
  }
  for (const [i, id] of shared.ids.entries()) {
    e.beginDevice(id, details.get(id)!);
    let stretch: number[] = [];
    for (const entry of [...shared.plan.devices[i]!, null]) {
      if (entry !== null && 'leaf' in entry) {
        stretch.push(entry.leaf);
        continue;
      }
      const failed = emitLeaves(md, e, stretch, shared.damaged);
      if (failed !== null) return stopped(failed);
      stretch = [];
      if (entry !== null) e.ref(entry.ref);
    }
    e.endDevice();
  }
  e.end();
  return { text, failedNode: null };
}

/**
 * Keys past 2^53 in the selected devices' bottom trees: 'none'; 'exact' where each device has at
 * most one and it is exactly a double (so it prints as itself and merges with no neighbour: the
 * keys below it are safe integers); else 'inexact', which the lab does not model.
 */
export function hugeKeys1x(md: MetadataBytes, sb: RawSuperblock, devId: number | null): 'none' | 'exact' | 'inexact' {
  let found: 'none' | 'exact' | 'inexact' = 'none';
  for (const [id, root] of md.deviceRoots(sb.dataMappingRoot, () => undefined)) {
    if (devId !== null && id !== devId) continue;
    let huge = 0;
    walkBtree(md, root, MAPPING_VALUE_SIZE, {
      wideKeys: true,
      node: (place, header) => {
        if (!header.leaf) return;
        for (let i = 0; i < header.nrEntries; i++) {
          const key = md.u64Big(place.block * BLOCK_SIZE + NODE.header + i * 8);
          if (key <= BigInt(Number.MAX_SAFE_INTEGER)) continue;
          huge++;
          if (BigInt(Number(key)) !== key) found = 'inexact';
        }
      },
      entry: () => undefined,
    });
    if (huge > 1) found = 'inexact';
    if (huge === 1 && found === 'none') found = 'exact';
  }
  return found;
}
