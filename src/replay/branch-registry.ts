/**
 * The branch registry: which branches a lab database holds, what each one starts from, and which
 * one is the head, kept as events of one stream (`lab-registry`).
 *
 * Every change (a branch created, the head moved, branches deleted) is one append to that stream
 * with the registry's last revision as the expected revision. That makes each change atomic on
 * both adapters (one SQLite transaction; one expected-revision append on KurrentDB) and makes two
 * writers that read the same registry conflict instead of both succeeding: the loser re-reads and
 * decides again (another name, or BRANCH_EXISTS).
 *
 * Databases written before the registry existed kept the same facts in stream metadata (`lab-head`
 * and one `lab-branch-NAME` entry per branch). They are read as they are (a read-only command
 * writes nothing) and copied into the registry by the first write, in the same append as that
 * write.
 *
 * This module is pure: it folds registry events into a state and checks them. A registry that
 * breaks a rule (a parent that does not exist, a cycle, a size out of range) is a damaged
 * database: STORE_CORRUPT naming what is wrong.
 */
import { isModelMutation, type ModelMutation } from '../model/mutations.js';
import { DEFAULT_STACK, isStackId, STACK_IDS, type StackId } from '../model/stack.js';
import { StoreError } from '../store/errors.js';

export const REGISTRY_STREAM = 'lab-registry';
/** The metadata stream of databases written before the registry (head and branch list). */
export const LEGACY_HEAD_STREAM = 'lab-head';
export const BRANCH_STREAM_PREFIX = 'lab-branch-';

/** RAM-disk sizes a lab accepts, in KiB: at least one KiB, at most 4 TiB (the model's sparse disks hold that). */
export const MIN_RAMDISK_KB = 1;
export const MAX_RAMDISK_KB = 4 * 1024 * 1024 * 1024;

/** What made a branch: `--prune` removes only those made by run, whatif and the demos. */
export type BranchOrigin = 'sh' | 'rollback' | 'run' | 'whatif' | 'demo' | 'legacy';
export const PRUNABLE_ORIGINS: readonly BranchOrigin[] = ['run', 'whatif', 'demo'];
const ORIGINS: readonly BranchOrigin[] = ['sh', 'rollback', 'run', 'whatif', 'demo', 'legacy'];

export interface BranchInfo {
  readonly name: string;
  readonly stream: string;
  readonly parent: string | null;
  /** Events of the parent this branch starts from. */
  readonly forkPosition: number;
  readonly ramdiskKb: number;
  /**
   * The software stack the branch was recorded on (src/model/stack.ts): a replay rebuilds the lab
   * on it, and a branch made from this one inherits it. Records written before stacks existed have
   * none and read as debian12, the only stack there was.
   */
  readonly stack: StackId;
  /** Deliberate model bugs the branch was recorded with (mutation suite scenarios only). */
  readonly mutations: readonly ModelMutation[];
  readonly origin: BranchOrigin;
}

/** A registry event's payload, by type. */
export type RegistryEvent =
  | { readonly type: 'BranchCreated'; readonly data: BranchInfo & { readonly head: boolean } }
  | { readonly type: 'HeadMoved'; readonly data: { readonly name: string } }
  | { readonly type: 'BranchDeleted'; readonly data: { readonly name: string; readonly head: string | null } };

export interface RegistryState {
  /** The registry stream's last revision (null: no registry events yet). */
  readonly revision: bigint | null;
  /** Branches in creation order. */
  readonly branches: ReadonlyMap<string, BranchInfo>;
  readonly head: string | null;
  /** Every stream a branch ever used, deleted ones included: a new branch never reuses one. */
  readonly usedStreams: ReadonlySet<string>;
  /** Registry events that a write must store first (a legacy database's branches), else empty. */
  readonly pendingImport: readonly RegistryEvent[];
}

export const emptyRegistry = (): RegistryState => ({
  revision: null,
  branches: new Map(),
  head: null,
  usedStreams: new Set(),
  pendingImport: [],
});

export function checkBranchName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name);
}

const corrupt = (what: string): StoreError =>
  new StoreError('STORE_CORRUPT', `the branch registry is damaged: ${what}`);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function isRamdiskKb(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= MIN_RAMDISK_KB && v <= MAX_RAMDISK_KB;
}

