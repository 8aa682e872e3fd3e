/**
 * What thin_repair and thin_dump --repair of thin-provisioning-tools 1.1.0 rebuild from, ported
 * from `read_or_rebuild_superblock` in src/thin/metadata_repair.rs. 1.1.0 does not salvage what it
 * can read below the superblock's roots, as 0.9.0 did. Its search (`find_roots`,
 * repair-scan-1x.ts) lists the top-level mapping trees and details trees that read whole and that
 * no other node refers to, and pairs each mapping tree (by its latest times) with the details
 * trees of as many mappings and the same device ids. The held metadata snapshot's trees, and any
 * older trees still on the device, are candidates as much as the superblock's own.
 *
 * - With pairs, each is a set of roots found; without, but with mapping trees, it warns "found N
 *   mapping trees without device details" and makes up every device's details from each mapping
 *   tree (to_partial_found_roots: all created and snapshotted at the tree's age + 1, so that every
 *   mapping counts as shared). With no mapping tree at all: "no compatible roots found"
 *   (repair-scan-1x.ts rootSearchEnding).
 * - The superblock is used as it is only where it reads and its two roots are one of the pairs.
 * - Else a superblock is rebuilt around the first roots found (rebuild_superblock), taking from
 *   the one on disk, where it reads, its data block size, and its transaction id, data blocks
 *   and time where they are higher than the roots suggest; version 2, no flags, no held root.
 */
import { ROOT_VALUE_SIZE, SB, SM_ROOT } from '../format/layout.js';
import { walkTree1x } from './btree-walk-1x.js';
import type { DetailsValue, MetadataBytes } from './metadata-view.js';
import { type Candidate1x, type RootPairs1x, rootPairs1x } from './repair-scan-1x.js';

/** The superblock overrides of thin_repair (and thin_dump --repair), as given. */
export interface RepairOverrides1x {
  readonly transactionId?: bigint;
  readonly dataBlockSize?: number;
  readonly nrDataBlocks?: bigint;
}

/** A rebuilt superblock's fields as the dump prints them and the repair writes them. */
export interface RebuiltHead1x {
  readonly time: number;
  readonly transactionId: bigint;
  readonly flags: number;
  readonly version: number;
  readonly dataBlockSize: number;
  readonly nrDataBlocks: bigint;
}

export type RepairSource =
  /** How the search or the rebuild failed, in 1.1.0's words. */
  | { readonly kind: 'failed'; readonly warning: string | null; readonly message: string }
  | { readonly kind: 'unmodelled'; readonly warning: string | null; readonly why: string }
  /** The superblock on disk: its roots are a pair the search found (Superblock::overrides applies). */
  | { readonly kind: 'as-is'; readonly warning: null }
  /** A superblock rebuilt around a pair of trees on disk (ThinSuperblock::OnDisk). */
  | {
      readonly kind: 'on-disk';
      readonly warning: null;
      readonly head: RebuiltHead1x;
      readonly mappingRoot: number;
      readonly detailsRoot: number;
    }
  /** A superblock rebuilt around a mapping tree, with every device's details made up (ThinSuperblock::InCore). */
  | {
      readonly kind: 'in-core';
      readonly warning: string;
      readonly head: RebuiltHead1x;
      readonly mappingRoot: number;
      readonly devices: ReadonlyMap<number, { readonly root: number; readonly details: DetailsValue }>;
    };

/** FoundRoots: the trees and the superblock values they suggest. */
interface FoundRoots {
  readonly pair: { readonly mappingRoot: number; readonly detailsRoot: number } | null;
  readonly mappingRoot: number;
  /** Each device's root and number of mappings (TreeRoots::InCore); empty for a pair. */
  readonly devices: ReadonlyMap<number, { readonly root: number; readonly mappings: bigint }>;
  readonly time: number;
  readonly transactionId: bigint;
  readonly nrDataBlocks: bigint;
}

const U64 = (n: bigint): bigint => BigInt.asUintN(64, n);

/** to_found_roots: the tid in a superblock is one ahead of its devices' (a u64 add, wrapping in a release build). */
function toFoundRoots(dev: Candidate1x, details: Candidate1x): FoundRoots {
  return {
    pair: { mappingRoot: dev.block, detailsRoot: details.block },
    mappingRoot: dev.block,
    devices: new Map(),
    time: Math.max(dev.stats.age, details.stats.age),
    transactionId: U64(details.stats.maxTid + 1n),
    nrDataBlocks: U64(dev.stats.highest + 1n),
  };
}

/** A device id past this is cut to a u32 by the dump (`thin_id as u32`): not modelled. */
const MAX_THIN_ID = 0xffff_ffffn;

/**
 * to_partial_found_roots: each device of the mapping tree (read by btree_to_map, non-fatal
 * problems let pass), with the mappings the search counted below its root; a string where the
 * lab does not model how this fails.
 */
