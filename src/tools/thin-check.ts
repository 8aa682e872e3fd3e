/**
 * thin_check 0.9.0 in the lab (1.1.0's report, on debian13, is thin-check-1x.ts). The phases, their stderr lines and the order of stdout and stderr
 * follow the real tool as observed on the same images (src/tools/thin-tools.test.ts):
 *
 *   examining superblock            (stderr)
 *   TRANSACTION_ID=<n>              (stdout)
 *   METADATA_FREE_BLOCKS=<n>        (stdout; 0.9.0 prints the device's blocks minus one)
 *   examining devices tree
 *   examining mapping tree          ("examining top level of mapping tree" with --skip-mappings)
 *   checking space map counts       (only when the trees were clean)
 *
 * Damage is reported under the phase that found it, indented as the real tool indents it. Data
 * space map counts are not compared with the mappings, because 0.9.0 does not compare them either.
 */
import {
  BLOCK_SIZE,
  DETAILS_VALUE_SIZE,
  MAPPING_VALUE_SIZE,
  NEEDS_CHECK_FLAG,
  REFCOUNT_VALUE_SIZE,
  SB,
  SM_ROOT,
} from '../format/layout.js';
import { superblockWithNeedsCheck } from '../format/metadata-writer.js';
import { type ClapCommand, IO_ENGINE_ARG_1X, VERBOSE_ARG_1X } from './clap.js';
import { defineTool, NOT_MODELLED_STATUS } from './define-tool.js';
import { lookup0, NodeError0, outOfBounds0, Unmodelled0 } from './btree-node-0.js';
import {
  countDataSpaceMap0,
  countMetadataSpaceMap0,
  countTreeReferences,
  metadataRefCountRoot0,
} from './metadata-counter.js';
import { formatRange0, walkDamage0 } from './damage-walk-0.js';
import { MetadataBytes, type RawSuperblock } from './metadata-view.js';
import { openFailure, readInputBytes, type ToolEnv, writeMetadataBytes } from './tool-io.js';
import { type CheckFlags1x, check1x } from './thin-check-1x.js';
import { THIN_CHECK_USAGE } from './usage.js';
import { THIN_CHECK_HELP_1X } from './usage-1x.js';

type CheckFlags = { -readonly [K in Exclude<keyof CheckFlags1x, 'verbose'>]: CheckFlags1x[K] };

/**
 * The flags each option sets. --auto-repair and --override-mapping-root are accepted and, in 0.9.0,
 * change nothing in the lab; in 1.1.0 they (and --override-details-root) repair or redirect the
 * check, which the lab does not model, so they mark the run as one to refuse.
 */
const FLAG_OF: Readonly<Record<string, keyof CheckFlags>> = {
  q: 'quiet',
  m: 'metadataSnap',
  'clear-needs-check-flag': 'clearNeedsCheck',
  'ignore-non-fatal-errors': 'ignoreNonFatal',
  'skip-mappings': 'skipMappings',
  'super-block-only': 'superBlockOnly',
  'auto-repair': 'unmodelled',
  'override-mapping-root': 'unmodelled',
  'override-details-root': 'unmodelled',
};

const BLOCKNR = '<BLOCKNR>';

/** thin_check's command line in 1.1.0, in its help's order. */
const CLI_1X: ClapCommand = {
  help: THIN_CHECK_HELP_1X,
  operand: '<INPUT>',
  args: [
    { long: 'auto-repair', key: 'auto-repair' },
    { long: 'clear-needs-check-flag', key: 'clear-needs-check-flag' },
    { long: 'ignore-non-fatal-errors', key: 'ignore-non-fatal-errors' },
    { long: 'metadata-snap', short: 'm', key: 'm' },
    { long: 'override-details-root', value: BLOCKNR, numeric: true, key: 'override-details-root' },
    { long: 'override-mapping-root', value: BLOCKNR, numeric: true, key: 'override-mapping-root' },
    { long: 'quiet', short: 'q', key: 'q' },
    { long: 'skip-mappings', key: 'skip-mappings' },
    { long: 'super-block-only', key: 'super-block-only' },
    VERBOSE_ARG_1X,
    IO_ENGINE_ARG_1X,
  ],
};

export const thinCheck = defineTool({
  name: 'thin_check',
  pathOperand: true,
  usage: THIN_CHECK_USAGE,
  v1: { cli: CLI_1X, runs: true },
  options: [
    { long: 'quiet', short: 'q' },
    { long: 'help', short: 'h' },
    { long: 'version', short: 'V' },
    { long: 'metadata-snap', short: 'm' },
    { long: 'auto-repair' },
    { long: 'override-mapping-root', arg: 'required' },
    { long: 'clear-needs-check-flag' },
    { long: 'ignore-non-fatal-errors' },
    { long: 'skip-mappings' },
    { long: 'super-block-only' },
  ],
  start: (env, usageError) => {
    const flags: CheckFlags = {
      quiet: false,
      metadataSnap: false,
      clearNeedsCheck: false,
      ignoreNonFatal: false,
      skipMappings: false,
      superBlockOnly: false,
      unmodelled: false,
    };
    // 1.1.0's hidden -v, counted (0.9.0 has none: getopt refuses it).
    let verbose = 0;
    return {
      option: (key) => {
        const flag = FLAG_OF[key];
        if (flag !== undefined) flags[flag] = true;
        if (key === 'v') verbose++;
        return undefined;
      },
      run: (operands) => {
        const path = operands[0];
        if (path === undefined) return usageError('No input file provided.');
        return env.release === '1.1.0' ? check1x(env, path, { ...flags, verbose }) : checkPath(env, path, flags);
      },
    };
  },
});

