/**
 * thin_check as thin-provisioning-tools 1.1.0 (debian13) runs it, on the same metadata walk as
 * 0.9.0's (thin-check.ts) but with 1.1.0's words and rules, taken from the real binary on the
 * tools' test images (src/tools/thin-tools-1x.test.ts):
 *
 *   TRANSACTION_ID=<n>             (stdout)
 *   METADATA_FREE_BLOCKS=<n>       (stdout; the space map root's blocks minus its allocated ones)
 *   Checking thin metadata         (stderr, and so on)
 *   device details tree
 *   mapping tree
 *   data space map
 *   metadata space map
 *
 * The difference that matters in the field: 1.1.0 fails a leaked block (counted by a space map,
 * used by nothing) with status 64 and "... space map contains leaks", where 0.9.0 passed it
 * (thin-provisioning-tools#244, #265): LVM then refuses to activate the pool. Damage is reported
 * in 1.1.0's order and words (src/thin/check.rs; every kind of docs/metadata-damage.md is compared
 * with the real binary in test/metadata-damage-1x.test.ts); damage 1.1.0 words in ways the lab has
 * not seen returns 1, which defineTool refuses by name.
 */
import {
  BITMAP_CSUM_XOR,
  BLOCK_SIZE,
  ENTRIES_PER_BITMAP,
  INDEX_CSUM_XOR,
  DETAILS_VALUE_SIZE,
  INDEX_ENTRY_SIZE,
  NEEDS_CHECK_FLAG,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
  SB,
  SM_ROOT,
} from '../format/layout.js';
import { superblockWithNeedsCheck } from '../format/metadata-writer.js';
import { addSpaceMapReferences, countTreeReferences } from './metadata-counter.js';
import { type DetailsValue, MetadataBytes, type RawSuperblock } from './metadata-view.js';
import { treeHasLeafFlagsDiffering1x as differsIn } from './leaf-flags-1x.js';
import { type LeafVisit1x, walkTree1x } from './btree-walk-1x.js';
import { checkMappings1x, type MappingCheck1x, MappingCheckUnmodelled } from './mapping-check-1x.js';
import { FAILURE_1X } from './release.js';
import { looksLikeXml1x, openInput1x, type ToolEnv, writeMetadataBytes, XML_INPUT_1X } from './tool-io.js';

/**
 * The block 1.1.0 reads the held superblock from: it finds a block at `block * 4096` in wrapping
 * u64 arithmetic, so a held root of 2^52 or more reads the block of its low 52 bits (seed 17 case
 * 7630: a root with bit 55 set reads block 50, the snapshot's own, and only inc_superblock then
 * fails it). A root below that past the device's end reads nothing.
 */
function heldReadAt(md: MetadataBytes): number {
  return Number(md.u64Big(SB.heldRoot) & (2n ** 52n - 1n));
}

/** The options of thin_check that 1.1.0 acts on. */
export interface CheckFlags1x {
  readonly quiet: boolean;
  readonly metadataSnap: boolean;
  readonly clearNeedsCheck: boolean;
  readonly ignoreNonFatal: boolean;
  readonly skipMappings: boolean;
  readonly superBlockOnly: boolean;
  /** --auto-repair, --override-mapping-root, --override-details-root: what the lab does not model. */
  readonly unmodelled: boolean;
  /**
   * How often the hidden -v was given (its log level, Warning + v): 1 adds the check's info lines,
   * 2 or more its debug lines, which time each step and are refused by name.
   */
  readonly verbose?: number;
}

/** A status of 1 under 1.1.0: a case the lab has no 1.1.0 words for (defineTool refuses it by name). */
const UNMODELLED = 1;

/** The most data blocks whose counts the lab keeps (2^28: a 16 TiB pool of 64 KiB blocks, 1 GiB of counts). */
const MODELLED_DATA_BLOCKS = 2 ** 28;

