/**
 * The nodes of the bottom-level mapping trees as 1.1.0 collects them before it reads the leaves
 * (`collect_nodes_in_use` of src/thin/check.rs and src/thin/ls.rs): the internal nodes and leaves
 * reached from the devices' roots, each once however many devices share it, a damaged node left
 * out of both. thin_check and thin_ls print the two counts with -v (`nr internal nodes: 3`, `nr
 * leaves: 372`); thin_ls adds `nr exclusive leaves`, the leaves its metadata space map counts
 * once. That count takes one reference for each root in the list and one for each child pointer
 * of each internal node read (a shared internal node is read once, so the leaves below it stay
 * exclusive; a leaf two parents point at does not).
 */
import { BLOCK_SIZE, LEAF_NODE, MAPPING_VALUE_SIZE, NODE } from '../format/layout.js';
import type { MetadataBytes } from './metadata-view.js';

export interface CollectedNodes1x {
  readonly internal: ReadonlySet<number>;
  readonly leaves: ReadonlySet<number>;
}

export function collectedNodes1x(md: MetadataBytes, roots: readonly number[]): CollectedNodes1x {
  const internal = new Set<number>();
  const leaves = new Set<number>();
  const damaged = new Set<number>();
  for (const root of roots)
    md.walkBtree(
      root,
      MAPPING_VALUE_SIZE,
      () => undefined,
      (d) => damaged.add(d.block),
      (block) => {
        (md.u32(block * BLOCK_SIZE + NODE.flags) === LEAF_NODE ? leaves : internal).add(block);
      },
    );
  for (const block of damaged) {
    internal.delete(block);
    leaves.delete(block);
  }
  return { internal, leaves };
}

/** How many of the collected leaves 1.1.0's metadata space map counts once (thin_ls's exclusive leaves). */
export function exclusiveLeaves1x(md: MetadataBytes, roots: readonly number[], nodes: CollectedNodes1x): number {
  const refs = new Map<number, number>();
  const take = (b: number): void => {
    refs.set(b, (refs.get(b) ?? 0) + 1);
  };
  for (const root of roots) take(root);
  for (const block of nodes.internal) {
    const at = block * BLOCK_SIZE;
    const nr = md.u32(at + NODE.nrEntries);
    const valuesAt = at + NODE.header + md.u32(at + NODE.maxEntries) * 8;
    for (let i = 0; i < nr; i++) take(md.pointer(valuesAt + i * 8));
  }
  return [...nodes.leaves].filter((b) => refs.get(b) === 1).length;
}
