/**
 * thin_rmap as thin-provisioning-tools 1.1.0 (debian13) runs it (src/thin/rmap.rs of v1.1.0): for
 * the data blocks in the regions, which thin blocks map them, as runs printed in the order of
 * (data begin, data end, device, thin begin), where 0.9.0 sorted on the data block alone. Its
 * region parser is RangeU64's (`badly formed region`, `end <= begin`, refused by clap, status 2),
 * and `--region` may repeat. Damage below the superblock, and trees whose nodes two devices share
 * (1.1.0's walker then skips the second visit), are not modelled: those runs are refused by name.
 */
import { BLOCK_SIZE, MAPPING_VALUE_SIZE } from '../format/layout.js';
import { rustU64Error } from './clap.js';
import { MetadataBytes } from './metadata-view.js';
import { FAILURE_1X } from './release.js';
import { openInput1x, type ToolEnv } from './tool-io.js';

/** A status of 1: the lab has no 1.1.0 words for this run, and defineTool refuses it by name. */
const UNMODELLED = 1;

export interface Region1x {
  readonly begin: number;
  readonly end: number;
}

/** RangeU64's parse of `B..E`: the region, or why clap refuses it (after `: `). */
export function parseRegion1x(text: string): Region1x | string {
  const parts = text.split('..');
  const begin = rustU64Error(parts[0]!);
  if (begin !== null) return begin;
  if (parts.length < 2) return 'badly formed region';
  const end = rustU64Error(parts[1]!);
  if (end !== null) return end;
  if (parts.length > 2) return 'badly formed region';
  const r = { begin: Number(parts[0]), end: Number(parts[1]) };
  return r.end <= r.begin ? 'end <= begin' : r;
}

interface Run {
  dev: number;
  begin: number;
  end: number;
  thinBegin: number;
}

/** The runs, in 1.1.0's order: data begin, data end, device, thin begin. */
const byRmapOrder = (a: Run, b: Run): number =>
  a.begin - b.begin || a.end - b.end || a.dev - b.dev || a.thinBegin - b.thinBegin;

export function rmap1x(env: ToolEnv, regions: readonly Region1x[], path: string): number {
  const fail = (message: string): number => {
    env.io.err(message);
    return FAILURE_1X;
  };
  const input = openInput1x(env.ctx, path, true);
  if (!input.ok) return fail(input.message);
  if (input.bytes.length < BLOCK_SIZE) return fail('Metadata device/file too small.  Is this binary metadata?\n');
  const md = new MetadataBytes(input.bytes);
  const sb = md.superblock(0);
  if (sb.storedCsum !== sb.computedCsum) return fail('bad checksum in superblock\n');
  let unmodelled = false;
  const onDamage = (): void => {
    unmodelled = true;
  };
  const roots = md.deviceRoots(sb.dataMappingRoot, onDamage);
  const seen = new Set<number>();
  const runs: Run[] = [];
  const inRegions = (b: number): boolean => regions.some((r) => b >= r.begin && b < r.end);
  const state: { current: Run | null } = { current: null };
  for (const [dev, root] of [...roots].sort(([a], [b]) => a - b)) {
    const nodes: number[] = [];
    md.walkBtree(
      root,
      MAPPING_VALUE_SIZE,
      () => undefined,
      onDamage,
      (block) => nodes.push(block),
    );
    // 1.1.0's walker visits a node once: a node another device reached first is skipped, so what
    // this device shares with an earlier one is printed for the earlier one only. The lab does not
    // follow which mappings that leaves out; a device with none in the regions prints nothing
    // either way (a snapshot of a thin never written to shares its empty leaf).
    const inRegion = md.mappings(root, onDamage).filter((m) => inRegions(m.dataBlock));
    if (inRegion.length > 0 && nodes.some((b) => seen.has(b))) unmodelled = true;
    for (const b of nodes) seen.add(b);
    for (const m of inRegion) {
      const c = state.current;
      if (c !== null && c.dev === dev && m.dataBlock === c.end && m.vblock === c.thinBegin + (c.end - c.begin)) {
        c.end++;
        continue;
      }
      if (c !== null) runs.push(c);
      state.current = { dev, begin: m.dataBlock, end: m.dataBlock + 1, thinBegin: m.vblock };
    }
  }
  if (unmodelled) return UNMODELLED;
  if (state.current !== null) runs.push(state.current);
  runs.sort(byRmapOrder);
  env.io.out(
    runs
      .map((r) => `data ${r.begin}..${r.end} -> thin(${r.dev}) ${r.thinBegin}..${r.thinBegin + r.end - r.begin}\n`)
      .join(''),
  );
  return 0;
}