/** Runs thin_check 1.1.0 on `path`; the exit status. */
export function check1x(
  env: ToolEnv,
  path: string,
  flags: CheckFlags1x,
  fatalSink: (t: string) => void = (t) => env.io.err(t),
): number {
  const err = (t: string): void => {
    if (!flags.quiet) env.io.err(t);
  };
  // The error that ends the check is what to_exit_code prints, apart from the report's lines:
  // thin_trim runs the check and drops it (it prints its own line instead).
  const fatal = (t: string): void => {
    if (!flags.quiet) fatalSink(t);
  };
  const input = openInput1x(env.ctx, path, !flags.metadataSnap);
  if (!input.ok) {
    fatal(input.message);
    return FAILURE_1X;
  }
  if (input.bytes.length < 4096) {
    fatal('Metadata device/file too small.  Is this binary metadata?\n');
    return FAILURE_1X;
  }
  if (looksLikeXml1x(input.bytes)) {
    fatal(XML_INPUT_1X);
    return FAILURE_1X;
  }
  // -vv adds debug lines with durations the lab cannot give; the checks of the file above come
  // before any (seen with `thin_check -vv` on a missing and a tiny file).
  if ((flags.verbose ?? 0) > 1) return UNMODELLED;
  // 1.1.0's keys are u64s: a mapping at a virtual block past 2^53 is no damage to it (seed 17
  // case 3145: device 2's key 17732923532771370 passes). thin_check prints no key of a mapping.
  const md = new MetadataBytes(input.bytes, true);
  const sb = md.superblock(0);
  if (sb.storedCsum !== sb.computedCsum) {
    fatal('bad checksum in superblock\n');
    return FAILURE_1X;
  }
  if (flags.metadataSnap && sb.heldRoot === 0) {
    fatal('no current metadata snap\n');
    return FAILURE_1X;
  }
  // A held root past the end of a cut device: the read comes up short (Rust's read_exact).
  if (flags.metadataSnap && !md.has(heldReadAt(md))) {
    fatal('metadata snap: failed to fill whole buffer\n');
    return FAILURE_1X;
  }
  if (flags.metadataSnap) {
    const held = md.superblock(heldReadAt(md));
    if (held.storedCsum !== held.computedCsum) {
      fatal('metadata snap: bad checksum in superblock\n');
      return FAILURE_1X;
    }
  }
  if (!flags.quiet)
    env.io.out(`TRANSACTION_ID=${sb.transactionId}\nMETADATA_FREE_BLOCKS=${metadataFreeBlocks1x(md)}\n`);
  if (flags.superBlockOnly) return 0;
  if (flags.unmodelled) return UNMODELLED;
  const status = checkTrees(md, flags, err, fatal);
  if (status !== 0 || (sb.flags & NEEDS_CHECK_FLAG) === 0) return status;
  if (!flags.clearNeedsCheck) {
    // --skip-mappings clears needs_check by itself (check.rs clear_needs_check_flag) through the
    // read-only open of a plain check: the write fails with EBADF. The reliability campaign found
    // that images without the flag pass (exit 0), as the real 1.1.0 does.
    if (!flags.skipMappings) return 0;
    fatal('Bad file descriptor (os error 9)\n');
    return FAILURE_1X;
  }
  writeMetadataBytes(env.ctx, path, superblockWithNeedsCheck(input.bytes, false));
  err('Cleared needs_check flag\n');
  return 0;
}

/** What reading a whole tree gave: nothing wrong, 1.1.0's error, or damage the lab has no words for. */
type TreeRead = { ok: true } | { ok: false; message: string | null };

/**
 * A whole tree read into a map from the superblock, as 1.1.0's `btree_to_map_with_sm` reads it
 * (path [0]): its walker's words for damage at the root or below it (`node error: checksum error
 * BAEcMg==, effecting keys [108..209]`), each node problem checked as it checks them
 * (btree-walk-1x.ts; --ignore-non-fatal-errors lets a short node pass).
 */
function readTree(
  md: MetadataBytes,
  root: number,
  valueSize: number,
  flags: CheckFlags1x,
  visit: LeafVisit1x = () => undefined,
): TreeRead {
  // A details leaf whose flags say internal: 1.1.0 takes its 24-byte values for child pointers
  // and counts them in the space map it shares with the check's other walks, which the lab's
  // walker does not follow (the real one then passed the tree and failed on "Inconsistency
  // between the details tree and the mapping tree", where the lab read a child). Refused by name.
  // A data index node let pass by --ignore-non-fatal-errors: 1.1.0 then counts the bitmaps it
  // reaches otherwise than the lab (132 leaked metadata blocks where the lab counted 134, on a
  // second index leaf with one entry). Refused by name too.
  let misread = false;
  const walked = walkTree1x(md, root, valueSize, visit, {
    path: [0],
    ignoreNonFatal: flags.ignoreNonFatal,
    onInternal: (_block, claimed) => {
      if (valueSize === DETAILS_VALUE_SIZE && claimed !== ROOT_VALUE_SIZE) misread = true;
    },
    onNonFatal: () => {
      if (valueSize === INDEX_ENTRY_SIZE) misread = true;
    },
  });
  if (misread) return { ok: false, message: null };
  return walked.ok ? { ok: true } : { ok: false, message: walked.error };
}

