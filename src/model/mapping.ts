/**
 * One thin device's mappings: virtual block -> (data block, time stamp).
 *
 * The kernel keeps these in a copy-on-write btree whose nodes are shared between a snapshot and its
 * origin and between the live transaction and the last commit. This table does the same with fixed
 * pages of {@link PAGE_BLOCKS} virtual blocks: a page is written in place only if it was created in
 * the current generation; otherwise it is cloned first ("shadowed"). The generation advances at every
 * commit and every snapshot, so a committed page or a page shared with a snapshot is never changed
 * under its other owners. Typed arrays keep the cost at 8 bytes per mapping instead of an object.
 */
import { assert } from './assert.js';

export const PAGE_BLOCKS = 256;
const UNMAPPED = 0;

export class MappingPage {
  /** Data block + 1, or 0 when the virtual block is unmapped. */
  readonly dataPlusOne: Uint32Array;
  readonly time: Uint32Array;
  count: number;
  generation: number;

  constructor(generation: number, from?: MappingPage) {
    this.generation = generation;
    if (from) {
      this.dataPlusOne = Uint32Array.from(from.dataPlusOne);
      this.time = Uint32Array.from(from.time);
      this.count = from.count;
    } else {
      this.dataPlusOne = new Uint32Array(PAGE_BLOCKS);
      this.time = new Uint32Array(PAGE_BLOCKS);
      this.count = 0;
    }
  }
}

/** A visitor's view of one mapping. */
export interface Mapping {
  readonly virtualBlock: number;
  readonly dataBlock: number;
  readonly time: number;
}

/** Mappings a leaf holds on average: thin_metadata_size assumes half-full leaves (252 / 2). */
export const MAPPINGS_PER_LEAF = 126;

/** Leaf blocks a page stands for in the metadata estimate. */
export const leavesOf = (page: MappingPage): number => Math.ceil(page.count / MAPPINGS_PER_LEAF);

/**
 * Told about every change that moves the metadata estimate, so that the estimate costs O(1) per
 * write instead of a walk over every page.
 */
export interface PageAccounting {
  pageReplaced(old: MappingPage | undefined, next: MappingPage | undefined): void;
  leavesChanged(delta: number): void;
  undoRecorded(): void;
  /**
   * Empty trees are one root block each, shared by snapshots of an empty device: the token stands
   * for that block, and the accounting counts distinct tokens.
   */
  emptyRootAcquired(token: object): void;
  emptyRootReleased(token: object): void;
}

export class MappingTable {
  private readonly pages: Map<number, MappingPage>;
  accounting: PageAccounting | null = null;
  /** Non-null exactly when the table is empty: the identity of its (possibly shared) root block. */
  emptyRootToken: object | null;
  /**
   * The identity of the tree's root node: shared with a snapshot until either side changes a
   * mapping. The kernel keeps root reference counts above 2 in an overflow tree, which costs a
   * metadata block when a third device shares a root.
   */
  rootToken: object;
  /** The page each touched slot held at the last commit (undefined = absent), for rollback. */
  private undo = new Map<number, MappingPage | undefined>();

  constructor(pages?: Map<number, MappingPage>, emptyRootToken?: object | null, rootToken?: object) {
    this.pages = pages ?? new Map();
    this.emptyRootToken = this.pages.size > 0 ? null : (emptyRootToken ?? {});
    this.rootToken = rootToken ?? {};
  }

  /** A table that shares every page with this one (a snapshot's tree). */
  shareAll(): MappingTable {
    return new MappingTable(new Map(this.pages), this.emptyRootToken, this.rootToken);
  }

  /** Data block mapped at `vb`, or -1. */
  lookupData(vb: number): number {
    const page = this.pages.get(Math.floor(vb / PAGE_BLOCKS));
    if (page === undefined) return -1;
    return page.dataPlusOne[vb % PAGE_BLOCKS]! - 1;
  }

  lookupTime(vb: number): number {
    const page = this.pages.get(Math.floor(vb / PAGE_BLOCKS));
    return page === undefined ? 0 : page.time[vb % PAGE_BLOCKS]!;
  }

  /** Sets the mapping; returns the data block it replaced, or -1. */
  insert(vb: number, dataBlock: number, time: number, generation: number): number {
    const page = this.writablePage(Math.floor(vb / PAGE_BLOCKS), generation);
    const slot = vb % PAGE_BLOCKS;
    const old = page.dataPlusOne[slot]! - 1;
    if (old < 0) {
      if (page.count % MAPPINGS_PER_LEAF === 0) this.accounting?.leavesChanged(1);
      page.count++;
    }
    page.dataPlusOne[slot] = dataBlock + 1;
    page.time[slot] = time;
    return old;
  }

  /** Removes the mapping; returns the data block it held, or -1 if none. */
  remove(vb: number, generation: number): number {
    const index = Math.floor(vb / PAGE_BLOCKS);
    const existing = this.pages.get(index);
    if (existing === undefined) return -1;
    const slot = vb % PAGE_BLOCKS;
    if (existing.dataPlusOne[slot] === UNMAPPED) return -1;
    const page = this.writablePage(index, generation);
    const old = page.dataPlusOne[slot]! - 1;
    page.dataPlusOne[slot] = UNMAPPED;
    page.time[slot] = 0;
    page.count--;
    if (page.count % MAPPINGS_PER_LEAF === 0) this.accounting?.leavesChanged(-1);
    if (page.count === 0) this.setPage(index, undefined);
    return old;
  }

