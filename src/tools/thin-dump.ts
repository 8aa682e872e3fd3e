/**
 * thin_dump 0.9.0 in the lab: XML (the default) or human_readable, of the live trees or of the
 * held metadata snapshot (-m, or -mBLOCK), optionally to a file (-o). Mapping runs are merged
 * when the virtual block, the data block and the time stamp all continue the previous mapping,
 * as 0.9.0 merges them; `flags` is always written (0 when needs_check is clear).
 *
 * Without --repair, damage stops the dump where 0.9.0 stops it: after the superblock line for a
 * damaged top-level tree, and after the device's closing tag for a damaged bottom tree, in which
 * case 0.9.0 prints its error twice (the first time without a newline). With --repair damaged
 * subtrees are skipped silently.
 */
import {
  BLOCK_SIZE,
  DETAILS_VALUE_SIZE,
  getBlockTime,
  MAPPING_VALUE_SIZE,
  NODE,
  ROOT_VALUE_SIZE,
  SB,
  SM_ROOT,
  SUPERBLOCK_CSUM_XOR,
} from '../format/layout.js';
import { outOfBounds0, Unmodelled0, valueAt0 } from './btree-node-0.js';
import { type Tree0, walkDamage0 } from './damage-walk-0.js';
import { type ClapCommand, IO_ENGINE_ARG_1X, VERBOSE_ARG_1X } from './clap.js';
import { defineTool, NOT_MODELLED_STATUS, releaseOf } from './define-tool.js';
import { type DumpedDetails, type Emitter, humanEmitter, uuidText, xmlEmitter } from './dump-emitters.js';
import { MetadataBytes, type RawSuperblock, type TreeDamage } from './metadata-view.js';
import type { ToolsRelease } from './release.js';
import { findBetterRoots0 } from './repair-scan.js';
import { type DumpOptions, dumpPath1x } from './thin-dump-1x.js';
import { nrDataBlocks1x } from './thin-dump-shared-1x.js';
import { openMetadata, type ToolEnv, writeTextFile } from './tool-io.js';
import { THIN_DUMP_USAGE } from './usage.js';
import { THIN_DUMP_HELP_1X } from './usage-1x.js';

const METADATA_DAMAGE =
  'metadata contains errors (run thin_check for details).\nperhaps you wanted to run with --repair';

/** thin_dump's command line in 1.1.0, in its help's order. */
const CLI_1X: ClapCommand = {
  help: THIN_DUMP_HELP_1X,
  operand: '<INPUT>',
  args: [
    { long: 'data-block-size', value: '<SECTORS>', numeric: true, key: 'data-block-size' },
    { long: 'dev-id', value: '<THIN_ID>', numeric: true, key: 'dev-id', multiple: true },
    { long: 'format', short: 'f', value: '<TYPE>', possible: ['xml', 'human_readable'], key: 'f' },
    { long: 'metadata-snap', short: 'm', value: '<BLOCKNR>', optionalValue: true, numeric: true, key: 'm' },
    { long: 'nr-data-blocks', value: '<NUM>', numeric: true, key: 'nr-data-blocks' },
    { long: 'output', short: 'o', value: '<FILE>', key: 'o', path: true },
    { long: 'quiet', short: 'q', key: 'q' },
    { long: 'repair', short: 'r', key: 'r' },
    { long: 'skip-mappings', key: 'skip-mappings' },
    { long: 'transaction-id', value: '<NUM>', numeric: true, key: 'transaction-id' },
    VERBOSE_ARG_1X,
    IO_ENGINE_ARG_1X,
  ],
  // --repair's conflicts_with("METADATA_SNAPSHOT").
  conflicts: [['r', 'm']],
};

