/**
 * thin_dump as thin-provisioning-tools 1.1.0 (debian13) runs it, where the lab knows its words:
 * the open, a file too small, a bad superblock, a missing metadata snapshot, damage, --repair's
 * search for roots (root-search-1x.ts), then the dump through 1.1.0's writer. Words taken from the
 * real 1.1.0 on the damage kinds of docs/metadata-damage.md (src/tools/thin-tools-1x-damage.test.ts).
 *
 * 1.1.0 reads the details and top-level trees whole, then lists the bottom trees' leaves, before
 * it writes anything (`build_metadata`): damage there fails the dump with no output. A damaged
 * node of the details or top-level tree, at its root or below, is named by 1.1.0's walker with
 * its path and key range (`node error: checksum error BAKWATI=, effecting keys [0..158]`); the
 * bottom trees are read by its LeafWalker, and each leaf only while the dump is written, where
 * the mappings before a leaf that does not read are printed, the run still being merged is not,
 * and it fails with that leaf's error (leaf-walk-1x.ts; after the XML's last line on one stream:
 * failPartWay).
 * The superblock overrides are not modelled: those runs return 1, which defineTool refuses by name.
 */
import { strerror } from '../model/errno.js';
import { BLOCK_SIZE, DETAILS_VALUE_SIZE, ROOT_VALUE_SIZE, SB } from '../format/layout.js';
import { MetadataBytes, type RawSuperblock } from './metadata-view.js';
import { walkTree1x } from './btree-walk-1x.js';
import { NOT_MODELLED_STATUS, notModelled1x } from './define-tool.js';
import { FAILURE_1X } from './release.js';
import { treeHasLeafFlagsDiffering1x } from './leaf-flags-1x.js';
import { rootSearchEnding } from './repair-scan-1x.js';
import { type DumpHead1x, hugeKeys1x, type SharedDump, dumpPlan1x, sharedDumpText1x } from './thin-dump-shared-1x.js';
import { findRepairSource } from './root-search-1x.js';
import { PANIC_STATUS, panicText } from './rust-panic-1x.js';
import { openInput1x, type ToolEnv, writeTextFile } from './tool-io.js';

/** thin_dump's options, as either release's command line gives them. */
export interface DumpOptions {
  format: string;
  repair: boolean;
  snap: { block: number | null } | null;
  output: string | null;
  devId: number | null;
  /** Every --dev-id given, in order (1.1.0 dumps each device they name). */
  devIds: number[];
  skipMappings: boolean;
  /** An option of 1.1.0 the lab does not model was given. */
  unmodelled: boolean;
}

/** A status of 1 under 1.1.0: a case the lab has no 1.1.0 words for (refused by name). */
const UNMODELLED = 1;

/** The first block number whose byte offset (`block * 4096`) passes 2^64. */
const WRAPPING_BLOCK_LIMIT = 2n ** 52n;

type Dump090 = (env: ToolEnv, options: DumpOptions, path: string) => number;