  /** Calls `visit` for every mapping in increasing virtual block order. */
  forEach(visit: (vb: number, dataBlock: number, time: number) => void): void {
    // A table of one page (every small thin) needs no sorted copy of the page numbers: the
    // property tests walk every table after every command. Only that one page is visited.
    if (this.pages.size === 1) {
      for (const index of this.pages.keys()) return MappingTable.visitPage(index, this.pages.get(index)!, visit);
    }
    const indexes = [...this.pages.keys()].sort((a, b) => a - b);
    for (const index of indexes) MappingTable.visitPage(index, this.pages.get(index)!, visit);
  }

  private static visitPage(
    index: number,
    page: MappingPage,
    visit: (vb: number, dataBlock: number, time: number) => void,
  ): void {
    const base = index * PAGE_BLOCKS;
    for (let slot = 0; slot < PAGE_BLOCKS; slot++) {
      const d = page.dataPlusOne[slot]!;
      if (d !== UNMAPPED) visit(base + slot, d - 1, page.time[slot]!);
    }
  }

  /** Mappings with `begin <= vb < end`, in order. */
  forEachInRange(begin: number, end: number, visit: (vb: number, dataBlock: number, time: number) => void): void {
    if (end <= begin) return;
    const first = Math.floor(begin / PAGE_BLOCKS);
    const last = Math.floor((end - 1) / PAGE_BLOCKS);
    if (last - first > this.pages.size) {
      this.forEach((vb, d, t) => {
        if (vb >= begin && vb < end) visit(vb, d, t);
      });
      return;
    }
    for (let index = first; index <= last; index++) {
      const page = this.pages.get(index);
      if (page === undefined) continue;
      const base = index * PAGE_BLOCKS;
      const from = Math.max(begin - base, 0);
      const to = Math.min(end - base, PAGE_BLOCKS);
      for (let slot = from; slot < to; slot++) {
        const d = page.dataPlusOne[slot]!;
        if (d !== UNMAPPED) visit(base + slot, d - 1, page.time[slot]!);
      }
    }
  }

  count(): number {
    let n = 0;
    for (const page of this.pages.values()) n += page.count;
    return n;
  }

  /** Highest mapped virtual block, or -1. */
  highest(): number {
    let best = -1;
    for (const index of this.pages.keys()) if (index > best) best = index;
    if (best < 0) return -1;
    const page = this.pages.get(best)!;
    for (let slot = PAGE_BLOCKS - 1; slot >= 0; slot--) {
      if (page.dataPlusOne[slot] !== UNMAPPED) return best * PAGE_BLOCKS + slot;
    }
    assert(false, 'a stored page is never empty');
  }

  /** The distinct page objects, for metadata accounting (shared pages count once). */
  pageObjects(): IterableIterator<MappingPage> {
    return this.pages.values();
  }

  get pagesTouchedThisTransaction(): number {
    return this.undo.size;
  }

  /** Forgets the undo log: the current pages are now the committed ones. */
  commit(): void {
    this.undo = new Map();
  }

  /** Restores the pages the table had at the last commit. */
  rollback(): void {
    const wasEmpty = this.pages.size === 0;
    for (const [index, page] of this.undo) {
      this.accounting?.pageReplaced(this.pages.get(index), page);
      if (page === undefined) this.pages.delete(index);
      else this.pages.set(index, page);
    }
    this.emptinessChanged(wasEmpty, this.pages.size === 0);
    this.undo = new Map();
  }

  /** A frozen copy of the committed view (the current pages with the undo log applied). */
  committedView(): MappingTable {
    const pages = new Map(this.pages);
    for (const [index, page] of this.undo) {
      if (page === undefined) pages.delete(index);
      else pages.set(index, page);
    }
    return new MappingTable(pages, this.emptyRootToken);
  }

  private writablePage(index: number, generation: number): MappingPage {
    const page = this.pages.get(index);
    if (page !== undefined && page.generation === generation) return page;
    const fresh = new MappingPage(generation, page);
    this.setPage(index, fresh);
    return fresh;
  }

  private setPage(index: number, page: MappingPage | undefined): void {
    const old = this.pages.get(index);
    this.rootToken = {};
    if (!this.undo.has(index)) {
      this.undo.set(index, old);
      this.accounting?.undoRecorded();
    }
    this.accounting?.pageReplaced(old, page);
    const wasEmpty = this.pages.size === 0;
    if (page === undefined) this.pages.delete(index);
    else this.pages.set(index, page);
    this.emptinessChanged(wasEmpty, this.pages.size === 0);
  }

  private emptinessChanged(wasEmpty: boolean, isEmpty: boolean): void {
    if (wasEmpty === isEmpty) return;
    if (isEmpty) {
      this.emptyRootToken = {};
      this.accounting?.emptyRootAcquired(this.emptyRootToken);
    } else {
      if (this.emptyRootToken !== null) this.accounting?.emptyRootReleased(this.emptyRootToken);
      this.emptyRootToken = null;
    }
  }
}