type Sink = (t: string) => void;

function checkTrees(md: MetadataBytes, flags: CheckFlags1x, err: Sink, fatal: Sink): number {
  const sb = md.superblock(0);
  if (flags.metadataSnap) return checkHeldOnly(md, md.superblock(heldReadAt(md)), flags, err, fatal);
  const treeFailed = (context: string, read: TreeRead): number => {
    if (read.ok || read.message === null) return UNMODELLED;
    fatal(`${context}: ${read.message}\n`);
    return FAILURE_1X;
  };
  err('Checking thin metadata\n');
  // 1.1.0 reads the top level of the mapping tree first, to size its in-core space map.
  // The values come from 1.1.0's walk: with --ignore-non-fatal-errors a node whose max_entries
  // is not a multiple of 3 passes, and its values are read where that max_entries puts them.
  const roots = new Map<number, bigint>();
  const top = readTree(md, sb.dataMappingRoot, ROOT_VALUE_SIZE, flags, (k, v) => roots.set(Number(k), md.u64Big(v)));
  if (!top.ok) return treeFailed('mapping top-level', top);
  // And the held snapshot's top level too, when its superblock reads (create_metadata_sm): the
  // reliability campaign found damage there failing --skip-mappings on the real 1.1.0 (seed 17,
  // case 13 of fixtures/reliability/).
  const heldTop = heldTopLevel(md, sb, flags);
  if (heldTop !== null && !heldTop.ok) return treeFailed('mapping top-level', heldTop);
  // Then it counts the superblock and the held snapshot's in the new space map (inc_superblock),
  // which refuses a block past the end of a cut device (seed 17 case 90 of fixtures/reliability/).
  if (sb.heldRoot !== 0 && !md.has(sb.heldRoot)) {
    fatal('block out of bounds\n');
    return FAILURE_1X;
  }
  if (differsIn(md, sb.dataMappingRoot, ROOT_VALUE_SIZE) || differsIn(md, sb.deviceDetailsRoot, DETAILS_VALUE_SIZE))
    return UNMODELLED;
  err('device details tree\n');
  const details = new Map<number, DetailsValue>();
  const detailsRead = readTree(md, sb.deviceDetailsRoot, DETAILS_VALUE_SIZE, flags, (k, v) =>
    details.set(Number(k), detailsAt(md, v)),
  );
  if (!detailsRead.ok) return treeFailed('device details tree', detailsRead);
  if ([...details.keys()].join() !== [...roots.keys()].join()) {
    fatal('Inconsistency between the details tree and the mapping tree\n');
    return FAILURE_1X;
  }
  // --skip-mappings stops after the details tree; check1x then clears needs_check as check.rs does.
  if (flags.skipMappings) return 0;
  err('mapping tree\n');
  if (dataSpaceMapUnmodelled(md)) return UNMODELLED;
  const live = [...roots].map(([id, root]) => ({ id, root, details: details.get(id)! }));
  return checkLiveMappings(md, live, flags, err, fatal);
}

/**
 * The mapping check of a plain thin_check: the live devices and the held snapshot's own, then the
 * space maps. The metadata space map has counted the superblocks and the nodes of the details and
 * top-level trees by then (get_thins_from_superblock reads them again with it), so a bottom root
 * or child that is one of those blocks is not read again.
 */