/** Checks a stored branch record field by field; `where` names it in the error. */
export function readBranchInfo(d: Record<string, unknown>, where: string): BranchInfo {
  const name = d.name;
  if (typeof name !== 'string' || !checkBranchName(name)) throw corrupt(`${where} has a bad branch name`);
  if (typeof d.stream !== 'string' || !d.stream.startsWith(BRANCH_STREAM_PREFIX))
    throw corrupt(`${where} (branch '${name}') has a bad stream '${String(d.stream)}'`);
  if (d.parent !== null && typeof d.parent !== 'string') throw corrupt(`${where} (branch '${name}') has a bad parent`);
  if (!isCount(d.forkPosition)) throw corrupt(`${where} (branch '${name}') has a bad fork position`);
  if (!isRamdiskKb(d.ramdiskKb))
    throw corrupt(
      `${where} (branch '${name}') has a RAM-disk size of ${JSON.stringify(d.ramdiskKb)} KiB (allowed ${MIN_RAMDISK_KB}..${MAX_RAMDISK_KB})`,
    );
  const stack = d.stack ?? DEFAULT_STACK;
  if (typeof stack !== 'string' || !isStackId(stack))
    throw corrupt(
      `${where} (branch '${name}') has an unknown stack ${JSON.stringify(stack)} (stacks: ${STACK_IDS.join(', ')})`,
    );
  const mutations = d.mutations ?? [];
  if (!Array.isArray(mutations) || !mutations.every((m) => typeof m === 'string' && isModelMutation(m)))
    throw corrupt(`${where} (branch '${name}') has unknown model mutations`);
  const origin = d.origin ?? 'legacy';
  if (!ORIGINS.includes(origin as BranchOrigin)) throw corrupt(`${where} (branch '${name}') has a bad origin`);
  if (d.parent === null && d.forkPosition !== 0)
    throw corrupt(`${where} (branch '${name}') has no parent but starts at position ${d.forkPosition}`);
  return {
    name,
    stream: d.stream,
    parent: d.parent as string | null,
    forkPosition: d.forkPosition,
    ramdiskKb: d.ramdiskKb,
    stack,
    mutations: mutations as ModelMutation[],
    origin: origin as BranchOrigin,
  };
}

interface MutableState {
  revision: bigint | null;
  branches: Map<string, BranchInfo>;
  head: string | null;
  usedStreams: Set<string>;
}

/** Applies one registry event, checking it against the state so far. */
export function applyRegistryEvent(
  state: RegistryState,
  type: string,
  data: unknown,
  where: string,
): Omit<RegistryState, 'pendingImport'> {
  const s: MutableState = {
    revision: state.revision,
    branches: new Map(state.branches),
    head: state.head,
    usedStreams: new Set(state.usedStreams),
  };
  applyInPlace(s, type, data, where);
  return s;
}

function applyInPlace(s: MutableState, type: string, data: unknown, where: string): void {
  if (typeof data !== 'object' || data === null) throw corrupt(`${where} (${type}) has no data`);
  const d = data as Record<string, unknown>;
  switch (type) {
    case 'BranchCreated': {
      const info = readBranchInfo(d, where);
      if (s.branches.has(info.name)) throw corrupt(`${where} creates branch '${info.name}' a second time`);
      if (info.parent !== null && !s.branches.has(info.parent))
        throw corrupt(`${where}: branch '${info.name}' starts from '${info.parent}', which does not exist`);
      if (s.usedStreams.has(info.stream)) throw corrupt(`${where}: stream '${info.stream}' is used twice`);
      s.branches.set(info.name, info);
      s.usedStreams.add(info.stream);
      if (d.head === true) s.head = info.name;
      return;
    }
    case 'HeadMoved': {
      if (typeof d.name !== 'string' || !s.branches.has(d.name))
        throw corrupt(`${where} moves the head to '${String(d.name)}', which does not exist`);
      s.head = d.name;
      return;
    }
    case 'BranchDeleted': {
      if (typeof d.name !== 'string' || !s.branches.has(d.name))
        throw corrupt(`${where} deletes '${String(d.name)}', which does not exist`);
      const name = d.name;
      const child = [...s.branches.values()].find((b) => b.parent === name);
      if (child !== undefined) throw corrupt(`${where} deletes '${name}', which '${child.name}' starts from`);
      s.branches.delete(name);
      if (d.head !== null && (typeof d.head !== 'string' || !s.branches.has(d.head)))
        throw corrupt(`${where} leaves the head on '${String(d.head)}', which does not exist`);
      s.head = d.head as string | null;
      return;
    }
    default:
      throw corrupt(`${where} is an unknown registry event '${type}'`);
  }
}

