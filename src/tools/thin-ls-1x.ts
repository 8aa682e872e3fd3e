/**
 * thin_ls as thin-provisioning-tools 1.1.0 (debian13) runs it (src/thin/ls.rs): the superblock is
 * checked for device ids that agree between the details and the mapping tree (Rust's debug print
 * of the superblock when they do not), "Scanning data mappings" goes to stderr when a column
 * needs the mappings, and the columns count the mappings found, not the details' mapped_blocks.
 * A mapping is shared when its leaf is reached from more than one device, or when its data block
 * is mapped from another leaf too; sizes use 1.1.0's `to_pretty_print_size` ("0b", "38MiB", and
 * its "Tib"). Columns are right-aligned, each cell followed by a space, as in 0.9.0.
 */
import { BLOCK_SIZE, MAPPING_VALUE_SIZE, SB } from '../format/layout.js';
import { type DetailsValue, MetadataBytes, type RawSuperblock } from './metadata-view.js';
import { NOT_MODELLED_STATUS, notModelled1x } from './define-tool.js';
import { INVALID_LOG_LEVEL_1X, LOG_DEBUG, LOG_INFO, logLevel1x } from './log-level-1x.js';
import { collectedNodes1x, exclusiveLeaves1x } from './node-counts-1x.js';
import { FAILURE_1X } from './release.js';
import { openInput1x, type ToolEnv } from './tool-io.js';

/** A status of 1 under 1.1.0: a case the lab has no 1.1.0 words for (refused by name). */
const UNMODELLED = 1;

/** The columns 1.1.0 adds to 0.9.0's. */
export const THIN_LS_FIELDS_1X_ONLY = ['HIGHEST_BLOCK', 'HIGHEST_SECTOR', 'HIGHEST_BYTE', 'HIGHEST_MAPPED'] as const;

const COUNTING = /^(MAPPED|EXCLUSIVE|SHARED|HIGHEST)/;

export interface LsOptions1x {
  readonly fields: readonly string[];
  readonly headers: boolean;
  readonly snap: boolean;
  /** How often the hidden -v was given (log-level-1x.ts). */
  readonly verbose: number;
}

/** What each device's mappings give the columns. */
interface Summary {
  mapped: number;
  shared: number;
  highest: number;
}

export function list1x(env: ToolEnv, options: LsOptions1x, path: string): number {
  const level = logLevel1x(options.verbose);
  if (level === null) {
    env.io.err(INVALID_LOG_LEVEL_1X);
    return FAILURE_1X;
  }
  const input = openInput1x(env.ctx, path, !options.snap);
  if (!input.ok) {
    env.io.err(input.message);
    return FAILURE_1X;
  }
  // check_file_not_tiny runs before the open, so an exclusive open never fails on a tiny input.
  if (input.bytes.length < BLOCK_SIZE) {
    env.io.err('Metadata device/file too small.  Is this binary metadata?\n');
    return FAILURE_1X;
  }
  const md = new MetadataBytes(input.bytes);
  const live = md.superblock(0);
  if (live.storedCsum !== live.computedCsum) {
    env.io.err('bad checksum in superblock\n');
    return FAILURE_1X;
  }
  // -m lists the held snapshot's devices, from its copy of the superblock.
  if (options.snap && live.heldRoot === 0) {
    env.io.err('no current metadata snap\n');
    return FAILURE_1X;
  }
  if (options.snap && !md.has(live.heldRoot)) return UNMODELLED;
  const sb = options.snap ? md.superblock(live.heldRoot) : live;
  if (sb.storedCsum !== sb.computedCsum) {
    env.io.err('bad checksum in superblock\n');
    return FAILURE_1X;
  }
  let damaged = false;
  const onDamage = (): void => {
    damaged = true;
  };
  const details = md.details(sb.deviceDetailsRoot, onDamage);
  const roots = md.deviceRoots(sb.dataMappingRoot, onDamage);
  if (damaged || [...details.keys()].join() !== [...roots.keys()].join()) {
    env.io.err(`inconsistent device ids: Some(${superblockDebug(md, sb)})\n`);
    return FAILURE_1X;
  }
  const counting = options.fields.some((f) => COUNTING.test(f));
  // Debug adds how long each step of the scan took (`reading leaf nodes: 25.087214ms`).
  if (counting && level >= LOG_DEBUG) {
    env.io.err(notModelled1x('thin_ls', '-vv with a counting column (its debug lines time each step of the scan)'));
    return NOT_MODELLED_STATUS;
  }
  if (counting) env.io.err('Scanning data mappings\n');
  const summaries = counting ? summarise(md, roots) : new Map<number, Summary>();
  if (counting && level >= LOG_INFO) reportNodes(md, [...roots.values()], env.io.err);
  if (summaries === null) {
    env.io.err('metadata contains errors\n');
    return FAILURE_1X;
  }
  const rows: string[][] = options.headers ? [[...options.fields]] : [];
  const blockSize = BigInt(sb.dataBlockSize);
  for (const [id, d] of details) {
    const s = summaries.get(id) ?? { mapped: 0, shared: 0, highest: 0 };
    rows.push(options.fields.map((f) => cell(f, id, d, s, blockSize)));
  }
  if (options.fields.length > 0) env.io.out(renderGrid(rows));
  return 0;
}