function checkLiveMappings(
  md: MetadataBytes,
  live: readonly CheckedDevice[],
  flags: CheckFlags1x,
  err: Sink,
  fatal: Sink,
): number {
  const sb = md.superblock(0);
  const seen = new Set<number>([0]);
  if (sb.heldRoot !== 0) seen.add(sb.heldRoot);
  const start = { path: [0], ignoreNonFatal: flags.ignoreNonFatal, seen };
  walkTree1x(md, sb.deviceDetailsRoot, DETAILS_VALUE_SIZE, () => undefined, start);
  walkTree1x(md, sb.dataMappingRoot, ROOT_VALUE_SIZE, () => undefined, start);
  const held = heldDevices(md, sb, new Map(live.map((d) => [d.id, d.root])), flags, seen);
  if (held === null) return UNMODELLED;
  const snap = held.ok ? held.devices : [];
  const allRoots = [...live.map((d) => d.root), ...(held.ok ? held.roots : [])];
  // create_data_sm: a space map that counts to one for a single root, else to the u8 or u16 its root count fits.
  const cap =
    allRoots.length <= 1 ? 1 : allRoots.length <= 0xff ? 0xff : allRoots.length <= 0xffff ? 0xffff : 2 ** 32 - 1;
  const checked = runMappingCheck(md, { live, snap, allRoots, seen, cap }, flags, err, fatal);
  if (typeof checked === 'number') return checked;
  // A held snapshot that cannot be read fails here, after the live devices' mappings.
  if (!held.ok) {
    fatal(`metadata snap: ${held.message}\n`);
    return FAILURE_1X;
  }
  return checkSpaceMaps(md, checked.dataCounts, flags, err, fatal);
}

/** The devices one mapping check covers, and the space maps it counts in. */
interface MappingRun {
  readonly live: readonly CheckedDevice[];
  readonly snap: readonly CheckedDevice[];
  /** all_roots: the live devices' roots, then every root the held snapshot's top level gave. */
  readonly allRoots: readonly bigint[];
  readonly seen: Set<number> | null;
  /** The data space map's largest count. */
  readonly cap: number;
}

/**
 * check_mappings_bottom_level and check_mapped_blocks, for the live devices then the held
 * snapshot's own: the mapping check's result, or the exit status where it ends the check.
 */
function runMappingCheck(
  md: MetadataBytes,
  run: MappingRun,
  flags: CheckFlags1x,
  err: Sink,
  fatal: Sink,
): MappingCheck1x | number {
  const nrSnap = run.snap.length;
  if ((flags.verbose ?? 0) > 0)
    err(
      `number of devices to check: ${run.live.length + nrSnap}${nrSnap > 0 ? ` (${nrSnap} exclusive in metadata snapshot)` : ''}\n`,
    );
  let result: MappingCheck1x;
  try {
    const nrData = md.superblock(0).dataSm.nrBlocks;
    result = checkMappings1x(md, run.allRoots, run.seen, flags.ignoreNonFatal, nrData, run.cap);
  } catch (e) {
    if (e instanceof MappingCheckUnmodelled) return UNMODELLED;
    throw e;
  }
  if ((flags.verbose ?? 0) > 0) err(`nr internal nodes: ${result.nrInternal}\nnr leaves: ${result.nrLeaves}\n`);
  if (result.nodeErrors.size > 0) {
    const words = [...result.nodeErrors.values()];
    err(`${words.length} nodes in data mapping tree contain errors\n`);
    const count = (w: string): number => words.filter((x) => x === w).length;
    err(`${count('io error')} io errors, ${count('checksum error')} checksum errors\n`);
  }
  // The live devices are checked first, and a failure among them ends the check there: the held
  // snapshot's own devices are then not reported (check.rs calls check_mapped_blocks twice, with
  // `?`; seed 17 cases 4580, 4582, 4595 and 4598 of the metadata campaign).
  for (const group of [run.live, run.snap]) {
    const failed = group.map((d) => deviceLine(result, d)).filter((l) => l !== null);
    if (failed.length === 0) continue;
    err(failed.join(''));
    fatal('Check of mappings failed\n');
    return FAILURE_1X;
  }
  return result;
}

/** check_mapped_blocks' line for one device, or null where its mappings are as its details say. */
function deviceLine(result: MappingCheck1x, d: CheckedDevice): string | null {
  const expected = d.details.mappedBlocks;
  const sum = result.summaries.get(Number(d.root & 0xffffffffn));
  if (sum === undefined) return `Thin device ${d.id} is missing root with ${expected} mappings\n`;
  if (sum.nrErrors > 0)
    return `Thin device ${d.id} has ${sum.nrErrors}${sum.nrErrors === 255 ? '+' : ''} errors and is missing ${Math.max(0, expected - sum.nrMappings)} mappings, while expected ${expected}\n`;
  if (sum.nrMappings !== expected)
    return `Thin device ${d.id} has unexpected number of mappings, expected ${expected}, actual ${sum.nrMappings}\n`;
  return null;
}