/** Folds the registry's events, in order, into a state. */
export function foldRegistry(
  events: Iterable<{ readonly type: string; readonly data: unknown; readonly revision: bigint }>,
): RegistryState {
  const s: MutableState = { revision: null, branches: new Map(), head: null, usedStreams: new Set() };
  let expected = 0n;
  for (const e of events) {
    if (e.revision !== expected) throw corrupt(`event ${expected} is missing`);
    applyInPlace(s, e.type, e.data, `registry event ${e.revision}`);
    s.revision = e.revision;
    expected++;
  }
  return { ...s, pendingImport: [] };
}

/**
 * A legacy database (branch list and head in `lab-head`'s metadata, one metadata entry per
 * branch stream): the registry events that say the same thing, parents first. A branch whose
 * metadata was never written (a crash between the two writes) is left out, as is a branch
 * metadata entry the list does not name; a parent that is missing or a cycle is damage.
 */
export function legacyImport(
  headMeta: Readonly<Record<string, unknown>> | null,
  branchMeta: ReadonlyMap<string, Readonly<Record<string, unknown>> | null>,
): RegistryEvent[] {
  if (headMeta === null) return [];
  const listed = Array.isArray(headMeta.branches) ? headMeta.branches : [];
  const records = new Map<string, BranchInfo>();
  for (const name of listed) {
    if (typeof name !== 'string' || !checkBranchName(name)) throw corrupt(`lab-head lists a bad branch name`);
    const meta = branchMeta.get(name) ?? null;
    if (meta === null || meta.kind !== 'thinlab-branch') continue;
    records.set(
      name,
      readBranchInfo(
        { ...meta, name, stream: `${BRANCH_STREAM_PREFIX}${name}`, ramdiskKb: meta.ramdiskKb ?? 65536 },
        `the metadata of branch '${name}'`,
      ),
    );
  }
  const ordered: BranchInfo[] = [];
  const placed = new Set<string>();
  const place = (b: BranchInfo, path: readonly string[]): void => {
    if (placed.has(b.name)) return;
    if (path.includes(b.name)) throw corrupt(`the branch parents form a cycle: ${[...path, b.name].join(' -> ')}`);
    if (b.parent !== null) {
      const parent = records.get(b.parent);
      if (parent === undefined) throw corrupt(`branch '${b.name}' starts from '${b.parent}', which does not exist`);
      place(parent, [...path, b.name]);
    }
    placed.add(b.name);
    ordered.push(b);
  };
  for (const b of records.values()) place(b, []);
  const head = typeof headMeta.head === 'string' && records.has(headMeta.head) ? headMeta.head : null;
  return ordered.map((b) => ({ type: 'BranchCreated', data: { ...b, head: b.name === head } }));
}

/** The state a legacy import gives, with the import kept pending for the first write. */
export function stateFromLegacy(events: readonly RegistryEvent[]): RegistryState {
  const s: MutableState = { revision: null, branches: new Map(), head: null, usedStreams: new Set() };
  for (const [i, e] of events.entries()) applyInPlace(s, e.type, e.data, `legacy branch ${i}`);
  return { ...s, pendingImport: events };
}

/** Branches that start from `name`. */
export const childrenOf = (state: RegistryState, name: string): BranchInfo[] =>
  [...state.branches.values()].filter((b) => b.parent === name);

/**
 * The stream a new branch gets: `lab-branch-NAME` the first time, and a name no branch ever used
 * (suffixed with the registry revision it is created at) after a branch of that name was deleted.
 */
export function streamForNewBranch(state: RegistryState, name: string): string {
  const plain = `${BRANCH_STREAM_PREFIX}${name}`;
  if (!state.usedStreams.has(plain)) return plain;
  const at = state.revision === null ? 0n : state.revision + 1n;
  return `${plain}~${at}`;
}

/**
 * Branches `--prune` removes: made by run, whatif or a demo, not the head, and nothing left
 * starts from them (a pruned child frees its parent, so this repeats to a fixed point). Children
 * come before their parents, the order the deletions must be stored in.
 */
export function prunable(state: RegistryState): string[] {
  const remaining = new Map(state.branches);
  const out: string[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of [...remaining.values()].reverse()) {
      const hasChild = [...remaining.values()].some((c) => c.parent === b.name);
      if (hasChild || b.name === state.head || !PRUNABLE_ORIGINS.includes(b.origin)) continue;
      remaining.delete(b.name);
      out.push(b.name);
      changed = true;
    }
  }
  return out;
}