/**
 * Each device's mappings, shared ones and highest mapped block; null when a bottom tree is damaged.
 * Data blocks are counted once per leaf, however many devices reach the leaf (1.1.0 reads each once).
 */
function summarise(md: MetadataBytes, roots: ReadonlyMap<number, number>): Map<number, Summary> | null {
  const leafVisits = new Map<number, number>();
  const leavesOf = new Map<number, Map<number, { vblock: number; dataBlock: number }[]>>();
  let damaged = false;
  for (const [id, root] of roots) {
    const leaves = new Map<number, { vblock: number; dataBlock: number }[]>();
    md.walkBtree(
      root,
      MAPPING_VALUE_SIZE,
      (vblock, v) => {
        const leaf = Math.floor(v / BLOCK_SIZE);
        if (!leaves.has(leaf)) leaves.set(leaf, []);
        leaves.get(leaf)!.push({ vblock, dataBlock: mappedBlock(md, v) });
      },
      () => {
        damaged = true;
      },
    );
    for (const leaf of leaves.keys()) leafVisits.set(leaf, (leafVisits.get(leaf) ?? 0) + 1);
    leavesOf.set(id, leaves);
  }
  if (damaged) return null;
  const dataCounts = new Map<number, number>();
  const seen = new Set<number>();
  for (const leaves of leavesOf.values())
    for (const [leaf, mappings] of leaves) {
      if (seen.has(leaf)) continue;
      seen.add(leaf);
      for (const m of mappings) dataCounts.set(m.dataBlock, (dataCounts.get(m.dataBlock) ?? 0) + 1);
    }
  const out = new Map<number, Summary>();
  for (const [id, leaves] of leavesOf) {
    const s: Summary = { mapped: 0, shared: 0, highest: 0 };
    for (const [leaf, mappings] of leaves) {
      s.mapped += mappings.length;
      const sharedLeaf = (leafVisits.get(leaf) ?? 0) > 1;
      for (const m of mappings) {
        if (sharedLeaf || (dataCounts.get(m.dataBlock) ?? 0) > 1) s.shared++;
        s.highest = Math.max(s.highest, m.vblock);
      }
    }
    out.set(id, s);
  }
  return out;
}

/** The data block of the mapping value at `v` (the high 40 bits of its 64-bit block-and-time). */
function mappedBlock(md: MetadataBytes, v: number): number {
  return Number(md.u64Big(v) >> 24n);
}

/** The info lines of 1.1.0's scan (count_data_mappings_), printed whether or not it met damage. */
function reportNodes(md: MetadataBytes, roots: readonly number[], err: (text: string) => void): void {
  const nodes = collectedNodes1x(md, roots);
  err(`nr internal nodes: ${nodes.internal.size}\nnr leaves: ${nodes.leaves.size}\n`);
  err(`nr exclusive leaves: ${exclusiveLeaves1x(md, roots, nodes)}\n`);
}