export const thinDump = defineTool({
  name: 'thin_dump',
  pathOperand: true,
  usage: THIN_DUMP_USAGE,
  v1: { cli: CLI_1X, runs: true },
  options: [
    { long: 'help', short: 'h' },
    { long: 'format', short: 'f', arg: 'required' },
    { long: 'repair', short: 'r' },
    { long: 'metadata-snap', short: 'm', arg: 'optional' },
    { long: 'output', short: 'o', arg: 'required', path: true },
    { long: 'dev-id', arg: 'required' },
    { long: 'skip-mappings' },
    { long: 'version', short: 'V' },
  ],
  start: (env, usageError) => {
    const selected0: bigint[] = [];
    const o: DumpOptions0 = {
      format: 'xml',
      repair: false,
      snap: null,
      output: null,
      devId: null,
      devIds: [],
      selected0,
      skipMappings: false,
      unmodelled: false,
    };
    // 1.1.0's hidden -v: a plain, -m or --skip-mappings dump prints the same with it (checked with
    // -v to -vvv on the tools' images); --repair's search logs more, which is not modelled.
    let verbose = false;
    return {
      option: (key, arg) => {
        switch (key) {
          case 'v':
            verbose = true;
            break;
          case 'f':
            // Checked after the options, as 0.9.0 does: `-f bogus -h` prints the usage, and a later -f wins.
            o.format = arg!;
            break;
          case 'r':
            o.repair = true;
            break;
          case 'm':
            o.snap = { block: arg === undefined ? null : Number(arg) };
            break;
          case 'o':
            o.output = arg!;
            break;
          case 'dev-id': {
            // 0.9.0 reads a leading decimal number (strtoull: `5x` is 5, `-1` wraps to 2^64 - 1).
            const digits = /^\s*([-+]?)(\d+)/.exec(arg!);
            if (digits === null) return usageError("couldn't parse <dev-id>");
            o.devId = digits[1] === '-' && Number(digits[2]) !== 0 ? -1 : Number(digits[2]);
            // 1.1.0 keeps every --dev-id (clap's Append): dumpPath1x picks among them.
            o.devIds.push(o.devId);
            // 0.9.0 selects every --dev-id given (dump_options::select_dev into a set of u64s).
            selected0.push(strtoull10(digits[0]));
            break;
          }
          case 'skip-mappings':
            o.skipMappings = true;
            break;
          // 1.1.0's overrides for a damaged superblock: not modelled, so the run is refused.
          case 'data-block-size':
          case 'nr-data-blocks':
          case 'transaction-id':
            o.unmodelled = true;
            break;
        }
        return undefined;
      },
      run: (operands) => {
        const path = operands[0];
        if (path === undefined) return usageError('No input file provided.');
        if (verbose && o.repair) o.unmodelled = true;
        return env.release === '1.1.0' ? dumpPath1x(env, o, path, dumpPath) : dumpPath(env, o, path);
      },
    };
  },
});

/** 0.9.0's options beside the shared ones: the device ids --dev-id selected, as u64s. */
interface DumpOptions0 extends DumpOptions {
  readonly selected0?: readonly bigint[];
}

/** strtoull(arg, &end, 10) of a number already found at the start of `arg`: a u64, wrapping a '-'. */
function strtoull10(arg: string): bigint {
  const [, sign, digits] = /^\s*([-+]?)(\d+)/.exec(arg)!;
  const value = BigInt(digits!);
  // glibc saturates an overflow to ULLONG_MAX whatever the sign, and negates anything else.
  if (value > U64_MAX) return U64_MAX;
  return sign === '-' ? BigInt.asUintN(64, -value) : value;
}

const U64_MAX = (1n << 64n) - 1n;

/** Which devices are dumped (null: all): 0.9.0's set of u64 ids, or 1.1.0's one id (dumpPath1x picks it). */
function selectedDevices(release: ToolsRelease, options: DumpOptions0): ReadonlySet<bigint> | null {
  if (release === '0.9.0') return (options.selected0 ?? []).length === 0 ? null : new Set(options.selected0);
  return options.devId === null ? null : new Set([BigInt(options.devId)]);
}