/**
 * 1.1.0 allocates its data space map after the details tree (create_data_sm), by the live
 * superblock's count, -m too; a damaged count aborts it (`memory allocation of N bytes failed`,
 * 134, seed 17 case 1549 with and without -m). Where allocation fails depends on the host's
 * memory: not modelled.
 */
function dataSpaceMapUnmodelled(md: MetadataBytes): boolean {
  return md.superblock(0).dataSm.nrBlocks > MODELLED_DATA_BLOCKS;
}

/**
 * thin_check -m: the held snapshot's devices alone. 1.1.0 then reads no live tree and no top
 * level beforehand (its space map is a RestrictedSpaceMap, not create_metadata_sm's); a snapshot
 * whose trees do not read, or hold other devices, is "inconsistent device ids", reported after
 * the (empty) mapping check (check.rs get_thins_from_metadata_snap; seed 17 cases 4545, 4552,
 * 4567, 4578, 4590 and 4597 of the metadata campaign). It stops before the space maps.
 */
function checkHeldOnly(md: MetadataBytes, held: RawSuperblock, flags: CheckFlags1x, err: Sink, fatal: Sink): number {
  err('Checking thin metadata\n');
  // inc_superblock counts the held root itself, which a root read through a wrapping offset is
  // not within the device (seed 17 case 7630).
  if (!md.has(md.superblock(0).heldRoot)) {
    fatal('block out of bounds\n');
    return FAILURE_1X;
  }
  err('device details tree\n');
  const snap = snapshotDevices(md, held, flags);
  if (snap === null) return UNMODELLED;
  if (flags.skipMappings) return 0;
  err('mapping tree\n');
  if (dataSpaceMapUnmodelled(md)) return UNMODELLED;
  const devices = snap.ok ? [...snap.roots].map(([id, root]) => ({ id, root, details: snap.details.get(id)! })) : [];
  // Every device checked is the snapshot's, and its space map counts to one: nothing is seen twice.
  const run = { live: [], snap: devices, allRoots: devices.map((d) => d.root), seen: null, cap: 1 };
  const checked = runMappingCheck(md, run, flags, err, fatal);
  if (typeof checked === 'number') return checked;
  if (snap.ok) return 0;
  fatal(`metadata snap: ${snap.message}\n`);
  return FAILURE_1X;
}

/** A device's details as a details leaf holds them at byte `v`. */
function detailsAt(md: MetadataBytes, v: number): DetailsValue {
  return {
    mappedBlocks: md.pointer(v),
    transactionId: md.u64Big(v + 8),
    creationTime: md.u32(v + 16),
    snapshottedTime: md.u32(v + 20),
  };
}

/** The held snapshot's top-level tree read whole, or null when there is none or its superblock does not read. */
function heldTopLevel(md: MetadataBytes, sb: RawSuperblock, flags: CheckFlags1x): TreeRead | null {
  if (sb.heldRoot === 0 || !md.has(heldReadAt(md))) return null;
  const held = md.superblock(heldReadAt(md));
  if (held.storedCsum !== held.computedCsum) return null;
  // A node 1.1.0 reads as internal where the lab reads a leaf: its words are not modelled.
  if (differsIn(md, held.dataMappingRoot, ROOT_VALUE_SIZE) || differsIn(md, held.deviceDetailsRoot, DETAILS_VALUE_SIZE))
    return { ok: false, message: null };
  return readTree(md, held.dataMappingRoot, ROOT_VALUE_SIZE, flags);
}

/** A thin device as the mapping check sees it: its id, the root of its mappings, its details. */
interface CheckedDevice {
  readonly id: number;
  /** The root as the top level holds it, a u64: 1.1.0 follows its low 32 bits (`*root as u32`). */
  readonly root: bigint;
  readonly details: DetailsValue;
}

/** A held snapshot's trees as 1.1.0 reads them, or why they fail it (null: damage the lab has no words for). */
type SnapshotRead =
  | { ok: true; roots: Map<number, bigint>; details: Map<number, DetailsValue> }
  | { ok: false; message: string }
  | null;

/**
 * The held snapshot's top-level and details trees, read whole. 1.1.0 first asks whether they hold
 * the same devices (is_superblock_consistent: both read to key sets, any error or difference
 * failing it as "inconsistent device ids").
 */