function checkPath(env: ToolEnv, path: string, flags: CheckFlags): number {
  const { io } = env;
  const input = readInputBytes(env.ctx, path, !flags.metadataSnap);
  if (!input.ok) {
    io.err(`${openFailure(input)}\n`);
    return 1;
  }
  if (input.bytes.length < BLOCK_SIZE) {
    io.err('Metadata device/file too small.  Is this binary metadata?\n');
    return 1;
  }
  const md = new MetadataBytes(input.bytes, true);
  const result = runCheck(
    md,
    flags,
    {
      err: (text) => {
        if (!flags.quiet) io.err(text);
      },
      // 0.9.0's metadata_counter.cc prints what stops it counting the space maps' own blocks straight
      // to cerr, not through the checker's output that -q disables: `thin_check -q` still says
      // "bad checksum in space map bitmap (block 4)" (the real 0.9.0 on the damage kinds).
      loud: (text) => io.err(text),
    },
    (text) => {
      if (!flags.quiet) io.out(text);
    },
  );
  if (result === 0 && flags.clearNeedsCheck) {
    const sb = md.superblock(0);
    if ((sb.flags & NEEDS_CHECK_FLAG) !== 0) {
      writeMetadataBytes(env.ctx, path, superblockWithNeedsCheck(input.bytes, false));
      if (!flags.quiet) io.err('cleared needs_check flag\n');
    }
  }
  return result;
}

/** Where a check's messages go: `err` is silenced by -q, `loud` is not. */
interface CheckErr {
  readonly err: (t: string) => void;
  readonly loud: (t: string) => void;
}

function runCheck(md: MetadataBytes, flags: CheckFlags, errs: CheckErr, out: (t: string) => void): number {
  const { err } = errs;
  const sb0 = md.superblock(0);
  // With -m, 0.9.0 reads block 0 for the snapshot's location before it says anything else, and
  // what that read throws is printed unindented (metadata_checker's get_superblock_location).
  let sbBlock = 0n;
  if (flags.metadataSnap) {
    if (sb0.storedCsum !== sb0.computedCsum) {
      err(`bad checksum in superblock, wanted ${sb0.computedCsum}\n`);
      return 1;
    }
    sbBlock = md.u64Big(SB.heldRoot);
    if (sbBlock === 0n) {
      err('No metadata snapshot found.\n');
      return 1;
    }
  }
  // The superblock examined is the snapshot's copy with -m: its problems are worded alike.
  err('examining superblock\n');
  const problem = superblockProblem0(md, sbBlock);
  if (problem !== null) {
    err(`  superblock is corrupt\n    ${problem}\n`);
    return 1;
  }
  const sb = md.superblock(Number(sbBlock));
  out(`TRANSACTION_ID=${sb.transactionId}\nMETADATA_FREE_BLOCKS=${md.nrBlocks - 1}\n`);
  if (flags.superBlockOnly) return 0;
  let damaged: boolean;
  try {
    damaged = checkTrees(md, Number(sbBlock), flags, err);
  } catch (e) {
    // Under --ignore-non-fatal-errors a node may claim more keys than its block holds, which
    // 0.9.0's check_ordered_keys reads on past the block.
    if (!(e instanceof Unmodelled0)) throw e;
    errs.loud(
      `thinlab: not modelled: thin_check of thin-provisioning-tools 0.9.0 on ${e.what} (undefined behaviour in 0.9.0); see docs/reliability.md\n`,
    );
    return NOT_MODELLED_STATUS;
  }
  if (flags.skipMappings) return damaged ? 1 : 0;
  // With -m, 0.9.0 checks the snapshot's trees only, not the space maps.
  if (damaged || flags.metadataSnap) return damaged ? 1 : 0;

  err('checking space map counts\n');
  return checkSpaceMaps(md, sb0, flags, errs);
}

/** The superblock validator's complaint about the copy at `block`, or null. */
function superblockProblem0(md: MetadataBytes, block: bigint): string | null {
  if (block >= BigInt(md.nrBlocks)) return outOfBounds0(block, md.nrBlocks);
  const sb = md.superblock(Number(block));
  return sb.storedCsum === sb.computedCsum ? null : `bad checksum in superblock, wanted ${sb.computedCsum}`;
}