export function dumpPath(env: ToolEnv, options: DumpOptions0, path: string): number {
  const { io } = env;
  const { format, repair, output, skipMappings } = options;
  const selected = selectedDevices(releaseOf(env), options);
  // dump_ takes --repair's branch before it looks at -m: the repair reads the live superblock
  // whatever -m asked (seed 17's case-126 image: `thin_dump -m --repair` dumps the live devices).
  const snap = repair ? null : options.snap;
  // 0.9.0 opens (and so truncates) the output file before it looks at the format or the
  // metadata, so a failed dump leaves an empty file where the old one was.
  if (output !== null) writeTextFile(env.ctx, output, '');
  if (format !== 'xml' && format !== 'human_readable') {
    io.err(`unknown format '${format}'\n`);
    return 1;
  }
  const opened = openMetadata(env.ctx, path, snap === null);
  if (!opened.ok) {
    // With --repair, 0.9.0 says the same of a file too small for a superblock as of a damaged one.
    io.err(
      repair && opened.failedAt !== 'open'
        ? 'The following field needs to be provided on the command line due to corruption in the superblock: transaction id\n'
        : `${opened.message}\n`,
    );
    return 1;
  }
  const { sb: sb0 } = opened;
  // Every walk of 0.9.0's thin_dump (metadata_dump, and get_dev_ids and get_map_ids before a
  // repair) runs with ignore_non_fatal, so a node below one-third full is no damage to it. 1.1.0's
  // dumps that come here (thin-dump-1x.ts dumpWhole) keep the check, as they did.
  const md = releaseOf(env) === '0.9.0' ? new MetadataBytes(opened.md.bytes, false, true) : opened.md;
  let sb = sb0;
  if (snap !== null) {
    const held = heldSuperblock0(md, sb0, snap.block);
    if (typeof held === 'string') {
      io.err(held);
      return 1;
    }
    sb = held;
  }

  if (repair && snap === null) {
    const searched = repairRoots0(md, sb);
    if ('error' in searched) {
      io.err(`${searched.error}\n`);
      return 1;
    }
    if ('unmodelled' in searched) {
      io.err(
        `thinlab: not modelled: thin_dump --repair of thin-provisioning-tools 0.9.0: its root search reads ${searched.unmodelled}, which is undefined behaviour in 0.9.0 (a segmentation fault or garbage); see docs/reliability.md\n`,
      );
      return NOT_MODELLED_STATUS;
    }
    sb = searched.sb;
  }
  const wide = unmodelledRefusal(md, sb, releaseOf(env), { repair, selected, skipMappings });
  if (wide !== null) {
    io.err(wide);
    return NOT_MODELLED_STATUS;
  }
  let text = '';
  const out =
    output === null
      ? (t: string) => io.out(t)
      : (t: string) => {
          text += t;
        };
  const finish = (): void => {
    if (output !== null) writeTextFile(env.ctx, output, text);
  };
  const e = format === 'xml' ? xmlEmitter(out, releaseOf(env)) : humanEmitter(out, releaseOf(env));
  // nr_data_blocks comes from the superblock the dump reads, as nrDataBlocks0 (0.9.0) and
  // nrDataBlocks1x (1.1.0, whose dumps without shared leaves come here too) say.
  const status = dumpTrees(
    md,
    sb,
    releaseOf(env) === '0.9.0' ? nrDataBlocks0(md, sb) : nrDataBlocks1x(md, sb),
    e,
    // 0.9.0's metadata_dump begins the superblock with an empty uuid whatever the block holds
    // (seed 17 case 2891: a flipped uuid byte in the held copy is not printed).
    {
      repair,
      selected,
      skipMappings,
      walk090: releaseOf(env) === '0.9.0',
      uuid: releaseOf(env) === '0.9.0' ? '' : uuidText(md.bytes, sb.block),
    },
    (t) => io.err(t),
    (msg) => {
      finish();
      io.err(msg);
    },
  );
  if (status === 0) finish();
  return status;
}

/**
 * metadata_repair_: when the superblock's details or top-level tree does not walk cleanly,
 * 0.9.0 searches the blocks for better roots (repair-scan.ts) and dumps from the pair it finds,
 * with the time their nodes give and no held snapshot; else from the superblock's roots.
 */
function repairRoots0(
  md: MetadataBytes,
  sb: RawSuperblock,
): { sb: RawSuperblock } | { error: string } | { unmodelled: string } {
  // get_dev_ids and get_map_ids walk the details tree and the top level with btree_damage_visitor
  // and ignore_non_fatal; they read ids as u64s, so one of 2^53 or more is no damage to them.
  const walksCleanly = (kind: 'details' | 'mapping', root: number): boolean => {
    let clean = true;
    const valueSize = kind === 'details' ? DETAILS_VALUE_SIZE : ROOT_VALUE_SIZE;
    walkDamage0(md, { root: BigInt(root), levels: 1, leafValueSize: valueSize, ignoreNonFatal: true }, () => {
      clean = false;
    });
    return clean;
  };
  let search: ReturnType<typeof findBetterRoots0>;
  try {
    if (walksCleanly('details', sb.deviceDetailsRoot) && walksCleanly('mapping', sb.dataMappingRoot)) return { sb };
    search = findBetterRoots0(md, walksCleanly);
  } catch (e) {
    if (e instanceof Unmodelled0) return { unmodelled: e.what };
    throw e;
  }
  if (!('roots' in search)) return search;
  if (search.roots === null) return { sb };
  const { details, mapping, time } = search.roots;
  return { sb: { ...sb, heldRoot: 0, time, deviceDetailsRoot: details, dataMappingRoot: mapping } };
}