function snapshotDevices(md: MetadataBytes, held: RawSuperblock, flags: CheckFlags1x): SnapshotRead {
  if (differsIn(md, held.dataMappingRoot, ROOT_VALUE_SIZE) || differsIn(md, held.deviceDetailsRoot, DETAILS_VALUE_SIZE))
    return null;
  const roots = new Map<number, bigint>();
  const details = new Map<number, DetailsValue>();
  const reads = [
    readTree(md, held.dataMappingRoot, ROOT_VALUE_SIZE, flags, (k, v) => roots.set(Number(k), md.u64Big(v))),
    readTree(md, held.deviceDetailsRoot, DETAILS_VALUE_SIZE, flags, (k, v) => details.set(Number(k), detailsAt(md, v))),
  ];
  if (reads.some((r) => !r.ok && r.message === null)) return null;
  const inconsistent = { ok: false as const, message: 'inconsistent device ids' };
  if (reads.some((r) => !r.ok)) return inconsistent;
  if ([...details.keys()].join() !== [...roots.keys()].join()) return inconsistent;
  return { ok: true, roots, details };
}

/**
 * The devices of the held metadata snapshot that 1.1.0 checks besides the live ones: those whose
 * root differs from the live device's (`roots_excl`), and every root its top level gave (for
 * all_roots). Its trees are read again with the metadata space map the live trees were counted
 * in, so only the nodes not shared with those give values. Not ok when the snapshot's superblock
 * has a bad checksum or its trees are inconsistent; null for damage the lab has no words for.
 */
function heldDevices(
  md: MetadataBytes,
  sb: RawSuperblock,
  liveRoots: ReadonlyMap<number, bigint>,
  flags: CheckFlags1x,
  seen: Set<number>,
): { ok: true; devices: CheckedDevice[]; roots: bigint[] } | { ok: false; message: string } | null {
  if (sb.heldRoot === 0) return { ok: true, devices: [], roots: [] };
  if (!md.has(sb.heldRoot)) return null;
  const held = md.superblock(sb.heldRoot);
  if (held.storedCsum !== held.computedCsum) return { ok: false, message: 'bad checksum in superblock' };
  const snap = snapshotDevices(md, held, flags);
  if (snap === null || !snap.ok) return snap;
  const details = new Map<number, DetailsValue>();
  const roots = new Map<number, bigint>();
  const start = { path: [0], ignoreNonFatal: flags.ignoreNonFatal, seen };
  const readDetails = walkTree1x(
    md,
    held.deviceDetailsRoot,
    DETAILS_VALUE_SIZE,
    (k, v) => details.set(Number(k), detailsAt(md, v)),
    start,
  );
  if (!readDetails.ok) return null;
  if (!walkTree1x(md, held.dataMappingRoot, ROOT_VALUE_SIZE, (k, v) => roots.set(Number(k), md.u64Big(v)), start).ok)
    return null;
  const exclusive = [...roots].filter(([id, root]) => liveRoots.get(id) !== root);
  const ids = new Set(exclusive.map(([id]) => id));
  if ([...details.keys()].filter((id) => ids.has(id)).join() !== [...ids].join())
    return { ok: false, message: 'unexpected thin ids' };
  const devices = exclusive.map(([id, root]) => ({ id, root, details: details.get(id)! }));
  return { ok: true, devices, roots: [...roots.values()] };
}

/** One space map's comparison: its fatal lines, its leaks, and whether 1.1.0's words are known. */
interface Comparison {
  readonly lines: string[];
  readonly leaks: number;
  readonly failed: boolean;
}

/**
 * 1.1.0's `check_low_ref_counts`: each bitmap the index names is read whatever it holds (a block
 * that is no bitmap is reported, then read as one), and each 2-bit entry compared with the
 * references found: a count of 1 where nothing refers is a leak (non-fatal), any other difference
 * is fatal, and an overflow entry (3) is fatal only where fewer than 3 references exist. The
 * entries compared stop at `nrBlocks`, the size of the in-core space map of expected counts: for
 * the metadata that is the device's size, not the superblock's count (seed 17 case 6356, a cut
 * device of 1,004 blocks: 1.1.0 compares none past block 1003). Every bitmap is checked for its
 * checksum, even one wholly past that end.
 */
