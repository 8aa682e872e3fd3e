/**
 * Reads the bytes of a dm-thin metadata device back into a {@link MetadataImage}: the superblock,
 * the details and mapping trees, and the data reference counts from the data space map.
 *
 * Every structure is validated before it is trusted (checksums, block numbers, node headers, key
 * order), so damaged input gives an error naming what is wrong, worded like thin_check where there
 * is an equivalent, and never an exception. The metadata space map is checked for readable
 * checksums but its counts are not compared against the trees: that is thin_check's job.
 *
 * The data reference counts are the ones stored in the data space map. In metadata our writer or
 * thin_restore wrote, no node is shared and they equal the lab's "one per mapping" counts. In
 * metadata the kernel wrote after a snapshot, subtrees are shared and a block's stored count is
 * the number of distinct leaves that hold it (dm-thin.md §3.2), which can be lower.
 */
import { Errno } from '../model/errno.js';
import { MappingTable } from '../model/mapping.js';
import type {
  DamagedKeys,
  DeviceDetails,
  HeldMetadataSnapshot,
  MetadataBlockFailure,
  MetadataDamage,
  MetadataImage,
} from '../model/metadata.js';
import type { NodeProblem } from './btree-node.js';
import { dmChecksum } from './crc32c.js';
import {
  BITMAP_CSUM_XOR,
  BITMAP_HEADER,
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  DETAILS_VALUE_SIZE,
  ENTRIES_PER_BITMAP,
  getBitmapEntry,
  getBlockTime,
  getU64,
  INDEX_CSUM_XOR,
  INDEX_ENTRY_SIZE,
  INTERNAL_NODE,
  LEAF_NODE,
  MAPPING_VALUE_SIZE,
  METADATA_BLOCK_SECTORS,
  METADATA_INDEX_ENTRIES,
  NEEDS_CHECK_FLAG,
  NODE,
  REFCOUNT_VALUE_SIZE,
  ROOT_VALUE_SIZE,
  SB,
  SUPERBLOCK_CSUM_XOR,
  THIN_MIN_VERSION,
  THIN_SUPERBLOCK_MAGIC,
  THIN_VERSION,
} from './layout.js';
import {
  MAX_BTREE_DEPTH,
  MetadataBlocks,
  type NodeDamage,
  type NodePlace,
  readRawSuperblock,
  type SpaceMapRoot,
  walkBtree,
} from './metadata-walker.js';

export type ReadResult = { ok: true; image: MetadataImage } | { ok: false; error: string };

/** Thrown inside the reader only, and turned into `{ ok: false }` at its edge. */
class DamageFound extends Error {}

const damage = (message: string): never => {
  throw new DamageFound(message);
};

/** The device's blocks, with the strict reader's checks on top of the walker's bounds-checked reads. */
class MetadataInput extends MetadataBlocks {
  /** Byte offset of `block`, after checking that it exists and that its checksum holds. */
  block(block: number, xor: number, what: string): number {
    const sums = this.checksums(block, xor);
    if (sums === null) damage(`${what}: block ${block} is beyond the end of the metadata (${this.nrBlocks} blocks)`);
    if (sums!.stored !== sums!.computed) damage(`${what}: bad checksum in block ${block}`);
    return block * BLOCK_SIZE;
  }

  /** A u64 that must fit in a safe integer. */
  u64Checked(offset: number, what: string): number {
    return fits(this.u64(offset), what);
  }
}

/** A u64 the walker read as -1 (too large for a safe integer) is damage to the strict reader. */
const fits = (value: number, what: string): number => (value < 0 ? damage(`${what}: value too large`) : value);

/** The block manager's line after any validator refuses a block. */
const validatorLine = (name: string, block: number): string =>
  `block manager: ${name} validator check failed for block ${block}`;

/**
 * What the kernel's btree node_check (dm-btree-spine.c) says of a node, in its order: the block
 * number, the checksum, max_entries, nr_entries, the flags. Null when it accepts the node (it does
 * not look at key order or fullness).
 */