export function dumpPath1x(env: ToolEnv, options: DumpOptions, path: string, dump090: Dump090): number {
  const snap = options.snap;
  if (options.unmodelled || (snap !== null && snap.block !== null)) return UNMODELLED;
  const input = openInput1x(env.ctx, path, snap === null);
  const fail = (message: string): number => {
    env.io.err(message);
    return FAILURE_1X;
  };
  if (!input.ok) return fail(input.message);
  if (input.bytes.length < BLOCK_SIZE) return fail('Metadata device/file too small.  Is this binary metadata?\n');
  // The output is created after the input's checks (thin_dump.rs, then dump.rs's File::create);
  // one that cannot be created fails with the io::Error's words (`output error: Is a directory
  // (os error 21)`, src/tools/thin-tools-1x.test.ts compares with the real 1.1.0).
  const unopened = options.output === null ? null : writeTextFile(env.ctx, options.output, '');
  if (unopened !== null) return fail(`output error: ${strerror(unopened)} (os error ${unopened})\n`);
  const md = new MetadataBytes(input.bytes);
  // --repair's search for roots reads the whole device before the superblock.
  const searched = options.repair && snap === null ? rootSearchEnding(md, (t) => env.io.err(t), 'thin_dump') : null;
  if (searched !== null) return searched;
  if (options.repair && snap === null) return dumpRepaired(env, md, options, path, dump090);
  // --repair with -m is not modelled.
  if (options.repair) return UNMODELLED;
  const sb = md.superblock(0);
  if (sb.storedCsum !== sb.computedCsum) return fail('bad checksum in superblock\n');
  if (snap !== null && sb.heldRoot === 0) return fail('no current metadata snap\n');
  // 1.1.0 finds a block at `block * 4096` in wrapping u64 arithmetic, so a held root of 2^52 or
  // more reads another block (seed 17 case 1896: 2^60 + 50 dumps block 50's snapshot, status 0).
  // The lab's block numbers are safe integers: not modelled.
  if (snap !== null && md.u64Big(SB.heldRoot) >= WRAPPING_BLOCK_LIMIT) return UNMODELLED;
  // A held root past the end of a cut device: the read comes up short (Rust's read_exact).
  if (snap !== null && !md.has(sb.heldRoot)) return fail('failed to fill whole buffer\n');
  if (snap !== null) {
    const held = md.superblock(sb.heldRoot);
    if (held.storedCsum !== held.computedCsum) return fail('bad checksum in superblock\n');
  }
  // -m dumps the held snapshot's trees through the same reader (build_metadata), so damage there
  // gets the same words (seed 17 cases 4552 and 4580 of the metadata campaign).
  const dumped = snap === null ? sb : md.superblock(sb.heldRoot);
  const selected = selectedDevice(md, dumped, options.devIds);
  if (selected === 'unmodelled') return UNMODELLED;
  options.devId = selected;
  // A mapping key past 2^53 is no damage to 1.1.0 (u64 keys; seed 17 case 3145 dumps
  // origin_block="17732923532771370"); the lab dumps one that is exactly a double.
  const huge = dumpHugeKeys(env, md, dumped, options);
  if (huge !== null) return huge;
  const damage = damageBeforeOutput(md, dumped, options);
  if (damage === 'unmodelled') return UNMODELLED;
  if (damage !== null) return fail(damage);
  return dumpWhole(env, md, dumped, options, path, dump090);
}

/**
 * thin_dump --repair once the search has found a mapping tree: the dump of what 1.1.0 rebuilds
 * from (root-search-1x.ts), after find_roots' warning. A superblock used as it is dumps as a plain
 * dump does; a rebuilt one is printed as rebuilt, with the trees it names.
 */
function dumpRepaired(env: ToolEnv, md: MetadataBytes, options: DumpOptions, path: string, dump090: Dump090): number {
  // Several --dev-id options, and the superblock overrides, are not modelled with --repair.
  if (new Set(options.devIds).size > 1) return UNMODELLED;
  const source = findRepairSource(md);
  if (source.warning !== null) env.io.err(source.warning);
  if (source.kind === 'unmodelled') {
    env.io.err(notModelled1x('thin_dump', `--repair on ${source.why}`));
    return NOT_MODELLED_STATUS;
  }
  if (source.kind === 'failed') {
    env.io.err(source.message);
    return FAILURE_1X;
  }
  const sb = md.superblock(0);
  const plain = { ...options, repair: false };
  if (source.kind === 'as-is') return dumpHugeKeys(env, md, sb, plain) ?? dumpWhole(env, md, sb, plain, path, dump090);
  // The rebuilt superblock's fields are printed; its trees are read as a plain dump reads them.
  if (options.skipMappings) return UNMODELLED;
  const head = { sb: source.head, nrDataBlocks: source.head.nrDataBlocks };
  if (source.kind === 'on-disk') {
    const trees = { ...sb, dataMappingRoot: source.mappingRoot, deviceDetailsRoot: source.detailsRoot };
    return dumpHugeKeys(env, md, trees, plain, head) ?? dumpWhole(env, md, trees, plain, path, null, head);
  }
  const trees = { ...sb, dataMappingRoot: source.mappingRoot };
  const details = new Map([...source.devices].map(([id, d]) => [id, d.details]));
  const given = { ...head, details };
  return dumpHugeKeys(env, md, trees, plain, given) ?? dumpWhole(env, md, trees, plain, path, null, given);
}