function toPartialFoundRoots(md: MetadataBytes, dev: Candidate1x, found: RootPairs1x): FoundRoots | string {
  const roots: [bigint, bigint][] = [];
  const walked = walkTree1x(md, dev.block, ROOT_VALUE_SIZE, (k, at) => roots.push([k, md.u64Big(at)]), {
    path: [],
    ignoreNonFatal: true,
  });
  if (!walked.ok) return `a mapping tree the root search found that its walker then fails on (${walked.error})`;
  const devices = new Map<number, { root: number; mappings: bigint }>();
  for (const [id, root] of roots) {
    const mappings = root < BigInt(md.nrBlocks) ? found.mappingsBelow(Number(root)) : null;
    if (mappings === null) return 'a device of a mapping tree found whose root the search did not read as a subtree';
    if (id > MAX_THIN_ID) return 'a device id of 2^32 or more in a mapping tree found';
    devices.set(Number(id), { root: Number(root), mappings });
  }
  return {
    pair: null,
    mappingRoot: dev.block,
    devices,
    time: dev.stats.age + 1,
    transactionId: 1n,
    nrDataBlocks: U64(dev.stats.highest + 1n),
  };
}

/** check_data_block_size: 64 KiB to 1 GiB, in sectors, a multiple of 64 KiB. */
export const validDataBlockSize1x = (sectors: number): boolean =>
  sectors >= 128 && sectors <= 2097152 && (sectors & 0x7f) === 0;

/** The superblock on disk as rebuild_superblock takes from it (its `ref_sb`). */
interface ReferenceSuperblock {
  readonly time: number;
  readonly transactionId: bigint;
  readonly dataBlockSize: number;
  readonly nrDataBlocks: bigint;
}

/** rebuild_superblock: the overrides first, then the superblock on disk, each checked against the roots found. */
function rebuild(
  roots: FoundRoots,
  ref: ReferenceSuperblock | null,
  overrides: RepairOverrides1x,
  warning: string | null,
): RepairSource {
  const dataBlockSize = overrides.dataBlockSize ?? ref?.dataBlockSize;
  if (dataBlockSize === undefined)
    return {
      kind: 'failed',
      warning,
      message: 'data block size needs to be provided due to corruption in the superblock\n',
    };
  if (!validDataBlockSize1x(dataBlockSize)) return { kind: 'failed', warning, message: 'invalid data block size\n' };
  const tid = overrides.transactionId ?? ref?.transactionId;
  const nr = overrides.nrDataBlocks ?? ref?.nrDataBlocks;
  const head: RebuiltHead1x = {
    time: ref === null ? roots.time : Math.max(ref.time, roots.time),
    transactionId: tid !== undefined && tid > roots.transactionId ? tid : roots.transactionId,
    flags: 0,
    version: 2,
    dataBlockSize,
    nrDataBlocks: nr !== undefined && nr > roots.nrDataBlocks ? nr : roots.nrDataBlocks,
  };
  if (roots.pair !== null) return { kind: 'on-disk', warning: null, head, ...roots.pair };
  // build_devices: the highest tid among the devices is below the superblock's (saturating).
  const deviceTid = head.transactionId > 0n ? head.transactionId - 1n : 0n;
  const devices = new Map(
    [...roots.devices].map(([id, d]) => [
      id,
      {
        root: d.root,
        details: {
          mappedBlocks: Number(d.mappings),
          transactionId: deviceTid,
          creationTime: roots.time,
          snapshottedTime: roots.time,
        },
      },
    ]),
  );
  return { kind: 'in-core', warning: warning ?? '', head, mappingRoot: roots.mappingRoot, devices };
}

/**
 * What 1.1.0's repair rebuilds from `md`, once its search has ended without a panic and found a
 * mapping tree (repair-scan-1x.ts rootSearchEnding): the superblock as it is, a superblock rebuilt
 * around the first roots found, or how that fails; the warning find_roots printed, if any.
 */
export function findRepairSource(md: MetadataBytes, overrides: RepairOverrides1x = {}): RepairSource {
  const found = rootPairs1x(md);
  if (found === null)
    return {
      kind: 'unmodelled',
      warning: null,
      why: 'a root search among more than 20 candidate trees, two of which tie in the order 1.1.0 sorts them (unstably)',
    };
  let warning: string | null = null;
  let first: FoundRoots;
  if (found.pairs.length > 0) first = toFoundRoots(...found.pairs[0]!);
  else {
    warning = `found ${found.devs.length} mapping trees without device details\n`;
    // find_roots makes the partial roots of every mapping tree, and fails if any fails.
    const partial = found.devs.map((dev) => toPartialFoundRoots(md, dev, found));
    const failed = partial.find((p) => typeof p === 'string');
    if (typeof failed === 'string') return { kind: 'unmodelled', warning, why: failed };
    first = partial[0] as FoundRoots;
  }
  const sb = md.superblock(0);
  if (sb.storedCsum !== sb.computedCsum) return rebuild(first, null, overrides, warning);
  const consistent = found.pairs.some(
    ([dev, details]) => dev.block === sb.dataMappingRoot && details.block === sb.deviceDetailsRoot,
  );
  if (consistent) return { kind: 'as-is', warning: null };
  const ref: ReferenceSuperblock = {
    time: sb.time,
    transactionId: sb.transactionId,
    dataBlockSize: sb.dataBlockSize,
    nrDataBlocks: md.u64Big(SB.dataSpaceMapRoot + SM_ROOT.nrBlocks),
  };
  return rebuild(first, ref, overrides, warning);
}