/** The held snapshot's superblock that -m (or -mBLOCK) dumps, or 0.9.0's message why not. */
function heldSuperblock0(md: MetadataBytes, sb0: RawSuperblock, asked: number | null): RawSuperblock | string {
  const block = asked ?? sb0.heldRoot;
  if (sb0.heldRoot === 0) return 'no current metadata snap\n';
  if (block !== sb0.heldRoot) return 'metadata snapshot does not match that in superblock\n';
  // The held root as the u64 it is: past 2^53 it is printed whole (seed 17 case 1896: 2^60 + 50).
  const held = md.u64Big(SB.heldRoot);
  if (held >= BigInt(md.nrBlocks)) return `${outOfBounds0(held, md.nrBlocks)}\n`;
  const problem = md.blockProblem(block, SUPERBLOCK_CSUM_XOR, 'superblock');
  if (problem !== null) return `bad checksum in superblock, wanted ${md.superblock(block).computedCsum}\n`;
  return md.superblock(block);
}

/**
 * What the lab refuses to dump, found by a first pass with its output thrown away: for 0.9.0 a
 * node read past its block (a key of a node that claims more entries than its block holds, which
 * ignore_non_fatal lets through to check_ordered_keys), which is undefined behaviour; for 1.1.0's
 * dumps that come here, a key of 2^53 or more (the lab's 1.1.0 keys are safe integers). 0.9.0's
 * u64 keys and device ids are read as bigints when that wide and printed whole (seed 17 case
 * 3145's origin_block 17732923532771370).
 */
function unmodelledRefusal(
  md: MetadataBytes,
  sb: RawSuperblock,
  release: ToolsRelease,
  opts: { repair: boolean; selected: ReadonlySet<bigint> | null; skipMappings: boolean },
): string | null {
  const probe: DumpProbe = { wideKeyBlock: null };
  const sink = xmlEmitter(() => undefined, release);
  try {
    dumpTrees(
      md,
      sb,
      sb.dataSm.nrBlocks,
      sink,
      { ...opts, walk090: release === '0.9.0', probe },
      () => undefined,
      () => undefined,
    );
  } catch (e) {
    if (!(e instanceof Unmodelled0)) throw e;
    return `thinlab: not modelled: thin_dump of thin-provisioning-tools ${release} on ${e.what}, which is undefined behaviour in ${release}; see docs/reliability.md\n`;
  }
  if (probe.wideKeyBlock === null) return null;
  return `thinlab: not modelled: thin_dump of thin-provisioning-tools ${release} on a key of 2^53 or more (block ${probe.wideKeyBlock}): the real tool dumps it as a u64, the lab's keys are safe integers; see docs/reliability.md\n`;
}

/**
 * metadata_dumper.cc's get_nr_blocks: thin_dump opens no space map, so it reads the data space
 * map root's count (a u64, printed whole) only from a superblock whose block number field says 0,
 * and prints 0 for any other: a held snapshot's copy, or a superblock whose field is damaged
 * (seed 17 case 2732: a flip in the held copy's cleared root is not printed).
 */
function nrDataBlocks0(md: MetadataBytes, sb: RawSuperblock): bigint {
  return sb.blocknr === 0 ? md.u64Big(sb.block * BLOCK_SIZE + SB.dataSpaceMapRoot + SM_ROOT.nrBlocks) : 0n;
}

/** A top-level leaf's devices, in key order: each id (a u64) with the root of its bottom tree. */
type DeviceLeaf = (readonly [bigint, bigint])[];

/** The top-level mapping tree's leaves in key order (1.1.0's dumps that come here). */
function topLevelLeaves(md: MetadataBytes, root: number, onDamage: (d: TreeDamage) => void): DeviceLeaf[] {
  const leaves: DeviceLeaf[] = [];
  md.walkBtree(
    root,
    ROOT_VALUE_SIZE,
    (id, v) => leaves.at(-1)!.push([BigInt(id), BigInt(md.pointer(v))]),
    onDamage,
    (_block, _place, header) => {
      if (header.leaf) leaves.push([]);
    },
  );
  return leaves;
}

/** thin_dump 0.9.0's walks: btree_damage_visitor with ignore_non_fatal, a fresh one per walk. */
const tree0 = (root: bigint, leafValueSize: number): Tree0 => ({
  root,
  levels: 1,
  leafValueSize,
  ignoreNonFatal: true,
});