function kernelNodeFailure(input: MetadataInput, block: number): MetadataBlockFailure | null {
  if (block < 0 || block >= input.nrBlocks) return null;
  const at = block * BLOCK_SIZE;
  const dv = input.dv;
  const fail = (why: string, errno: number): MetadataBlockFailure => ({
    block,
    lines: [`btree spine: node_check failed: ${why}`, validatorLine('btree_node', block)],
    errno,
  });
  const blocknr = dv.getBigUint64(at + NODE.blocknr, true);
  if (blocknr !== BigInt(block)) return fail(`blocknr ${blocknr} != wanted ${block}`, Errno.ENOTBLK);
  const computed = dmChecksum(input.bytes, at + 4, at + BLOCK_SIZE, BTREE_CSUM_XOR);
  const stored = dv.getUint32(at + NODE.csum, true);
  if (computed !== stored) return fail(`csum ${computed} != wanted ${stored}`, Errno.EILSEQ);
  const max = dv.getUint32(at + NODE.maxEntries, true);
  const vsize = dv.getUint32(at + NODE.valueSize, true);
  if (NODE.header + (8 + vsize) * max > BLOCK_SIZE) return fail('max_entries too large', Errno.EILSEQ);
  if (dv.getUint32(at + NODE.nrEntries, true) > max) return fail('too many entries', Errno.EILSEQ);
  const flags = dv.getUint32(at + NODE.flags, true);
  if ((flags & (INTERNAL_NODE | LEAF_NODE)) === 0) return fail('node is neither INTERNAL or LEAF', Errno.EILSEQ);
  return null;
}

/** The kernel's sb_check (dm-thin-metadata.c) on a superblock copy: block number, magic, checksum. */
function kernelSuperblockFailure(input: MetadataInput, block: number): MetadataBlockFailure | null {
  if (block < 0 || block >= input.nrBlocks) return null;
  const at = block * BLOCK_SIZE;
  const fail = (why: string, errno: number): MetadataBlockFailure => ({
    block,
    lines: [`thin metadata: sb_check failed: ${why}`, validatorLine('superblock', block)],
    errno,
  });
  const blocknr = input.dv.getBigUint64(at + SB.blocknr, true);
  if (blocknr !== BigInt(block)) return fail(`blocknr ${blocknr}: wanted ${block}`, Errno.ENOTBLK);
  const magic = input.dv.getBigUint64(at + SB.magic, true);
  if (magic !== BigInt(THIN_SUPERBLOCK_MAGIC))
    return fail(`magic ${magic}: wanted ${THIN_SUPERBLOCK_MAGIC}`, Errno.EILSEQ);
  const computed = dmChecksum(input.bytes, at + 4, at + BLOCK_SIZE, SUPERBLOCK_CSUM_XOR);
  const stored = input.dv.getUint32(at + SB.csum, true);
  if (computed !== stored) return fail(`csum ${computed}: wanted ${stored}`, Errno.EILSEQ);
  return null;
}

/** The space map's bitmap_check or index_check (dm-space-map-common.c): block number, then checksum. */
function kernelSpaceMapFailure(
  input: MetadataInput,
  block: number,
  kind: 'bitmap' | 'index',
): MetadataBlockFailure | null {
  if (block < 0 || block >= input.nrBlocks) return null;
  const at = block * BLOCK_SIZE;
  const check = kind === 'bitmap' ? 'bitmap check' : 'index_check';
  const fail = (why: string, errno: number): MetadataBlockFailure => ({
    block,
    lines: [
      `space map common: ${check} failed: ${why}`,
      validatorLine(kind === 'bitmap' ? 'sm_bitmap' : 'index', block),
    ],
    errno,
  });
  const blocknr = input.dv.getBigUint64(at + 8, true);
  if (blocknr !== BigInt(block)) return fail(`blocknr ${blocknr} != wanted ${block}`, Errno.ENOTBLK);
  const computed = dmChecksum(
    input.bytes,
    at + 4,
    at + BLOCK_SIZE,
    kind === 'bitmap' ? BITMAP_CSUM_XOR : INDEX_CSUM_XOR,
  );
  const stored = input.dv.getUint32(at, true);
  if (computed !== stored) return fail(`csum ${computed} != wanted ${stored}`, Errno.EILSEQ);
  return null;
}

