/**
 * thin_dump 1.1.0's dump when devices share runs of leaves (shared-runs-1x.ts): the defs first,
 * then each device with its own leaves inline and a ref for each shared run (dump_metadata in
 * src/thin/dump.rs). Mappings merge into ranges within one stretch of leaves only: a def, or a
 * device's leaves between two refs, is written by its own MappingVisitor, whose run ends with it.
 */
import { getBlockTime, MAPPING_VALUE_SIZE } from '../format/layout.js';
import { walkBtree } from '../format/metadata-walker.js';
import { type Emitter, humanEmitter, xmlEmitter } from './dump-emitters.js';
import type { MetadataBytes, RawSuperblock } from './metadata-view.js';
import { planSharedRuns1x, type SharedPlan } from './shared-runs-1x.js';

/** A bottom tree's leaves in key order (1.1.0's LeafWalker visits them so), and whether it is damaged. */
function leavesOf(md: MetadataBytes, root: number): { leaves: number[]; damaged: boolean } {
  const leaves: number[] = [];
  let damaged = false;
  walkBtree(md, root, MAPPING_VALUE_SIZE, {
    node: (place, header) => {
      if (header.leaf) leaves.push(place.block);
    },
    entry: () => undefined,
    damage: () => {
      damaged = true;
    },
  });
  return { leaves, damaged };
}

/** The dumped devices (by id) and 1.1.0's plan of shared runs for them. */
export interface SharedDump {
  readonly ids: readonly number[];
  readonly plan: SharedPlan;
}

/**
 * The plan for the devices a dump selects, or null when they share no run (the dump is then
 * 0.9.0's with 1.1.0's XML, as before), or 'unmodelled' where they share runs and a bottom tree
 * is damaged too (1.1.0's collect_leaves would fail on it; how is not recorded).
 */
export function sharedDumpPlan1x(
  md: MetadataBytes,
  sb: RawSuperblock,
  devId: number | null,
): SharedDump | 'unmodelled' | null {
  const roots = [...md.deviceRoots(sb.dataMappingRoot, () => undefined)]
    .filter(([id]) => devId === null || id === devId)
    .sort(([a], [b]) => a - b);
  const walked = roots.map(([, root]) => leavesOf(md, root));
  const plan = planSharedRuns1x(walked.map((w) => w.leaves));
  if (plan.defs.length === 0) return null;
  if (walked.some((w) => w.damaged)) return 'unmodelled';
  return { ids: roots.map(([id]) => id), plan };
}

/** Writes one stretch of leaves' mappings, merged into runs that end with the stretch. */
function emitLeaves(md: MetadataBytes, e: Emitter, leaves: readonly number[]): void {
  for (const leaf of leaves) {
    walkBtree(md, leaf, MAPPING_VALUE_SIZE, {
      entry: (key, valueOffset) => {
        const { dataBlock, time } = getBlockTime(md.dv, valueOffset);
        e.mapping(key, dataBlock, time);
      },
    });
  }
  e.flushMappings();
}

/**
 * The whole dump as 1.1.0 writes it, as text, or null where the details and top-level trees hold
 * other devices: 1.1.0 pairs their entries by position (devices_iter zips them), which the lab
 * does not model.
 */
export function sharedDumpText1x(
  md: MetadataBytes,
  sb: RawSuperblock,
  shared: SharedDump,
  format: 'xml' | 'human_readable',
): string | null {
  const details = md.details(sb.deviceDetailsRoot, () => undefined);
  const roots = md.deviceRoots(sb.dataMappingRoot, () => undefined);
  if (details.size !== roots.size || [...roots.keys()].some((id) => !details.has(id))) return null;
  let text = '';
  const e = (format === 'xml' ? xmlEmitter : humanEmitter)((t) => {
    text += t;
  }, '1.1.0');
  e.begin(sb, '', sb.dataSm.nrBlocks);
  for (const def of shared.plan.defs) {
    e.beginDef(def.head);
    emitLeaves(md, e, def.leaves);
    e.endDef();
  }
  shared.ids.forEach((id, i) => {
    e.beginDevice(id, details.get(id)!);
    let stretch: number[] = [];
    for (const entry of shared.plan.devices[i]!) {
      if ('leaf' in entry) {
        stretch.push(entry.leaf);
        continue;
      }
      emitLeaves(md, e, stretch);
      stretch = [];
      e.ref(entry.ref);
    }
    emitLeaves(md, e, stretch);
    e.endDevice();
  });
  e.end();
  return text;
}