/**
 * The devices tree, then the mapping tree (only its top level with --skip-mappings), walked as
 * 0.9.0 walks them (damage-walk-0.ts); whether any damage was reported.
 */
function checkTrees(md: MetadataBytes, sbBlock: number, flags: CheckFlags, err: (t: string) => void): boolean {
  const topOnly = flags.skipMappings;
  const ignoreNonFatal = flags.ignoreNonFatal;
  let damaged = false;
  const root = (field: number): bigint => md.u64Big(sbBlock * BLOCK_SIZE + field);
  err('examining devices tree\n');
  walkDamage0(
    md,
    { root: root(SB.deviceDetailsRoot), levels: 1, leafValueSize: DETAILS_VALUE_SIZE, ignoreNonFatal },
    (d) => {
      damaged = true;
      err(`  missing devices: ${formatRange0(d)}\n    ${d.desc}\n`);
    },
  );
  err(topOnly ? 'examining top level of mapping tree\n' : 'examining mapping tree\n');
  const mappings = {
    root: root(SB.dataMappingRoot),
    levels: topOnly ? 1 : 2,
    leafValueSize: topOnly ? 8 : MAPPING_VALUE_SIZE,
    ignoreNonFatal,
  } as const;
  walkDamage0(md, mappings, (d) => {
    damaged = true;
    const what =
      d.path.length === 0 ? 'missing all mappings for devices:' : `thin device ${d.path[0]} is missing mappings`;
    err(`  ${what} ${formatRange0(d)}\n    ${d.desc}\n`);
  });
  return damaged;
}

/**
 * Compares the metadata space map with the references the trees make. A block the trees use but
 * the space map counts too low is fatal; a leaked block (counted but unused) is not, which is what
 * --ignore-non-fatal-errors forgives.
 */
function checkSpaceMaps(md: MetadataBytes, sb: RawSuperblock, flags: CheckFlags, errs: CheckErr): number {
  const { err, loud } = errs;
  // 0.9.0 counts the trees' references first, the held snapshot's among them: what it cannot
  // read there ends the check with the message unindented.
  const trees = countTreeReferences(md, sb);
  if (!trees.ok) {
    err(`${trees.message}\n`);
    return 1;
  }
  const expected = trees.counts;
  // Then each space map's own blocks, each in its own try block, before it gives up.
  const bitmaps = md.metadataBitmapCounts(sb.metadataSm, true, md.u64Big(SB.metadataSpaceMapRoot + SM_ROOT.bitmapRoot));
  const meta = bitmaps.ok ? countMetadataSpaceMap0(md, sb, expected) : bitmaps.reason;
  if (meta !== null) loud(`${meta}\n`);
  const data = countDataSpaceMap0(md, sb, expected);
  if (data !== null) loud(`${data}\n`);
  if (meta !== null || data !== null || !bitmaps.ok) return 1;
  const compared = compareMetadataCounts(md, sb, bitmaps.counts, expected, err);
  if ('refused' in compared) {
    loud(compared.refused);
    return NOT_MODELLED_STATUS;
  }
  if ('ended' in compared) {
    err(compared.ended);
    return 1;
  }
  if (compared.fatal) return 1;
  return compared.nonFatal && !flags.ignoreNonFatal ? 1 : 0;
}

/**
 * compare_metadata_space_maps: each block's count in the space map against the trees'. A count of
 * 3 in the bitmap is looked up in the overflow tree as the loop meets it (sm_disk::get_count), and
 * what that lookup throws, or a count the tree does not hold (`ref count not in tree`), ends the
 * check there, after the differences already printed (seed 17 cases 4625, 4710, 6353). Returns
 * what was found, the message that ended it, or a refusal.
 */
function compareMetadataCounts(
  md: MetadataBytes,
  sb: RawSuperblock,
  bitmapCounts: Uint32Array,
  expected: Map<number, number>,
  err: (t: string) => void,
): { fatal: boolean; nonFatal: boolean } | { ended: string } | { refused: string } {
  const refCountRoot = metadataRefCountRoot0(md, sb);
  let fatal = false;
  let nonFatal = false;
  for (let b = 0; b < bitmapCounts.length; b++) {
    let got = bitmapCounts[b]!;
    if (got === 3) {
      try {
        const at = lookup0(md, refCountRoot, BigInt(b), REFCOUNT_VALUE_SIZE);
        if (at === null) return { ended: 'ref count not in tree\n' };
        got = md.u32(at);
      } catch (e) {
        if (e instanceof NodeError0) return { ended: `${e.message}\n` };
        if (e instanceof Unmodelled0)
          return {
            refused: `thinlab: not modelled: thin_check of thin-provisioning-tools 0.9.0 on ${e.what} (the space map's count of block ${b}); see docs/reliability.md\n`,
          };
        throw e;
      }
    }
    const want = expected.get(b) ?? 0;
    if (want === got) continue;
    err(`  metadata reference counts differ for block ${b}, expected ${want}, but got ${got}\n`);
    if (want > got) fatal = true;
    else nonFatal = true;
  }
  return { fatal, nonFatal };
}