/** 1.1.0's `to_pretty_print_size`: a multiple in [1024, 8192] of the largest unit that allows one, rounded. */
export function prettySize(bytes: bigint): string {
  const units = ['b', 'KiB', 'MiB', 'GiB', 'Tib', 'PiB', 'EiB'];
  let i = bytes > 0n ? Math.max(0, Math.floor((bytes.toString(2).length - 1) / 10) - 1) : 0;
  let multiple = bytes >> BigInt(10 * i);
  if (multiple > 8192n) {
    multiple = BigInt(Math.round(Number(multiple) / 1024));
    i++;
  }
  return `${multiple}${units[i]}`;
}

function cell(f: string, id: number, d: DetailsValue, s: Summary, bs: bigint): string {
  const [mapped, shared] = [BigInt(s.mapped), BigInt(s.shared)];
  const values: Record<string, [bigint, 'n' | 'size']> = {
    DEV: [BigInt(id), 'n'],
    TRANSACTION: [d.transactionId, 'n'],
    CREATE_TIME: [BigInt(d.creationTime), 'n'],
    SNAP_TIME: [BigInt(d.snapshottedTime), 'n'],
    MAPPED_BLOCKS: [mapped, 'n'],
    EXCLUSIVE_BLOCKS: [mapped - shared, 'n'],
    SHARED_BLOCKS: [shared, 'n'],
    HIGHEST_BLOCK: [BigInt(s.highest), 'n'],
    MAPPED_SECTORS: [mapped * bs, 'n'],
    EXCLUSIVE_SECTORS: [(mapped - shared) * bs, 'n'],
    SHARED_SECTORS: [shared * bs, 'n'],
    HIGHEST_SECTOR: [(BigInt(s.highest) + 1n) * bs - 1n, 'n'],
    MAPPED_BYTES: [mapped * bs * 512n, 'n'],
    EXCLUSIVE_BYTES: [(mapped - shared) * bs * 512n, 'n'],
    SHARED_BYTES: [shared * bs * 512n, 'n'],
    HIGHEST_BYTE: [(BigInt(s.highest) + 1n) * bs * 512n - 1n, 'n'],
    MAPPED: [mapped * bs * 512n, 'size'],
    EXCLUSIVE: [(mapped - shared) * bs * 512n, 'size'],
    SHARED: [shared * bs * 512n, 'size'],
    HIGHEST_MAPPED: [(BigInt(s.highest) + 1n) * bs * 512n - 1n, 'size'],
  };
  const [value, kind] = values[f]!;
  return kind === 'size' ? prettySize(value) : String(value);
}

/** Right-aligns every column to its widest cell; each cell is followed by a space. */
function renderGrid(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) => `${row.map((c, i) => `${c.padStart(widths[i]!)} `).join('')}\n`).join('');
}

/**
 * Rust's `{:?}` of 1.1.0's Superblock read at `sb.block` (block 0, or a held snapshot's copy), as
 * its "inconsistent device ids" error prints it: `block` is the block number the copy records.
 */
export function superblockDebug(md: MetadataBytes, sb: RawSuperblock): string {
  const at = sb.block * BLOCK_SIZE;
  const bytes = (offset: number, n: number): string =>
    `[${[...md.bytes.subarray(at + offset, at + offset + n)].join(', ')}]`;
  return (
    `Superblock { flags: SuperblockFlags { needs_check: ${(sb.flags & 1) !== 0} }, block: ${md.u64Big(at + SB.blocknr)}, version: ${sb.version}, ` +
    `time: ${sb.time}, transaction_id: ${sb.transactionId}, metadata_snap: ${md.u64Big(at + SB.heldRoot)}, ` +
    `data_sm_root: ${bytes(SB.dataSpaceMapRoot, 128)}, metadata_sm_root: ${bytes(SB.metadataSpaceMapRoot, 128)}, ` +
    `mapping_root: ${md.u64Big(at + SB.dataMappingRoot)}, details_root: ${md.u64Big(at + SB.deviceDetailsRoot)}, data_block_size: ${sb.dataBlockSize}, ` +
    `nr_metadata_blocks: ${md.u64Big(at + SB.metadataNrBlocks)} }`
  );
}
