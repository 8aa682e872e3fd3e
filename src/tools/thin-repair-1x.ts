/**
 * thin_repair as thin-provisioning-tools 1.1.0 (debian13) runs it, where the lab knows its words.
 * 1.1.0 does not salvage what it can read below the superblock's roots, as 0.9.0 did: when a
 * mapping tree's root cannot be read it searches the whole device for a compatible pair of older
 * roots (a details tree and a mapping tree of the same transaction) and, finding none, fails with
 * "no compatible roots found", status 64 (thin-provisioning-tools#265, #311). The lab's metadata
 * images are written fresh, with no older roots left on them, so the search finds none whenever a
 * mapping root is damaged: that case, a sound set of trees (repaired as 0.9.0 repairs it, the
 * space maps rebuilt), the superblock cases and the open checks are modelled. Damage below a root
 * ("found N mapping trees without device details") and the superblock overrides are not: those
 * runs return 1, which defineTool refuses by name. Words taken from the real 1.1.0
 * (src/tools/thin-tools-1x.test.ts).
 */
import { BLOCK_SIZE, BTREE_CSUM_XOR, MAPPING_VALUE_SIZE } from '../format/layout.js';
import { builtSuperblock, readDevices, writeImage } from './metadata-output.js';
import { MetadataBytes, type RawSuperblock } from './metadata-view.js';
import { FAILURE_1X } from './release.js';
import { openInput1x, outputTarget, type ToolEnv } from './tool-io.js';

/** A status of 1 under 1.1.0: a case the lab has no 1.1.0 words for (refused by name). */
const UNMODELLED = 1;

/** Output files below this are "too small" (seen at 0 and 8 KiB; 0.9.0's limit, 32 KiB, assumed). */
const MIN_OUTPUT_BYTES = 8 * BLOCK_SIZE;

export function repair1x(env: ToolEnv, input: string, output: string, overrides: Record<string, string>): number {
  const fail = (message: string): number => {
    env.io.err(message);
    return FAILURE_1X;
  };
  const opened = openInput1x(env.ctx, input);
  if (!opened.ok) return fail(opened.message);
  const out = outputTarget(env.ctx, output);
  if (!out.ok && out.why === 'missing') return fail(`Couldn't find output file '${output}'\n`);
  if (!out.ok && out.why === 'directory') return fail('Invalid output file: Not a block device or regular file\n');
  if (!out.ok || out.held) return UNMODELLED;
  if (opened.bytes.length < BLOCK_SIZE) return fail('Metadata device/file too small.  Is this binary metadata?\n');
  if (!out.isBlock && out.sizeBytes < MIN_OUTPUT_BYTES) return fail('Output file too small.\n');
  const md = new MetadataBytes(opened.bytes);
  const sb = md.superblock(0);
  if (sb.storedCsum !== sb.computedCsum) {
    if (!hasAnyBtreeNode(md)) return fail('no compatible roots found\n');
    if (overrides['data-block-size'] === undefined)
      return fail('data block size needs to be provided due to corruption in the superblock\n');
    return UNMODELLED;
  }
  if (Object.keys(overrides).length > 0) return UNMODELLED;
  if (!hasCompatibleRoots(md, sb)) return fail('no compatible roots found\n');
  if (mappingDamage(md, sb) === 'below') return UNMODELLED;
  let detailsDamaged = false;
  md.details(sb.deviceDetailsRoot, () => {
    detailsDamaged = true;
  });
  if (detailsDamaged) return UNMODELLED;
  // 1.1.0 writes the repaired superblock without its flags: needs_check is cleared (0.9.0 kept it).
  const built = { ...builtSuperblock(sb), flags: 0 };
  return writeImage(env, output, out.sizeBytes, built, readDevices(md, sb)) ? 0 : UNMODELLED;
}

/**
 * Whether 1.1.0's search would find a compatible pair of roots on lab-written metadata: not when a
 * mapping root cannot be read, nor in a pool without devices (seen on the empty image).
 */
export function hasCompatibleRoots(md: MetadataBytes, sb: RawSuperblock): boolean {
  return mappingDamage(md, sb) !== 'root' && md.deviceRoots(sb.dataMappingRoot, () => undefined).size > 0;
}

/** Whether any block reads as a btree node: the roots 1.1.0 searches for are among them. */
function hasAnyBtreeNode(md: MetadataBytes): boolean {
  for (let b = 0; b < md.nrBlocks; b++) if (md.blockProblem(b, BTREE_CSUM_XOR, 'btree node') === null) return true;
  return false;
}

/** How the mapping trees are damaged: a root that cannot be read, damage below the roots, or none. */
function mappingDamage(md: MetadataBytes, sb: RawSuperblock): 'root' | 'below' | null {
  if (md.blockProblem(sb.dataMappingRoot, BTREE_CSUM_XOR, 'btree node') !== null) return 'root';
  let below = false;
  const roots = md.deviceRoots(sb.dataMappingRoot, () => {
    below = true;
  });
  for (const root of roots.values()) {
    if (md.blockProblem(root, BTREE_CSUM_XOR, 'btree node') !== null) return 'root';
    md.walkBtree(
      root,
      MAPPING_VALUE_SIZE,
      () => undefined,
      () => {
        below = true;
      },
    );
  }
  return below ? 'below' : null;
}