function compareBitmaps(
  md: MetadataBytes,
  kind: 'data' | 'metadata',
  bitmaps: readonly number[],
  nrBlocks: number,
  expected: (b: number) => number,
): Comparison | null {
  const lines: string[] = [];
  let leaks = 0;
  let failed = false;
  const entries = new Uint32Array(ENTRIES_PER_BITMAP);
  for (const [i, bitmap] of bitmaps.entries()) {
    const first = i * ENTRIES_PER_BITMAP;
    const sums = md.checksums(bitmap, BITMAP_CSUM_XOR);
    if (sums === null) return null;
    if (sums.stored !== sums.computed) {
      lines.push(`Index entry points to block (${bitmap}) that isn't a bitmap\n`);
      failed = true;
    }
    const n = Math.max(0, Math.min(ENTRIES_PER_BITMAP, nrBlocks - first));
    md.bitmapEntries(bitmap, n, entries, 0);
    for (let e = 0; e < n; e++) {
      const b = first + e;
      const actual = entries[e]!;
      const want = expected(b);
      if (actual === 3) {
        if (want >= 3) continue;
        lines.push(`Bad reference count for ${kind} block ${b}.  Expected ${want}, but space map says it's >= 3.\n`);
        failed = true;
      } else if (actual === 1 && want === 0) leaks++;
      else if (actual !== want) {
        lines.push(
          `Bad reference count for ${kind} block ${b}.  Expected ${want}, but space map contains ${actual}.\n`,
        );
        failed = true;
      }
    }
  }
  if (leaks > 0) lines.push(`${leaks} ${kind} blocks have leaked.\n`);
  return { lines, leaks, failed };
}

/** Where a metadata space map index block keeps its own block number (struct MetadataIndex). */
const INDEX_BLOCKNR_OFFSET = 8;

/**
 * A space map's overflow tree (its reference counts of 3 or more) walked by 1.1.0's walker: its
 * error, or null. 1.1.0 reads a node as
 * a leaf only when its flags are exactly LEAF: an empty overflow root with other bits set beside
 * it is an internal node without keys to it (seed 17 case 4330: `context error: split_key_ranges:
 * no keys present AgEF`), where the lab's walker read an empty leaf.
 */
function walkOverflowTree(md: MetadataBytes, root: number, ignoreNonFatal: boolean): string | null {
  const walked = walkTree1x(md, root, REFCOUNT_VALUE_SIZE, () => undefined, { path: [0], ignoreNonFatal });
  return walked.ok ? null : walked.error;
}

/**
 * The overflow tree (the counts of 3 or more) walked with 1.1.0's OverflowChecker: a leaf whose
 * count differs from the references found fails with its first such entry, as a value error
 * naming the leaf's path and keys (`value error: Bad reference count for data block 505.
 * Expected 3, but space map contains 4. BAEHMQ==, effecting keys [301..]`, seed 17 case 5065), and
 * the walk goes on past it. The walk's error, null, or 'unmodelled' for a key past the in-core
 * space map, on which 1.1.0 panics (`self.sm.get(k).unwrap()`).
 */
function checkOverflow(
  md: MetadataBytes,
  root: number,
  ignoreNonFatal: boolean,
  kind: 'data' | 'metadata',
  nrBlocks: number,
  expected: (b: number) => number,
): string | null | 'unmodelled' {
  let panics = false;
  const checkLeaf = (keys: readonly bigint[], valuesAt: number): string | null => {
    for (const [i, k] of keys.entries()) {
      if (k >= BigInt(nrBlocks)) {
        panics = true;
        return null;
      }
      const want = expected(Number(k));
      const actual = md.u32(valuesAt + i * REFCOUNT_VALUE_SIZE);
      if (actual !== want)
        return `Bad reference count for ${kind} block ${k}.  Expected ${want}, but space map contains ${actual}.`;
    }
    return null;
  };
  const walked = walkTree1x(md, root, REFCOUNT_VALUE_SIZE, () => undefined, { path: [0], ignoreNonFatal, checkLeaf });
  if (panics) return 'unmodelled';
  return walked.ok ? null : walked.error;
}

/**
 * The data space map, then the metadata space map, each against the references made to its
 * blocks (1.1.0 compares the data space map too, which 0.9.0 never did: a data leak passes 0.9.0
 * and fails 1.1.0). A fatal difference ends the check at that space map; leaks fail it at the
 * end, the data space map's first, unless --ignore-non-fatal-errors.
 */