/** The reader's words for a node the shared validator refused. */
function describeNodeProblem(what: string, block: number, p: NodeProblem): string {
  switch (p.code) {
    case 'out-of-bounds':
      return `${what} node: block ${block} is beyond the end of the metadata (${p.nrBlocks} blocks)`;
    case 'checksum':
      return `${what} node: bad checksum in block ${block}`;
    case 'flags':
      return `${what}: block ${block} is not a btree node`;
    case 'blocknr':
      return `${what}: blocknr mismatch in block ${block}`;
    case 'value-size':
      return `${what}: value_size mismatch in block ${block} (${p.found}, expected ${p.expected})`;
    case 'max-entries-too-large':
      return `${what}: max_entries is too large in block ${block}`;
    case 'max-entries-not-divisible':
      return `${what}: max_entries is not divisible by 3 in block ${block}`;
    case 'too-many-entries':
      return `${what}: nr_entries > max_entries in block ${block}`;
    case 'too-few-entries':
      return `${what}: too few entries in btree node ${block}`;
    case 'empty-internal':
      return `${what}: empty internal node ${block}`;
    case 'key-too-large':
      return `${what} key: value too large`;
    case 'keys-out-of-order':
      return `${what}: keys out of order in block ${block}`;
    // Only the tools ask the walker for these two (the kernel checks neither).
    case 'parent-key':
      return `${what}: parent key ${p.parent} above the lowest key ${p.lowest} in block ${block}`;
    case 'leaf-key-overlap':
      return `${what}: leaf keys overlap the previous leaf in block ${block}`;
  }
}

/** The strict reader's words for a node the walker could not use. */
function describeNodeDamage(what: string, d: NodeDamage): string {
  if (d.pointerTooLarge) return `${what} child pointer: value too large`;
  if (d.loop === 'too-deep') return `${what}: btree deeper than ${MAX_BTREE_DEPTH} levels (a loop?)`;
  if (d.loop === 'revisited') return `${what}: block ${d.place.block} is referenced twice in the same tree`;
  return describeNodeProblem(what, d.place.block, d.problem!);
}

/**
 * Calls `visit(key, valueOffset)` for each leaf entry of the btree at `root`, in key order, and
 * stops at the first damage. With `onFailure` the nodes are first screened as the kernel screens
 * them: a node its validator refuses fails only the keys below it and the walk goes on.
 */
function walkTree(
  input: MetadataInput,
  root: number,
  valueSize: number,
  what: string,
  visit: (key: number, valueOffset: number) => void,
  onFailure?: (keys: DamagedKeys) => void,
  onNode?: (block: number) => void,
): void {
  // Nodes the kernel refused are still "seen": meeting one again in the same tree is a loop.
  const refused = new Set<number>();
  const screen = (place: NodePlace): boolean => {
    if (refused.has(place.block)) damage(`${what}: block ${place.block} is referenced twice in the same tree`);
    const failure = kernelNodeFailure(input, place.block);
    if (failure === null) return true;
    refused.add(place.block);
    const high = place.high ?? Number.MAX_SAFE_INTEGER;
    onFailure!({ low: place.low, high, rightmost: high === Number.MAX_SAFE_INTEGER, failure });
    return false;
  };
  walkBtree(input, root, valueSize, {
    screen: onFailure === undefined ? undefined : screen,
    node: (place, header) => {
      onNode?.(place.block);
      // Keys outside [low, high) mean overlapping or misplaced nodes.
      const high = place.high ?? Number.MAX_SAFE_INTEGER;
      const keyBase = place.block * BLOCK_SIZE + NODE.header;
      for (let i = 0; i < header.nrEntries; i++) {
        const key = input.u64(keyBase + i * 8);
        if (key < place.low || key >= high)
          damage(`${what}: key ${key} in block ${place.block} lies outside its parent's range`);
      }
    },
    entry: visit,
    damage: (d) => damage(describeNodeDamage(what, d)),
  });
}

interface Superblock {
  flags: number;
  time: number;
  transactionId: bigint;
  heldRoot: number;
  dataMappingRoot: number;
  deviceDetailsRoot: number;
  dataBlockSize: number;
  metadataNrBlocks: number;
  dataSm: { nrBlocks: number; bitmapRoot: number; refCountRoot: number };
  metadataSm: { nrBlocks: number; bitmapRoot: number; refCountRoot: number; nrAllocated?: number };
}

function isAllZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Reads and validates a superblock at `block` (0, or the held metadata snapshot's copy). */
function readSuperblock(input: MetadataInput, block: number, what: string): Superblock {
  const raw = readRawSuperblock(input, block);
  if (raw === null)
    return damage(`${what}: block ${block} is beyond the end of the metadata (${input.nrBlocks} blocks)`);
  if (raw.storedCsum !== raw.computedCsum) damage(`bad checksum in ${what}`);
  if (raw.magic !== THIN_SUPERBLOCK_MAGIC) damage(`bad magic in ${what}`);
  if (raw.blocknr !== block) damage(`blocknr mismatch in ${what}`);
  if (raw.version < THIN_MIN_VERSION || raw.version > THIN_VERSION)
    damage(`unsupported metadata version ${raw.version} in ${what}`);
  if (raw.incompatFlags !== 0)
    damage(`unsupported incompatible features (0x${raw.incompatFlags.toString(16)}) in ${what}`);
  // Checked in the order the fields were always read, so the first one too large is named.
  const heldRoot = fits(raw.heldRoot, `${what} held_root`);
  const dataMappingRoot = fits(raw.dataMappingRoot, `${what} data mapping root`);
  const deviceDetailsRoot = fits(raw.deviceDetailsRoot, `${what} device details root`);
  const metadataNrBlocks = fits(raw.metadataNrBlocks, `${what} metadata_nr_blocks`);
  const sm = (root: SpaceMapRoot): Superblock['dataSm'] => ({
    nrBlocks: fits(root.nrBlocks, `${what} space map nr_blocks`),
    bitmapRoot: fits(root.bitmapRoot, `${what} space map bitmap root`),
    refCountRoot: fits(root.refCountRoot, `${what} space map ref count root`),
  });
  const dataSm = sm(raw.dataSm);
  const metadataSm = {
    ...sm(raw.metadataSm),
    nrAllocated: fits(raw.metadataSm.nrAllocated, `${what} metadata space map nr_allocated`),
  };
  return {
    flags: raw.flags,
    time: raw.time,
    transactionId: raw.transactionId,
    heldRoot,
    dataMappingRoot,
    deviceDetailsRoot,
    dataBlockSize: raw.dataBlockSize,
    metadataNrBlocks,
    dataSm,
    metadataSm,
  };
}

type Devices = Map<number, { details: DeviceDetails; table: MappingTable }>;

/** What a kernel-mode read collects instead of refusing the image (see readMetadataAsKernel). */
interface KernelDamage {
  details: DamagedKeys[];
  top: DamagedKeys[];
  bottom: Map<number, DamagedKeys[]>;
  allocation: MetadataDamage['allocation'];
  /** Bottom-tree nodes seen so far, and whether one was reached from two trees (shared subtrees). */
  nodes: Set<number>;
  sharedNodes: boolean;
  heldRoot: MetadataBlockFailure | null;
}

/** Reads the details tree and the two-level mapping tree and checks that they agree. */
function readDevices(
  input: MetadataInput,
  sb: Superblock,
  nrDataBlocks: number,
  kernel: KernelDamage | null = null,
): Devices {
  const details = new Map<number, DeviceDetails>();
  const note = (list: DamagedKeys[]) => (kernel === null ? undefined : (k: DamagedKeys) => list.push(k));
  walkTree(
    input,
    sb.deviceDetailsRoot,
    DETAILS_VALUE_SIZE,
    'device details tree',
    (id, v) => {
      details.set(id, {
        mappedBlocks: input.u64Checked(v, 'device details mapped_blocks'),
        transactionId: input.dv.getBigUint64(v + 8, true),
        creationTime: input.dv.getUint32(v + 16, true),
        snapshottedTime: input.dv.getUint32(v + 20, true),
      });
    },
    note(kernel?.details ?? []),
  );
  const roots = new Map<number, number>();
  walkTree(
    input,
    sb.dataMappingRoot,
    ROOT_VALUE_SIZE,
    'top level mapping tree',
    (id, v) => {
      roots.set(id, input.u64Checked(v, 'mapping tree root'));
    },
    note(kernel?.top ?? []),
  );
  const covered = (list: readonly DamagedKeys[], id: number): boolean => list.some((k) => id >= k.low && id < k.high);
  if (kernel !== null) {
    // A device known to one tree only, because the other is damaged where it would be, is kept:
    // the kernel fails when it reads the damaged node, not before.
    for (const id of roots.keys()) {
      if (!details.has(id) && covered(kernel.details, id))
        details.set(id, { mappedBlocks: 0, transactionId: 0n, creationTime: 0, snapshottedTime: 0 });
    }
    for (const id of details.keys()) if (!roots.has(id) && covered(kernel.top, id)) roots.set(id, -1);
  }
  const same = details.size === roots.size && [...details.keys()].every((id) => roots.has(id));
  if (!same) damage('Inconsistency between the details tree and the mapping tree');

  const devices: Devices = new Map();
  for (const [id, root] of roots) {
    const table = new MappingTable();
    let count = 0;
    if (root < 0) {
      devices.set(id, { details: details.get(id)!, table });
      continue;
    }
    const failures: DamagedKeys[] = [];
    walkTree(
      input,
      root,
      MAPPING_VALUE_SIZE,
      `mapping tree of thin device ${id}`,
      (vb, v) => {
        const { dataBlock, time } = getBlockTime(input.dv, v);
        if (dataBlock >= nrDataBlocks) {
          damage(
            `Thin device ${id} maps block ${vb} to data block ${dataBlock}, beyond the ${nrDataBlocks} data blocks`,
          );
        }
        table.insert(vb, dataBlock, time, 0);
        count++;
      },
      kernel === null ? undefined : (k) => failures.push(k),
      kernel === null
        ? undefined
        : (block) => {
            if (kernel.nodes.has(block)) kernel.sharedNodes = true;
            kernel.nodes.add(block);
          },
    );
    if (kernel !== null) {
      if (failures.length > 0) kernel.bottom.set(id, failures);
    }
    const d = details.get(id)!;
    // The kernel never compares mapped_blocks with the mappings: it keeps counting from the value on disk.
    if (kernel === null && d.mappedBlocks !== count) {
      damage(`Thin device ${id} has unexpected number of mappings, expected ${d.mappedBlocks}, actual ${count}`);
    }
    devices.set(id, { details: d, table });
  }
  return devices;
}

/** Reads one bitmap block's entries for blocks [first, first + count) into `into`. */
function readBitmap(
  input: MetadataInput,
  block: number,
  first: number,
  count: number,
  into: Uint32Array,
  what: string,
): void {
  const at = input.block(block, BITMAP_CSUM_XOR, `${what} bitmap`);
  if (getU64(input.dv, at + 8) !== block) damage(`${what}: blocknr mismatch in bitmap ${block}`);
  for (let e = 0; e < count; e++) into[first + e] = getBitmapEntry(input.bytes, at + BITMAP_HEADER, e);
}

/** Resolves the "3 = see overflow tree" entries from the overflow btree of u32 counts. */
function applyOverflow(input: MetadataInput, root: number, counts: Uint32Array, what: string): void {
  const pending = new Set<number>();
  for (let b = 0; b < counts.length; b++) if (counts[b] === 3) pending.add(b);
  walkTree(input, root, REFCOUNT_VALUE_SIZE, `${what} ref count tree`, (b, v) => {
    if (!pending.delete(b)) damage(`${what}: ref count tree holds block ${b}, whose bitmap entry is not 3`);
    const c = input.dv.getUint32(v, true);
    if (c < 3) damage(`${what}: ref count tree holds count ${c} for block ${b}`);
    counts[b] = c;
  });
  for (const b of pending) damage(`${what}: block ${b} has bitmap entry 3 but no entry in the ref count tree`);
}

/** The data space map: an index btree of bitmaps (dm-space-map-disk.c). */
function readDataRefcounts(input: MetadataInput, sb: Superblock, kernel: KernelDamage | null = null): Uint32Array {
  const nr = sb.dataSm.nrBlocks;
  const bitmaps = Math.ceil(nr / ENTRIES_PER_BITMAP);
  // Each bitmap is a metadata block, so a size needing more bitmaps than there are blocks is damage
  // (and would otherwise ask for an absurd allocation).
  if (bitmaps > input.nrBlocks)
    damage(`data space map: nr_blocks ${nr} needs more bitmaps than the metadata has blocks`);
  const counts = new Uint32Array(nr);
  const seen = new Set<number>();
  // The kernel reads the index and the bitmaps when it first allocates: damage there fails that.
  const allocationFails = (failure: MetadataBlockFailure): void => {
    if (kernel !== null) kernel.allocation ??= { failure, after: [] };
  };
  walkTree(
    input,
    sb.dataSm.bitmapRoot,
    INDEX_ENTRY_SIZE,
    'data space map index',
    (i, v) => {
      if (i >= bitmaps) damage(`data space map: index entry ${i} beyond the ${bitmaps} bitmaps`);
      const first = i * ENTRIES_PER_BITMAP;
      const block = input.u64Checked(v, 'data bitmap block');
      const failure = kernel === null ? null : kernelSpaceMapFailure(input, block, 'bitmap');
      if (failure !== null) allocationFails(failure);
      else readBitmap(input, block, first, Math.min(ENTRIES_PER_BITMAP, nr - first), counts, 'data space map');
      seen.add(i);
    },
    kernel === null ? undefined : (k) => allocationFails(k.failure),
  );
  if (kernel !== null && kernel.allocation !== null) return counts;
  if (seen.size !== bitmaps)
    damage(`data space map: ${bitmaps - seen.size} of ${bitmaps} bitmaps missing from the index`);
  applyOverflow(input, sb.dataSm.refCountRoot, counts, 'data space map');
  return counts;
}

/** The metadata space map: one index block of bitmaps (dm-space-map-metadata.c). */
function checkMetadataSpaceMap(
  input: MetadataInput,
  sb: Superblock,
  kernel: KernelDamage | null = null,
): MetadataBlockFailure | null {
  const nr = sb.metadataSm.nrBlocks;
  const bitmaps = Math.ceil(nr / ENTRIES_PER_BITMAP);
  if (bitmaps > METADATA_INDEX_ENTRIES) damage(`metadata space map: ${nr} blocks is more than one index can describe`);
  if (kernel !== null) {
    // The kernel reads the index when it opens the metadata: damage there fails the open.
    const failure = kernelSpaceMapFailure(input, sb.metadataSm.bitmapRoot, 'index');
    if (failure !== null) throw new KernelOpenFailure(failure);
  }
  const at = input.block(sb.metadataSm.bitmapRoot, INDEX_CSUM_XOR, 'metadata space map index');
  const counts = new Uint32Array(nr);
  for (let i = 0; i < bitmaps; i++) {
    const first = i * ENTRIES_PER_BITMAP;
    const block = input.u64Checked(at + 16 + i * INDEX_ENTRY_SIZE, 'metadata bitmap block');
    // A damaged bitmap is met when the first metadata block is allocated (a shadow copy).
    const failure = kernel === null ? null : kernelSpaceMapFailure(input, block, 'bitmap');
    if (failure !== null) return failure;
    readBitmap(input, block, first, Math.min(ENTRIES_PER_BITMAP, nr - first), counts, 'metadata space map');
  }
  if (kernel === null) applyOverflow(input, sb.metadataSm.refCountRoot, counts, 'metadata space map');
  return null;
}

/** The kernel cannot open the metadata at all (its space map index is damaged). */
class KernelOpenFailure extends Error {
  constructor(readonly failure: MetadataBlockFailure) {
    super('kernel open failure');
  }
}

function read(bytes: Uint8Array, kernel: KernelDamage | null = null): MetadataImage {
  if (bytes.length < BLOCK_SIZE)
    damage(`metadata too small: ${bytes.length} bytes, less than one ${BLOCK_SIZE}-byte block`);
  const input = new MetadataInput(bytes);
  if (isAllZero(bytes, 0, BLOCK_SIZE)) damage('no superblock: block 0 is all zeros (unformatted metadata)');
  const sb = readSuperblock(input, 0, 'superblock');
  const metaBlockSize = input.dv.getUint32(SB.metadataBlockSize, true);
  if (metaBlockSize !== METADATA_BLOCK_SECTORS)
    damage(`unsupported metadata_block_size ${metaBlockSize} in superblock`);
  if (sb.metadataNrBlocks > input.nrBlocks) {
    damage(`metadata truncated: superblock says ${sb.metadataNrBlocks} blocks, only ${input.nrBlocks} present`);
  }
  if (sb.dataBlockSize === 0) damage('invalid data block size 0 in superblock');

  const metadataBitmapFailure = checkMetadataSpaceMap(input, sb, kernel);
  const refcounts = readDataRefcounts(input, sb, kernel);
  if (kernel !== null && kernel.allocation === null && metadataBitmapFailure !== null) {
    kernel.allocation = { failure: metadataBitmapFailure, after: ['space map common: dm_tm_shadow_block() failed'] };
  }
  const nrDataBlocks = sb.dataSm.nrBlocks;
  const devices = readDevices(input, sb, nrDataBlocks, kernel);

  let heldRoot: HeldMetadataSnapshot | null = null;
  const heldFailure = kernel === null || sb.heldRoot === 0 ? null : kernelSuperblockFailure(input, sb.heldRoot);
  if (kernel !== null && heldFailure !== null) {
    // The kernel reads the copy only to release it; until then the pool runs as if it were sound.
    kernel.heldRoot = heldFailure;
    heldRoot = { block: sb.heldRoot, time: 0, transactionId: 0n, nrDataBlocks, devices: new Map() };
  } else if (sb.heldRoot !== 0) {
    if (sb.heldRoot >= input.nrBlocks) damage(`held metadata root ${sb.heldRoot} is beyond the end of the metadata`);
    const held = readSuperblock(input, sb.heldRoot, 'metadata snapshot superblock');
    heldRoot = {
      block: sb.heldRoot,
      time: held.time,
      transactionId: held.transactionId,
      nrDataBlocks,
      devices: readDevices(input, held, nrDataBlocks),
    };
  }

  return {
    time: sb.time,
    transactionId: sb.transactionId,
    dataBlockSizeSectors: sb.dataBlockSize,
    nrDataBlocks,
    metadataNrBlocks: sb.metadataNrBlocks,
    needsCheck: (sb.flags & NEEDS_CHECK_FLAG) !== 0,
    devices,
    refcounts,
    heldRoot,
    // A freshly opened image: nothing is shared with a live transaction yet.
    generation: 0,
    metadataCursor: 0,
    metadataBlocksAllocatedOnDisk: sb.metadataSm.nrAllocated,
  };
}

/** Loads metadata bytes; damaged input gives `{ ok: false, error }` and never throws. */
export function readMetadataImage(bytes: Uint8Array): ReadResult {
  try {
    return { ok: true, image: read(bytes) };
  } catch (e) {
    if (e instanceof DamageFound) return { ok: false, error: e.message };
    // Anything else is a reader bug met on odd input; still report it instead of throwing.
    return { ok: false, error: `unreadable metadata: ${e instanceof Error ? e.message : String(e)}` };
  }
}

export type KernelReadResult =
  /** `sharedNodes`: subtrees are shared (kernel-written snapshots), so data counts on disk are lazy. */
  | { ok: true; image: MetadataImage; sharedNodes: boolean }
  /** The kernel's open fails on this block: the lines it logs and its errno. */
  | { ok: false; error: string; openFailure?: MetadataBlockFailure };

/**
 * Loads metadata bytes as the kernel opens them: only the superblock (checked by the caller) and
 * the metadata space map index must be sound. Damaged tree nodes and space-map blocks are kept in
 * `image.damage` for the pool to meet when it first reads them; mapped_blocks is taken as stored.
 * Data reference counts are those on disk where they could be read (the caller recounts them).
 */
export function readMetadataAsKernel(bytes: Uint8Array): KernelReadResult {
  const kernel: KernelDamage = {
    details: [],
    top: [],
    bottom: new Map(),
    allocation: null,
    nodes: new Set(),
    sharedNodes: false,
    heldRoot: null,
  };
  try {
    const image = read(bytes, kernel);
    const damaged =
      kernel.details.length + kernel.top.length + kernel.bottom.size > 0 ||
      kernel.allocation !== null ||
      kernel.heldRoot !== null;
    const damage: MetadataDamage | null = damaged
      ? {
          details: kernel.details,
          top: kernel.top,
          bottom: kernel.bottom,
          allocation: kernel.allocation,
          refcountSkew: new Map(),
          heldRoot: kernel.heldRoot,
        }
      : null;
    return { ok: true, image: { ...image, damage }, sharedNodes: kernel.sharedNodes };
  } catch (e) {
    if (e instanceof KernelOpenFailure) return { ok: false, error: 'metadata space map index', openFailure: e.failure };
    if (e instanceof DamageFound) return { ok: false, error: e.message };
    return { ok: false, error: `unreadable metadata: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** sb_check on a superblock (block 0, or a held snapshot's copy) of raw metadata bytes. */
export function superblockCheckFailure(bytes: Uint8Array, block: number): MetadataBlockFailure | null {
  return kernelSuperblockFailure(new MetadataInput(bytes), block);
}