/**
 * The top-level mapping tree's leaves as 0.9.0's metadata_dump walks them (damage-walk-0.ts, with
 * ignore_non_fatal): each good leaf's devices are visited as the walk reaches it. A damage is
 * issued when the walk next meets a good node or ends; without --repair that throws, and the
 * throw, caught by walk_tree as damage to the node being checked, leaves every later leaf unvisited
 * (seed 17 case 6726: a zeroed second leaf, after a first one whose devices are all dumped). So
 * the leaves are those before the first damage, and with --repair all the good ones. Ids and roots
 * are the u64s they are.
 */
function topLevelLeaves0(md: MetadataBytes, root: number, repair: boolean): { leaves: DeviceLeaf[]; damaged: boolean } {
  const leaves: DeviceLeaf[] = [];
  let damaged = false;
  walkDamage0(
    md,
    tree0(BigInt(root), ROOT_VALUE_SIZE),
    () => {
      damaged = true;
    },
    (n) => {
      if (damaged && !repair) return;
      leaves.push(
        Array.from({ length: n.nrEntries }, (_, i) => [n.key(i), md.u64Big(valueAt0(n, i, ROOT_VALUE_SIZE))] as const),
      );
    },
  );
  return { leaves, damaged };
}

/**
 * The device details as 0.9.0's details_extractor gathers them, by u64 id (dd_map): an id of 2^53
 * or more is kept as it is, and matches only the same id in the mapping tree. mapped_blocks is a
 * u64 too, printed whole.
 */
function details0(md: MetadataBytes, root: number, onDamage: () => void): Map<bigint, DumpedDetails> {
  const out = new Map<bigint, DumpedDetails>();
  walkDamage0(md, tree0(BigInt(root), DETAILS_VALUE_SIZE), onDamage, (n) => {
    for (let i = 0; i < n.nrEntries; i++) {
      const v = valueAt0(n, i, DETAILS_VALUE_SIZE);
      const mapped = md.u64Big(v);
      out.set(n.key(i), {
        mappedBlocks: mapped > BigInt(Number.MAX_SAFE_INTEGER) ? mapped : Number(mapped),
        transactionId: md.u64Big(v + 8),
        creationTime: md.u32(v + 16),
        snapshottedTime: md.u32(v + 20),
      });
    }
  });
  return out;
}

/** The details of the tree at `root`, by u64 id, as the dump reads them. */
function detailsOf(
  md: MetadataBytes,
  root: number,
  walk090: boolean,
  onDamage: (d: TreeDamage | null) => void,
): Map<bigint, DumpedDetails> {
  if (walk090) return details0(md, root, () => onDamage(null));
  // The details of every leaf that reads, their ids as the safe integers 1.1.0's dumps here keep.
  return new Map([...md.details(root, onDamage, true)].map(([id, d]) => [BigInt(id), d]));
}

/**
 * One device's bottom tree as 0.9.0's emit_mappings walks it: walk_mapping_tree over a
 * single_mapping_tree, with a btree_damage_visitor of its own (its own damage tracker and visited
 * set) and ignore_non_fatal. Each good leaf's values are handed on as visit_values reads them,
 * after the damage its good keys issue. So an internal node with one child past the end of the
 * metadata is damage of that node, found by the prefetch of its children before any is walked,
 * and none of its leaves is dumped, with --repair too (seed 17 cases 9511 and 9794: a root whose
 * first or third child pointer is flipped dumps the device with no mappings).
 */
function bottomMappings0(
  md: MetadataBytes,
  root: bigint,
  visit: (vblock: number | bigint, dataBlock: number, time: number) => void,
  onDamage: () => void,
): void {
  walkDamage0(md, tree0(root, MAPPING_VALUE_SIZE), onDamage, (n) => {
    if (n.nrEntries === 0) return;
    // The walk has run check_fits_within_block on the first value: every key and value lies in
    // the block, so they are read directly (a dump can be millions of mappings), a key as a
    // number unless it is 2^53 or more.
    const values = valueAt0(n, 0, MAPPING_VALUE_SIZE);
    const keys = n.block * BLOCK_SIZE + NODE.header;
    for (let i = 0; i < n.nrEntries; i++) {
      const hi = md.u32(keys + i * 8 + 4);
      const key = hi < 0x200000 ? hi * 2 ** 32 + md.u32(keys + i * 8) : md.u64Big(keys + i * 8);
      const { dataBlock, time } = getBlockTime(md.dv, values + i * MAPPING_VALUE_SIZE);
      visit(key, dataBlock, time);
    }
  });
}

/**
 * One device's element and its mappings; false when its bottom tree is damaged and the dump
 * stops (without --repair), in which case the element is left open.
 */
