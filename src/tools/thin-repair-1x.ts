/**
 * thin_repair as thin-provisioning-tools 1.1.0 (debian13) runs it, where the lab knows its words.
 * 1.1.0 does not salvage what it can read below the superblock's roots, as 0.9.0 did: it searches
 * the device for trees that read whole and rebuilds from those (root-search-1x.ts), or fails with
 * "no compatible roots found", status 64 (thin-provisioning-tools#265, #311). The open checks, the
 * superblock cases and the search's outcomes on lab-written metadata are modelled; the superblock
 * overrides, and a search among a held snapshot's trees, are not: those runs return 1, which
 * defineTool refuses by name. Words taken from the real 1.1.0 (src/tools/thin-tools-1x.test.ts).
 */
import { BLOCK_SIZE } from '../format/layout.js';
import { builtSuperblock, readDevices, writeImage } from './metadata-output.js';
import { MetadataBytes } from './metadata-view.js';
import { FAILURE_1X } from './release.js';
import { findRepairSource, hasAnyBtreeNode } from './root-search-1x.js';
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
  const source = findRepairSource(md);
  if (source.kind === 'failed') return fail(source.message);
  if (source.kind === 'unmodelled') return UNMODELLED;
  if (source.kind === 'rebuilt') {
    if (source.warning !== null) env.io.err(source.warning);
    return writeImage(env, output, out.sizeBytes, source.sb, source.devices) ? 0 : UNMODELLED;
  }
  // 1.1.0 writes the repaired superblock without its flags: needs_check is cleared (0.9.0 kept it).
  const built = { ...builtSuperblock(sb), flags: 0 };
  return writeImage(env, output, out.sizeBytes, built, readDevices(md, sb)) ? 0 : UNMODELLED;
}
