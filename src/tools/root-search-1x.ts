/**
 * What thin_repair and thin_dump --repair of thin-provisioning-tools 1.1.0 rebuild from: 1.1.0 does
 * not salvage what it can read below the superblock's roots, as 0.9.0 did. It scans the whole
 * device for trees that read whole (`find_roots` in src/thin/metadata_repair.rs): top-level mapping
 * trees and details trees no other node refers to, and pairs a mapping tree with a details tree of
 * the same device ids and the same number of mappings. With a pair and a sound superblock naming
 * it, the superblock is used as it is. With no pair but a mapping tree, it warns
 * "found N mapping trees without device details" and makes up every device's details (all created
 * and snapshotted at the tree's age + 1, so that every mapping counts as shared). With no mapping
 * tree at all: "no compatible roots found", status 64 (thin-provisioning-tools#265, #311).
 *
 * The lab writes its metadata afresh, so its images hold no older trees: the only candidates are
 * the superblock's own trees, and a tree with any damaged node reads as no candidate. Images with
 * a held metadata snapshot (whose trees are candidates too, ordered by their mappings' times) are
 * not modelled: `unmodelled`, which the tools refuse by name.
 */
import { ROOT_VALUE_SIZE } from '../format/layout.js';
import type { BuiltDevice, BuiltSuperblock } from './metadata-output.js';
import type { DetailsValue, MetadataBytes, RawSuperblock } from './metadata-view.js';
import { repairScan, rootPairs1x } from './repair-scan-1x.js';

export type RepairSource =
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'unmodelled' }
  /** The superblock's own trees pair: it is used as it is. */
  | { readonly kind: 'as-is' }
  | {
      readonly kind: 'rebuilt';
      /** The warning 1.1.0 prints before it goes on ("found 1 mapping trees without device details"). */
      readonly warning: string | null;
      readonly sb: BuiltSuperblock;
      readonly devices: Map<number, BuiltDevice>;
      /** The top-level mapping tree the devices come from. */
      readonly mappingRoot: number;
    };

/** A top-level mapping tree that reads whole: each device's mappings, and their highest data block and time. */
interface MappingCandidate {
  readonly mappings: Map<number, BuiltDevice['mappings']>;
  readonly nrMappings: number;
  readonly age: number;
  readonly highestDataBlock: number;
}

function mappingCandidate(md: MetadataBytes, sb: RawSuperblock): MappingCandidate | null {
  let damaged = false;
  const onDamage = (): void => {
    damaged = true;
  };
  const roots = md.deviceRoots(sb.dataMappingRoot, onDamage);
  const mappings = new Map<number, BuiltDevice['mappings']>();
  let nrMappings = 0;
  let age = 0;
  let highestDataBlock = 0;
  for (const [id, root] of roots) {
    const list = md.mappings(root, onDamage);
    for (const m of list) {
      age = Math.max(age, m.time);
      highestDataBlock = Math.max(highestDataBlock, m.dataBlock);
    }
    nrMappings += list.length;
    mappings.set(id, [...list]);
  }
  return damaged || roots.size === 0 ? null : { mappings, nrMappings, age, highestDataBlock };
}

/** How many nodes of the top-level mapping tree can be read. */
function topLevelNodes(md: MetadataBytes, sb: RawSuperblock): number {
  let nodes = 0;
  md.walkBtree(
    sb.dataMappingRoot,
    ROOT_VALUE_SIZE,
    () => undefined,
    () => undefined,
    () => {
      nodes++;
    },
  );
  return nodes;
}

function detailsCandidate(md: MetadataBytes, sb: RawSuperblock): Map<number, DetailsValue> | null {
  let damaged = false;
  const details = md.details(sb.deviceDetailsRoot, () => {
    damaged = true;
  });
  return damaged || details.size === 0 ? null : details;
}

/** Whether a details tree pairs with a mapping tree: the same device ids, and as many mappings in all. */
function pairs(details: ReadonlyMap<number, DetailsValue>, candidate: MappingCandidate): boolean {
  const ids = (m: ReadonlyMap<number, unknown>): string => [...m.keys()].join();
  const mapped = [...details.values()].reduce((n, d) => n + d.mappedBlocks, 0);
  return ids(details) === ids(candidate.mappings) && mapped === candidate.nrMappings;
}

