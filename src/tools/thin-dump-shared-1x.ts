/**
 * thin_dump 1.1.0's dump (dump_metadata in src/thin/dump.rs): where devices share runs of leaves
 * (shared-runs-1x.ts), the defs first, then each device with its own leaves inline and a ref for
 * each shared run. Mappings merge into ranges within one stretch of leaves only: a def, or a
 * device's leaves between two refs, is written by its own MappingVisitor, whose run ends with it.
 */
import { BLOCK_SIZE, getBlockTime, MAPPING_VALUE_SIZE, NODE, SB, SM_ROOT } from '../format/layout.js';
import { walkBtree } from '../format/metadata-walker.js';
import { type DumpedSuperblock, type Emitter, humanEmitter, xmlEmitter } from './dump-emitters.js';
import { type CollectedLeaves1x, collectLeaves1x, emitLeaf1x } from './leaf-walk-1x.js';
import type { DetailsValue, MetadataBytes, RawSuperblock } from './metadata-view.js';
import { planSharedRuns1x, type SharedPlan } from './shared-runs-1x.js';

/** The dumped devices (by id) and 1.1.0's plan of shared runs for their leaves. */
export interface SharedDump {
  readonly ids: readonly number[];
  readonly plan: SharedPlan;
}

/**
 * The plan for the devices a dump selects (the ones sharing no run are plain lists of leaves),
 * from the leaves 1.1.0's LeafWalker lists (leaf-walk-1x.ts); or how that walk stopped, before
 * the dump writes anything. Keys past 2^53 are read (1.1.0's keys are u64).
 */
export function dumpPlan1x(
  md: MetadataBytes,
  sb: RawSuperblock,
  devId: number | null,
): SharedDump | Exclude<CollectedLeaves1x, { kind: 'leaves' }> {
  const roots = [...md.deviceRoots(sb.dataMappingRoot, () => undefined)]
    .filter(([id]) => devId === null || id === devId)
    .sort(([a], [b]) => a - b);
  const collected = collectLeaves1x(
    md,
    roots.map(([, root]) => root),
  );
  if (collected.kind !== 'leaves') return collected;
  const plan = planSharedRuns1x(roots.map(([, root]) => collected.byRoot.get(root)!));
  return { ids: roots.map(([id]) => id), plan };
}

/**
 * Writes one stretch of leaves' mappings, merged into runs that end with the stretch; at a leaf
 * that does not read (emit_leaf) it stops, leaving the run being merged unwritten, and gives
 * 1.1.0's error for it.
 */
function emitLeaves(md: MetadataBytes, e: Emitter, leaves: readonly number[]): string | null {
  for (const leaf of leaves) {
    const read = emitLeaf1x(md, leaf);
    if (!read.ok) {
      e.flushComplete();
      return read.message;
    }
    for (const [key, valueOffset] of read.entries) {
      const { dataBlock, time } = getBlockTime(md.dv, valueOffset);
      e.mapping(key <= MAX_SAFE_KEY ? Number(key) : key, dataBlock, time);
    }
  }
  e.flushMappings();
  return null;
}

const MAX_SAFE_KEY = BigInt(Number.MAX_SAFE_INTEGER);

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
 * What a dump prints of a superblock other than the one its trees are read from (the one --repair
 * rebuilt), with the details it made up where it rebuilt them around a mapping tree alone.
 */
export interface DumpHead1x {
  readonly sb: DumpedSuperblock;
  readonly nrDataBlocks: bigint;
  readonly details?: ReadonlyMap<number, DetailsValue>;
}

/**
 * The dump as 1.1.0 writes it, as text, up to the first leaf that does not read (`failure`, its
 * error, null when it wrote the whole dump); or null where the details and top-level trees hold other
 * devices: 1.1.0 pairs their entries by position (devices_iter zips them), which the lab does
 * not model.
 */
export function sharedDumpText1x(
  md: MetadataBytes,
  sb: RawSuperblock,
  shared: SharedDump,
  format: 'xml' | 'human_readable',
  head?: DumpHead1x,
): { text: string; failure: string | null } | null {
  const details = head?.details ?? md.details(sb.deviceDetailsRoot, () => undefined);
  const roots = md.deviceRoots(sb.dataMappingRoot, () => undefined);
  if (details.size !== roots.size || [...roots.keys()].some((id) => !details.has(id))) return null;
  let text = '';
  const e = (format === 'xml' ? xmlEmitter : humanEmitter)((t) => {
    text += t;
  }, '1.1.0');
  const stopped = (failure: string) => ({ text, failure });
  e.begin(head?.sb ?? sb, '', head?.nrDataBlocks ?? nrDataBlocks1x(md, sb));
  for (const def of shared.plan.defs) {
    e.beginDef(def.head);
    const failed = emitLeaves(md, e, def.leaves);
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
      const failed = emitLeaves(md, e, stretch);
      if (failed !== null) return stopped(failed);
      stretch = [];
      if (entry !== null) e.ref(entry.ref);
    }
    e.endDevice();
  }
  e.end();
  return { text, failure: null };
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