/**
 * The one device that the --dev-id options select (build_metadata_with_dev keeps the devices whose
 * id is among them), or null for all: 'unmodelled' where they name more than one device that is
 * there, a dump of several devices, which the lab does not model.
 */
function selectedDevice(md: MetadataBytes, sb: RawSuperblock, devIds: readonly number[]): number | null | 'unmodelled' {
  const asked = [...new Set(devIds)];
  if (asked.length < 2) return asked[0] ?? null;
  const present = md.deviceRoots(sb.dataMappingRoot, () => undefined);
  const found = asked.filter((id) => present.has(id));
  if (found.length > 1) return 'unmodelled';
  return found[0] ?? asked[0]!;
}

/**
 * A dump whose trees hold a key past 2^53, through 1.1.0's writer where it is exact (hugeKeys1x)
 * and no damage is beside it, else refused by name; null where there is no such key.
 */
function dumpHugeKeys(
  env: ToolEnv,
  md: MetadataBytes,
  sb: RawSuperblock,
  options: DumpOptions,
  head?: DumpHead1x,
): number | null {
  const huge = options.skipMappings ? 'none' : hugeKeys1x(md, sb, options.devId);
  if (huge === 'none') return null;
  if (huge === 'inexact') return UNMODELLED;
  const wide = new MetadataBytes(md.bytes, true);
  if (damageBeforeOutput(wide, sb, options) !== null) return UNMODELLED;
  const plan = dumpPlan1x(wide, sb, options.devId);
  if ('kind' in plan) return UNMODELLED;
  const written = writeDump(env, wide, sb, options, plan, head);
  return written === 'details differ' ? UNMODELLED : written;
}

/**
 * The dump once the details and top-level trees have read: the bottom trees' leaves listed
 * (collect_leaves, which may fail before anything is written), then written through 1.1.0's
 * writer (thin-dump-shared-1x.ts), which may fail part way at a leaf. --skip-mappings, and a
 * dump whose details and top-level trees hold other devices, are 0.9.0's with 1.1.0's XML.
 */
function dumpWhole(
  env: ToolEnv,
  md: MetadataBytes,
  sb: RawSuperblock,
  options: DumpOptions,
  path: string,
  dump090: Dump090 | null,
  head?: DumpHead1x,
): number {
  // 0.9.0's dump stands in below only for the superblock on disk: not for one --repair rebuilt.
  if (options.skipMappings) return dump090 === null ? UNMODELLED : dump090(env, options, path);
  const plan = dumpPlan1x(md, sb, options.devId);
  if ('kind' in plan) {
    if (plan.kind === 'unmodelled') return UNMODELLED;
    env.io.err(plan.kind === 'panic' ? EMPTY_ROOT_PANIC : `${plan.message}\n`);
    return plan.kind === 'panic' ? PANIC_STATUS : FAILURE_1X;
  }
  const written = writeDump(env, md, sb, options, plan, head);
  if (written !== 'details differ') return written;
  if (dump090 === null) return UNMODELLED;
  // 1.1.0 pairs the two trees' entries by position (devices_iter zips them), which the lab does
  // not model; 0.9.0's dump stands in only where no leaf is shared or damaged, as before.
  return plan.plan.defs.length === 0 && !bottomTreesDamaged(md, sb, options) ? dump090(env, options, path) : UNMODELLED;
}

/** Whether the lab's walker finds damage in the dumped devices' bottom trees. */
function bottomTreesDamaged(md: MetadataBytes, sb: RawSuperblock, options: DumpOptions): boolean {
  let damaged = false;
  for (const [id, root] of md.deviceRoots(sb.dataMappingRoot, () => undefined)) {
    if (options.devId !== null && id !== options.devId) continue;
    md.forEachMapping(
      root,
      () => undefined,
      () => {
        damaged = true;
      },
    );
  }
  return damaged;
}