function checkSpaceMaps(
  md: MetadataBytes,
  references: Uint32Array,
  flags: CheckFlags1x,
  err: Sink,
  fatal: Sink,
): number {
  const sb = md.superblock(0);
  err('data space map\n');
  const bitmaps: number[] = [];
  const index = readTree(md, sb.dataSm.bitmapRoot, INDEX_ENTRY_SIZE, flags, (_i, v) => bitmaps.push(md.pointer(v)));
  if (!index.ok) {
    if (index.message === null) return UNMODELLED;
    fatal(`data space map: ${index.message}\n`);
    return FAILURE_1X;
  }
  const dataRefs = (b: number): number => references[b] ?? 0;
  const nrData = sb.dataSm.nrBlocks;
  const dataOverflow = checkOverflow(md, sb.dataSm.refCountRoot, flags.ignoreNonFatal, 'data', nrData, dataRefs);
  if (dataOverflow === 'unmodelled') return UNMODELLED;
  if (dataOverflow !== null) {
    fatal(`data space map: ${dataOverflow}\n`);
    return FAILURE_1X;
  }
  const data = compareBitmaps(md, 'data', bitmaps, sb.dataSm.nrBlocks, dataRefs);
  if (data === null) return UNMODELLED;
  err(data.lines.join(''));
  if (data.failed) {
    fatal('data space map: Fatal errors in data space map\n');
    return FAILURE_1X;
  }
  err('metadata space map\n');
  const trees = countTreeReferences(md, sb);
  if (!trees.ok) return UNMODELLED;
  // count_btree_blocks walks the overflow tree first, non-fatal problems failing it too.
  const metaOverflow = walkOverflowTree(md, sb.metadataSm.refCountRoot, false);
  if (metaOverflow !== null) {
    fatal(`metadata space map: ${metaOverflow}\n`);
    return FAILURE_1X;
  }
  if (md.blockProblem(sb.metadataSm.bitmapRoot, INDEX_CSUM_XOR, 'index') !== null) {
    fatal('metadata space map: bad checksum in index block\n');
    return FAILURE_1X;
  }
  // load_metadata_index then checks the index block's own number (seed 17 case 3954).
  if (md.u64Big(sb.metadataSm.bitmapRoot * BLOCK_SIZE + INDEX_BLOCKNR_OFFSET) !== BigInt(sb.metadataSm.bitmapRoot)) {
    fatal('metadata space map: blocknr mismatch\n');
    return FAILURE_1X;
  }
  const expected = addSpaceMapReferences(md, sb, trees.counts);
  const metaRefs = (b: number): number => expected.get(b) ?? 0;
  const metaCounts = checkOverflow(
    md,
    sb.metadataSm.refCountRoot,
    flags.ignoreNonFatal,
    'metadata',
    md.nrBlocks,
    metaRefs,
  );
  if (metaCounts === 'unmodelled') return UNMODELLED;
  if (metaCounts !== null) {
    fatal(`metadata space map: ${metaCounts}\n`);
    return FAILURE_1X;
  }
  const indexAt = sb.metadataSm.bitmapRoot * BLOCK_SIZE;
  const metaBitmaps: number[] = [];
  for (let i = 0; i * ENTRIES_PER_BITMAP < sb.metadataSm.nrBlocks; i++)
    metaBitmaps.push(md.pointer(indexAt + 16 + i * INDEX_ENTRY_SIZE));
  const meta = compareBitmaps(md, 'metadata', metaBitmaps, md.nrBlocks, metaRefs);
  if (meta === null) return UNMODELLED;
  err(meta.lines.join(''));
  if (meta.failed) {
    fatal('metadata space map: Fatal errors in metadata space map\n');
    return FAILURE_1X;
  }
  const leaking = data.leaks > 0 ? 'data' : meta.leaks > 0 ? 'metadata' : null;
  if (leaking === null || flags.ignoreNonFatal) return 0;
  fatal(`${leaking} space map contains leaks\nperhaps you wanted to run with --auto-repair\n`);
  return FAILURE_1X;
}

/**
 * print_info's METADATA_FREE_BLOCKS: the metadata space map root's u64 counts subtracted as
 * 1.1.0's release build subtracts them, wrapping (seed 17 case 1943: 1,024 blocks of which
 * 16,777,226 allocated prints 18446744073692775414; the lab printed -16776202).
 */
function metadataFreeBlocks1x(md: MetadataBytes): bigint {
  const root = SB.metadataSpaceMapRoot;
  return BigInt.asUintN(64, md.u64Big(root + SM_ROOT.nrBlocks) - md.u64Big(root + SM_ROOT.nrAllocated));
}