/**
 * What 1.1.0's repair rebuilds from `md`, whose superblock reads (the callers handle one that does
 * not): the superblock as it is, a superblock rebuilt around the trees found, or its failure.
 */
export function findRepairSource(md: MetadataBytes): RepairSource {
  const sb = md.superblock(0);
  const elsewhere = candidateElsewhere(md, sb);
  if (elsewhere !== null) return elsewhere;
  const candidate = mappingCandidate(md, sb);
  // A held snapshot's trees are candidates too: only the case where the live ones pair is known.
  // A top-level tree of more than one node is searched subtree by subtree, which finds parts of
  // it (seen on the tools' big image): only a one-node top level that fails is known to find none.
  if (candidate === null)
    return sb.heldRoot === 0 && topLevelNodes(md, sb) <= 1
      ? { kind: 'failed', message: 'no compatible roots found\n' }
      : { kind: 'unmodelled' };
  const details = detailsCandidate(md, sb);
  if (details !== null && pairs(details, candidate)) return { kind: 'as-is' };
  return sb.heldRoot === 0 ? partialRoots(sb, candidate, sb.dataMappingRoot) : { kind: 'unmodelled' };
}

/**
 * Where the search (repair-scan-1x.ts) does not find the superblock's own top-level tree, the
 * lab's reading of the superblock's trees is not what 1.1.0 rebuilds from (seed 17 cases 6655,
 * 6837, 6963: a flip leaves a subtree of the top level as the one candidate, and the real dump
 * makes up the details of that subtree's devices). One candidate with no details tree to pair is
 * rebuilt from as to_partial_found_roots does; anything else there is refused by name. Null where
 * the superblock's own tree is a candidate (or the search found none, which the callers report).
 */
function candidateElsewhere(md: MetadataBytes, sb: RawSuperblock): RepairSource | null {
  // The candidates in no order first: the order (rootPairs1x) is unknown where 1.1.0's sort ties.
  const scan = repairScan(md);
  if (!('devRoots' in scan) || scan.devRoots.length === 0 || scan.devRoots.includes(sb.dataMappingRoot)) return null;
  if (sb.heldRoot !== 0 || scan.devRoots.length !== 1) return { kind: 'unmodelled' };
  const found = rootPairs1x(md);
  if (found === null || found.pairs.length > 0) return { kind: 'unmodelled' };
  const root = scan.devRoots[0]!;
  const candidate = mappingCandidate(md, { ...sb, dataMappingRoot: root });
  return candidate === null ? { kind: 'unmodelled' } : partialRoots(sb, candidate, root);
}

/**
 * 1.1.0's `to_partial_found_roots` and `rebuild_superblock`: every device's details are made up,
 * transaction 1 (or the superblock's, when higher) and the tree's age + 1 as the time.
 */
function partialRoots(sb: RawSuperblock, candidate: MappingCandidate, mappingRoot: number): RepairSource {
  const foundTime = candidate.age + 1;
  const transactionId = sb.transactionId > 1n ? sb.transactionId : 1n;
  const nrDataBlocks = Math.max(sb.dataSm.nrBlocks, candidate.highestDataBlock + 1);
  const devices = new Map<number, BuiltDevice>();
  for (const [id, mappings] of candidate.mappings)
    devices.set(id, {
      details: {
        mappedBlocks: mappings.length,
        transactionId: transactionId - 1n,
        creationTime: foundTime,
        snapshottedTime: foundTime,
      },
      mappings,
    });
  return {
    kind: 'rebuilt',
    warning: 'found 1 mapping trees without device details\n',
    sb: {
      time: Math.max(sb.time, foundTime),
      transactionId,
      flags: 0,
      version: 2,
      dataBlockSize: sb.dataBlockSize,
      nrDataBlocks,
    },
    devices,
    mappingRoot,
  };
}