/**
 * The dump through 1.1.0's writer, to stdout or -o: whole, or up to a leaf that does not read
 * and then its error; 'details differ' where the details and top-level trees hold other devices.
 */
function writeDump(
  env: ToolEnv,
  md: MetadataBytes,
  sb: RawSuperblock,
  options: DumpOptions,
  plan: SharedDump,
  head?: DumpHead1x,
): number | 'details differ' {
  if (options.format !== 'xml' && options.format !== 'human_readable') return UNMODELLED;
  const dumped = sharedDumpText1x(md, sb, plan, options.format, head);
  if (dumped === null) return 'details differ';
  if (dumped.failure !== null) return failPartWay(env, options, dumped.text, `${dumped.failure}\n`);
  if (options.output !== null) writeTextFile(env.ctx, options.output, dumped.text);
  else env.io.out(dumped.text);
  return 0;
}

/** The panic of 1.1.0's leaf walker on a bottom-tree root it reads as an internal node with no entries. */
const EMPTY_ROOT_PANIC = panicText(
  'src/pdata/btree_leaf_walker.rs:190:57',
  'index out of bounds: the len is 0 but the index is 0',
);

const differsIn = (md: MetadataBytes, root: number, valueSize: number): boolean =>
  treeHasLeafFlagsDiffering1x(md, root, valueSize);

/**
 * Damage 1.1.0 meets in the details and top-level trees before it writes anything: its message,
 * 'unmodelled' for damage the lab has no words for, or null (the bottom trees are read next).
 */
function damageBeforeOutput(md: MetadataBytes, sb: RawSuperblock, options: DumpOptions): string | 'unmodelled' | null {
  // build_metadata reads the details tree, then the top level, whole through 1.1.0's walker
  // (btree_to_map from the superblock, non-fatal node problems let pass): damage at a root or
  // below it is worded by the walker, `node error: checksum error BAKWATI=, effecting keys [0..158]`.
  // --skip-mappings reads the details tree alone (build_metadata_without_mappings).
  const trees: [number, number][] = [[sb.deviceDetailsRoot, DETAILS_VALUE_SIZE]];
  if (!options.skipMappings) trees.push([sb.dataMappingRoot, ROOT_VALUE_SIZE]);
  for (const [root, valueSize] of trees) {
    const walked = walkTree1x(md, root, valueSize, () => undefined, { path: [0], ignoreNonFatal: true });
    if (!walked.ok) return `${walked.error}\n`;
  }
  if (differsIn(md, sb.deviceDetailsRoot, DETAILS_VALUE_SIZE) || differsIn(md, sb.dataMappingRoot, ROOT_VALUE_SIZE))
    return 'unmodelled';
  return null;
}

/**
 * A dump that fails part way: what it wrote, then its error. 1.1.0 writes through a BufWriter
 * that is dropped, and so flushed whole, before the error is printed; to a file (-o) that is all
 * of it. Its stdout, though, is Rust's line-buffered Stdout, which passes on only what ends with a
 * newline and keeps the rest until the process exits: on one stream (2>&1) the XML's last line,
 * which 1.1.0 leaves without a newline, comes after the error (checked against the real 1.1.0 on
 * mapping-bottom-garbage-leaf2 and the tools' mappingLeaf image). human_readable ends every line,
 * so nothing of it follows the error.
 */
function failPartWay(env: ToolEnv, options: DumpOptions, text: string, error: string): number {
  const written = options.format === 'xml' ? text.replace(/\n$/, '') : text;
  if (options.output !== null) {
    writeTextFile(env.ctx, options.output, written);
    env.io.err(error);
    return FAILURE_1X;
  }
  const lineEnd = written.lastIndexOf('\n') + 1;
  env.io.out(written.slice(0, lineEnd));
  env.io.err(error);
  if (lineEnd < written.length) env.io.out(written.slice(lineEnd));
  return FAILURE_1X;
}