function dumpDevice(
  md: MetadataBytes,
  device: readonly [bigint, bigint],
  dd: DumpedDetails,
  e: Emitter,
  opts: { repair: boolean; skipMappings: boolean; walk090: boolean },
  onDamage: (d: TreeDamage) => void,
): boolean {
  const [id, root] = device;
  // begin_device takes the id as a uint32_t: 0.9.0 prints a u64 id's low 32 bits (a details and a
  // top-level key both made 2^53 + 1 dump as device 1, checked on the real 0.9.0).
  e.beginDevice(Number(BigInt.asUintN(32, id)), dd);
  if (opts.skipMappings) return true;
  let damaged = false;
  // Without --repair the dump keeps only the mappings before the first damage in the tree,
  // which are exactly those visited before it was issued.
  const visit = (v: number | bigint, d: number, t: number): void => {
    if (opts.repair || !damaged) e.mapping(v, d, t);
  };
  if (opts.walk090)
    bottomMappings0(md, root, visit, () => {
      damaged = true;
    });
  else
    md.forEachMapping(Number(root), visit, (d) => {
      damaged = true;
      onDamage(d);
    });
  e.flushMappings();
  return opts.repair || !damaged;
}

/** What a 1.1.0 dump here met that the lab cannot print: the block of a key of 2^53 or more. */
interface DumpProbe {
  wideKeyBlock: number | null;
}

function dumpTrees(
  md: MetadataBytes,
  sb: RawSuperblock,
  nrDataBlocks: number | bigint,
  e: Emitter,
  opts: {
    repair: boolean;
    /** The device ids to dump (null: all). */
    selected: ReadonlySet<bigint> | null;
    skipMappings: boolean;
    /** 0.9.0's own walk of the top level (topLevelLeaves0); 1.1.0's dumps that come here keep theirs. */
    walk090: boolean;
    uuid?: string;
    probe?: DumpProbe;
  },
  err: (text: string) => void,
  fail: (message: string) => void,
): number {
  let damaged = false;
  const onDamage = (d: TreeDamage | null): void => {
    damaged = true;
    if (d?.code === 'key-too-large' && opts.probe !== undefined) opts.probe.wideKeyBlock ??= d.block;
  };
  // The details of every leaf that reads: 0.9.0's walk visits the values of each good leaf. Its
  // dd_map is keyed by u64, so an id of 2^53 or more is no damage: it matches only the same id in
  // the mapping tree, and the dump fails only if the mapping tree holds a device it lacks (seed 17
  // case 126: the held details' id 1 became 0xdc000000000001; device 0 is dumped, then device 1 is
  // not in the details, which mapping_tree_emit_visitor throws and the walk reports as damage).
  const details = detailsOf(md, sb.deviceDetailsRoot, opts.walk090, onDamage);
  if (damaged && !opts.repair) {
    fail(`${METADATA_DAMAGE}\n`);
    return 1;
  }
  e.begin(sb, opts.uuid ?? '', nrDataBlocks);
  const top = opts.walk090 ? topLevelLeaves0(md, sb.dataMappingRoot, opts.repair) : null;
  const leaves = top?.leaves ?? topLevelLeaves(md, sb.dataMappingRoot, onDamage);
  if (top === null && damaged && !opts.repair) {
    fail(`${METADATA_DAMAGE}\n`);
    return 1;
  }
  // The devices are those of the mapping tree, leaf by leaf (mapping_tree_emit_visitor). One
  // missing from the details throws out of its top-level leaf: with --repair the rest of that
  // leaf is skipped and the walk goes on (seed 17 case 2720), without it the dump fails.
  for (const leaf of leaves)
    for (const device of leaf) {
      if (opts.selected !== null && !opts.selected.has(device[0])) continue;
      const dd = details.get(device[0]);
      if (dd === undefined) {
        if (opts.repair) break;
        fail(`${METADATA_DAMAGE}\n`);
        return 1;
      }
      if (!dumpDevice(md, device, dd, e, opts, onDamage)) {
        // 0.9.0 reports a damaged bottom tree twice: once without its newline before it closes
        // the device element, and again after it (the order shows when both streams are one).
        err(METADATA_DAMAGE);
        e.endDevice();
        fail(`${METADATA_DAMAGE}\n`);
        return 1;
      }
      e.endDevice();
    }
  if (top?.damaged === true && !opts.repair) {
    fail(`${METADATA_DAMAGE}\n`);
    return 1;
  }
  e.end();
  return 0;
}
