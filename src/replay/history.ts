/**
 * A lab's history in the store: branches, positions, checkpoints, and the state at any position.
 *
 * - A branch is a stream (`lab-branch-<name>`) named in the branch registry (branch-registry.ts),
 *   whose every change is one expected-revision append. `main` starts from an empty lab; a branch
 *   made by `rollback` starts from a position of its parent and holds only the events after it,
 *   so nothing is ever rewritten, and deleting a branch only removes its registry entry.
 * - Position N of a branch is the state after its first N events, counting the parent's events
 *   up to the fork; position 0 is the fresh lab.
 * - Checkpoints (the whole lab state, lab-snapshot.ts) are stored as a checkpoint policy says
 *   (checkpoint-policy.ts: by the events since the last one and that one's size), so reaching any
 *   position replays at most the policy's `maxEvents` events, and a small lab's at most 99.
 */
import { decodeEvent } from '../events/codec.js';
import type { LabEvent } from '../events/lab-events.js';
import type { Lab } from '../lab/lab.js';
import type { ModelMutation } from '../model/mutations.js';
import { DEFAULT_STACK, type StackId } from '../model/stack.js';
import { isStoreError, StoreError } from '../store/errors.js';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import {
  BRANCH_STREAM_PREFIX,
  type BranchInfo,
  type BranchOrigin,
  emptyRegistry,
  foldRegistry,
  checkBranchName as isBranchName,
  isRamdiskKb,
  LEGACY_HEAD_STREAM,
  legacyImport,
  MAX_RAMDISK_KB,
  MIN_RAMDISK_KB,
  prunable,
  REGISTRY_STREAM,
  type RegistryEvent,
  type RegistryState,
  stateFromLegacy,
  streamForNewBranch,
} from './branch-registry.js';
// The lab (shell, Docker, LVM, tools, xstate) is loaded only by what needs a state: listing
// events and branches (`thinlab log`, `branches`) never does, and starts in node's own time.
import type { LabRuntime } from './lab-runtime.js';
import type { LabRuntime as LabRuntimeClass } from './lab-runtime-core.js';
import {
  type CheckpointPolicy,
  checkpointEvery,
  checkpointSpacing,
  DEFAULT_CHECKPOINT_POLICY,
} from './checkpoint-policy.js';
import { appendColumns, type EventSummary, emptyColumns, pushSummary, type SummaryColumns } from './summary-columns.js';

/** The per-event summaries' module reads LVM's state, so it is loaded with the lab, when needed. */
const eventSummaries = () => import('./event-summaries.js');

export const MAIN_BRANCH = 'main';

/** What a replay that loads command domains as it goes does first: after restoring, before each page. */
interface ReplayPreparation {
  restored(lab: Lab): Promise<void>;
  page(events: readonly PositionedEvent[]): Promise<void>;
}
/** How often a registry write re-reads and tries again after another writer got in first. */
const REGISTRY_ATTEMPTS = 100;

export type { BranchInfo, BranchOrigin } from './branch-registry.js';

export class HistoryError extends Error {
  override readonly name = 'HistoryError';
  constructor(
    readonly code:
      | 'UNKNOWN_BRANCH'
      | 'BAD_POSITION'
      | 'BRANCH_EXISTS'
      | 'BAD_BRANCH_NAME'
      | 'BRANCH_IN_USE'
      | 'BRANCH_MOVED'
      | 'BAD_RAMDISK_SIZE',
    message: string,
  ) {
    super(message);
  }
}

export interface PositionedEvent {
  readonly position: number;
  readonly event: LabEvent;
  readonly timeMs: number;
}

export function checkBranchName(name: string): void {
  if (!isBranchName(name)) {
    throw new HistoryError(
      'BAD_BRANCH_NAME',
      `bad branch name '${name}': use letters, digits, '.', '_' or '-' (up to 64)`,
    );
  }
}

export function checkRamdiskKb(kb: number): void {
  if (!isRamdiskKb(kb))
    throw new HistoryError(
      'BAD_RAMDISK_SIZE',
      `a RAM disk of ${kb} KiB is out of range: the lab takes ${MIN_RAMDISK_KB} to ${MAX_RAMDISK_KB} KiB (4 TiB)`,
    );
}

/** How a new branch is named: exactly `name`, or the first free of `stem`, `stem-2`, `stem-3`... */
export type BranchNaming = { readonly name: string } | { readonly first: string; readonly stem: string };

export interface NewBranch {
  readonly naming: BranchNaming;
  readonly parent: string | null;
  readonly forkPosition: number;
  /** Ignored when there is a parent: a branch runs on its parent's machine. */
  readonly ramdiskKb: number;
  /** Ignored when there is a parent, like the size; debian12 unless said. */
  readonly stack?: StackId;
  readonly mutations?: readonly ModelMutation[];
  readonly origin: BranchOrigin;
  /** Makes the new branch the head in the same write. */
  readonly head: boolean;
}

export class History {
  #registry: RegistryState | null = null;
  readonly checkpointPolicy: CheckpointPolicy;
  /**
   * Per stream, where its last checkpoint is (as a length of the stream's own events) and its
   * size, as this process last read or wrote it; null for none. Read once per stream, on the
   * first append that could be due for one.
   */
  readonly #lastCheckpoint = new Map<string, { readonly ownLength: number; readonly bytes: number } | null>();

  /** `checkpoints`: a policy, or a number N for one every N events whatever the lab's size. */
  constructor(
    readonly store: EventStore,
    checkpoints: CheckpointPolicy | number = DEFAULT_CHECKPOINT_POLICY,
  ) {
    this.checkpointPolicy = typeof checkpoints === 'number' ? checkpointEvery(checkpoints) : checkpoints;
  }

  /**
   * The registry as last read. Branch records never change once written, so a reader may keep
   * it; a writer's append carries the revision it read, and re-reads when another process wrote.
   */
  async registry(): Promise<RegistryState> {
    this.#registry ??= await this.#readRegistry();
    return this.#registry;
  }

  async #readRegistry(): Promise<RegistryState> {
    const events: StoredEvent[] = [];
    for await (const e of this.store.readStream(REGISTRY_STREAM)) events.push(e);
    if (events.length > 0) return foldRegistry(events);
    // A database from before the registry: its branches are in stream metadata.
    const headMeta = await this.store.getStreamMetadata(LEGACY_HEAD_STREAM);
    if (headMeta === null) return emptyRegistry();
    const branchMeta = new Map<string, Readonly<Record<string, unknown>> | null>();
    for (const name of Array.isArray(headMeta.branches) ? headMeta.branches : []) {
      if (typeof name === 'string' && isBranchName(name))
        branchMeta.set(name, await this.store.getStreamMetadata(`${BRANCH_STREAM_PREFIX}${name}`));
    }
    return stateFromLegacy(legacyImport(headMeta, branchMeta));
  }

  /**
   * Checks what the registry cannot check alone: every branch's fork position lies within its
   * parent. Commands call this once after opening, so a damaged database is reported as such
   * before anything reads through it.
   */
  async check(): Promise<void> {
    const state = await this.registry();
    for (const b of state.branches.values()) {
      if (b.parent === null) continue;
      const parentLength = await this.length(b.parent);
      if (b.forkPosition > parentLength)
        throw new StoreError(
          'STORE_CORRUPT',
          `the branch registry is damaged: branch '${b.name}' starts at ${b.parent}@${b.forkPosition}, but '${b.parent}' has ${parentLength} events`,
        );
    }
  }

  async branch(name: string): Promise<BranchInfo> {
    const found = (await this.registry()).branches.get(name);
    if (found !== undefined) return found;
    const known = [...(await this.registry()).branches.keys()].join(', ') || 'none yet';
    throw new HistoryError('UNKNOWN_BRANCH', `no branch '${name}' (branches: ${known})`);
  }

  async branches(): Promise<BranchInfo[]> {
    return [...(await this.registry()).branches.values()];
  }

  /** The head branch; when a crash of an old thinlab left none, the newest branch. */
  async head(): Promise<string | null> {
    const state = await this.registry();
    if (state.head !== null) return state.head;
    return [...state.branches.keys()].at(-1) ?? null;
  }

  /**
   * Appends registry events built from the current state, atomically, retrying on a fresh state
   * when another writer changed the registry in between. `decide` may throw (the name is now
   * taken, the branch is gone) or return nothing to write.
   */
  async #writeRegistry<T>(
    decide: (state: RegistryState, retry: number) => Promise<{ events: RegistryEvent[]; result: T }>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.registry();
      const { events, result } = await decide(state, attempt);
      if (events.length === 0) return result;
      const all = [...state.pendingImport, ...events];
      try {
        await this.store.append(
          REGISTRY_STREAM,
          all.map((e) => ({ type: e.type, version: 1, data: e.data, timeMs: 0 })),
          state.revision === null ? 'no_stream' : state.revision,
        );
      } catch (e) {
        if (!isStoreError(e, 'STORE_CONFLICT') || attempt + 1 >= REGISTRY_ATTEMPTS) throw e;
        this.#registry = null;
        continue;
      }
      this.#registry = null;
      return result;
    }
  }

  async setHead(name: string): Promise<void> {
    await this.#writeRegistry(async (state) => {
      if (!state.branches.has(name)) throw this.#unknown(state, name);
      return { events: state.head === name ? [] : [{ type: 'HeadMoved', data: { name } }], result: undefined };
    });
  }

  #unknown(state: RegistryState, name: string): HistoryError {
    const known = [...state.branches.keys()].join(', ') || 'none yet';
    return new HistoryError('UNKNOWN_BRANCH', `no branch '${name}' (branches: ${known})`);
  }

  /**
   * Creates a branch: from nothing (`parent` null) or from a parent's position, in one registry
   * append (with the head move when asked). Two processes creating one name: the first append
   * wins, the second re-reads and gets BRANCH_EXISTS naming the branch the other one made; a
   * default name moves on to the next free one instead.
   */
  async createBranch(spec: NewBranch): Promise<BranchInfo> {
    if ('name' in spec.naming) checkBranchName(spec.naming.name);
    if (spec.parent === null) checkRamdiskKb(spec.ramdiskKb);
    let parentLength = 0;
    if (spec.parent !== null) {
      parentLength = await this.length(spec.parent);
      if (!Number.isSafeInteger(spec.forkPosition) || spec.forkPosition < 0 || spec.forkPosition > parentLength) {
        throw new HistoryError(
          'BAD_POSITION',
          `position ${spec.forkPosition} is outside branch '${spec.parent}' (0..${parentLength})`,
        );
      }
    }
    return this.#writeRegistry(async (state, attempt) => {
      const name = this.#pickName(state, spec.naming, attempt);
      let parent: BranchInfo | null = null;
      if (spec.parent !== null) {
        parent = state.branches.get(spec.parent) ?? null;
        if (parent === null) throw this.#unknown(state, spec.parent);
      }
      let stream = streamForNewBranch(state, name);
      // A stream with events that no branch names (left by a crash of an older thinlab) is never
      // adopted, or its events would become the new branch's: the branch gets a fresh stream.
      if ((await this.store.lastRevision(stream)) !== null)
        stream = `${BRANCH_STREAM_PREFIX}${name}~${state.revision === null ? 0n : state.revision + 1n}`;
      const info: BranchInfo = {
        name,
        stream,
        parent: spec.parent,
        forkPosition: spec.parent === null ? 0 : spec.forkPosition,
        ramdiskKb: parent?.ramdiskKb ?? spec.ramdiskKb,
        stack: parent?.stack ?? spec.stack ?? DEFAULT_STACK,
        mutations: [...(parent?.mutations ?? spec.mutations ?? [])],
        origin: spec.origin,
      };
      return { events: [{ type: 'BranchCreated', data: { ...info, head: spec.head } }], result: info };
    });
  }

  #pickName(state: RegistryState, naming: BranchNaming, attempt: number): string {
    if ('name' in naming) {
      const other = state.branches.get(naming.name);
      if (other === undefined) return naming.name;
      const by = attempt > 0 ? 'another process created it just now' : 'it exists';
      throw new HistoryError(
        'BRANCH_EXISTS',
        `branch '${naming.name}' already exists (${by}: ${describeBranch(other)}); pick another name, or add to it with --continue`,
      );
    }
    if (!state.branches.has(naming.first)) return naming.first;
    for (let i = 2; ; i++) {
      const name = `${naming.stem}-${i}`;
      if (!state.branches.has(name)) return name;
    }
  }

  /**
   * Deletes branches in one registry append. A branch another branch starts from is refused
   * (BRANCH_IN_USE, naming them), so no event another branch needs ever stops being reachable;
   * the deleted branch's own events stay in the store, unreachable, like git's unreferenced
   * objects. When the head goes, the newest remaining branch becomes the head.
   */
  async deleteBranches(names: readonly string[]): Promise<{ deleted: string[]; head: string | null }> {
    return this.#writeRegistry(async (state) => {
      const remaining = new Map(state.branches);
      let head = state.head;
      const events: RegistryEvent[] = [];
      for (const name of names) {
        if (!remaining.has(name)) throw this.#unknown(state, name);
        const children = [...remaining.values()].filter((b) => b.parent === name && !names.includes(b.name));
        if (children.length > 0)
          throw new HistoryError(
            'BRANCH_IN_USE',
            `branch '${name}' cannot be deleted: ${children.map((c) => `'${c.name}' (from ${name}@${c.forkPosition})`).join(', ')} start${children.length === 1 ? 's' : ''} from it; delete ${children.length === 1 ? 'that' : 'those'} first`,
          );
      }
      // Children before parents, so every event leaves a registry that holds together.
      const order = [...names].sort((a, b) => depth(state, b) - depth(state, a));
      for (const name of order) {
        remaining.delete(name);
        if (head === name) head = [...remaining.keys()].at(-1) ?? null;
        events.push({ type: 'BranchDeleted', data: { name, head } });
      }
      return { events, result: { deleted: order, head } };
    });
  }

  /** Deletes the branches run, whatif and the demos made that nothing starts from (not the head). */
  async prune(): Promise<{ deleted: string[]; head: string | null }> {
    const names = prunable(await this.registry());
    if (names.length === 0) return { deleted: [], head: await this.head() };
    try {
      return await this.deleteBranches(names);
    } catch (e) {
      // Another process started a branch from one of these meanwhile: decide again on a fresh read.
      if (!(e instanceof HistoryError) || e.code !== 'BRANCH_IN_USE') throw e;
      this.#registry = null;
      return this.deleteBranches(prunable(await this.registry()));
    }
  }

  /** Number of events on a branch, the parent's up to the fork included. */
  async length(name: string): Promise<number> {
    const b = await this.branch(name);
    const last = await this.store.lastRevision(b.stream);
    return b.forkPosition + (last === null ? 0 : Number(last) + 1);
  }

  /** Events `from+1 .. to` of a branch (1-based positions), decoded and upcast. */
  async *events(name: string, from: number, to: number): AsyncGenerator<PositionedEvent> {
    for await (const page of this.eventPages(name, from, to)) yield* page;
  }

  /**
   * The same events in pages, which is how replays read them: one await per page instead of one
   * per event. The store's synchronous page reader is used when it has one (SQLite); `verify`
   * has it check each page against the events' checksums before handing it on (STORE_CORRUPT).
   */
  async *eventPages(name: string, from: number, to: number, verify = false): AsyncGenerator<PositionedEvent[]> {
    const b = await this.branch(name);
    if (from < b.forkPosition && b.parent !== null) {
      yield* this.eventPages(b.parent, from, Math.min(to, b.forkPosition), verify);
    }
    const start = Math.max(from, b.forkPosition);
    if (to <= start) return;
    let position = start;
    const options = { fromRevision: BigInt(start - b.forkPosition), maxCount: to - start, verify };
    const decodePage = (stored: readonly StoredEvent[]): PositionedEvent[] =>
      stored.map((e) => {
        position++;
        return { position, event: decodeEvent(e, `${name}@${position}`), timeMs: e.timeMs };
      });
    const paged = this.store as EventStore & {
      readStreamPagesSync?: (s: string, o: typeof options) => Iterable<StoredEvent[]>;
    };
    if (typeof paged.readStreamPagesSync === 'function') {
      for (const page of paged.readStreamPagesSync(b.stream, options)) yield decodePage(page);
      return;
    }
    let page: StoredEvent[] = [];
    for await (const stored of this.store.readStream(b.stream, options)) {
      page.push(stored);
      if (page.length === 4096) {
        yield decodePage(page);
        page = [];
      }
    }
    if (page.length > 0) yield decodePage(page);
  }

  /**
   * The lab as it was after `position` events of a branch. `base`, the lab of this branch at an
   * earlier position that the caller hands over (it is advanced and returned), is replayed from
   * instead of a checkpoint when no checkpoint lies between the two: stepping forward one event
   * at a time then replays one event, not everything since the last checkpoint.
   */
  async stateAt(
    name: string,
    position: number,
    base?: { readonly position: number; readonly runtime: LabRuntime },
  ): Promise<LabRuntime> {
    return this.#stateAt(name, position, base, await import('./lab-runtime.js'), null);
  }

  /**
   * The lab after `position` events of a branch, to be looked at (`thinlab at`, `diff`): the
   * same lab as stateAt, with only the command domains its replay needs loaded
   * (src/lab/domains.ts): those the checkpoint's state needs, and those each page of events names,
   * loaded before the page is applied. A command that still meets a domain that is not loaded
   * (a function defined before the checkpoint, a name made by expansion) stops the replay, which
   * loads that domain and starts again from the checkpoint: the result is the same lab, since a
   * replay is deterministic. The returned lab has the domains its state needs (LVM's to show its
   * volumes); running other commands on it needs `lab-runtime.ts`, which loads them all.
   */
  async viewAt(name: string, position: number): Promise<LabRuntime> {
    const [core, { takeMissedDomains, ALL_DOMAINS }, { domainsNamedIn, loadDomains }, { domainsForState }] =
      await Promise.all([
        import('./lab-runtime-core.js'),
        import('../lab/domains.js'),
        import('../lab/commands.js'),
        import('../lab/registry.js'),
      ]);
    const prepare: ReplayPreparation = {
      restored: (lab) => loadDomains(domainsForState(lab)),
      page: (events) => {
        const named = new Set(
          events.flatMap(({ event }) => (event.type === 'ShellCommandRan' ? [event.data.command] : [])),
        );
        return loadDomains([...named].flatMap((text) => [...domainsNamedIn(text)]));
      },
    };
    // Each retry loads at least one more domain, so there are at most as many as there are domains.
    for (let attempt = 0; ; attempt++) {
      takeMissedDomains();
      try {
        const runtime = await this.#stateAt(name, position, undefined, core, prepare);
        await loadDomains(domainsForState(runtime.lab));
        return runtime;
      } catch (e) {
        const missed = takeMissedDomains();
        if (missed.length === 0 || attempt >= ALL_DOMAINS.length) throw e;
        await loadDomains(missed);
      }
    }
  }

  async #stateAt(
    name: string,
    position: number,
    base: { readonly position: number; readonly runtime: LabRuntime } | undefined,
    runtimes: { readonly LabRuntime: typeof LabRuntimeClass },
    prepare: ReplayPreparation | null,
  ): Promise<LabRuntime> {
    const length = await this.length(name);
    if (!Number.isInteger(position) || position < 0 || position > length) {
      throw new HistoryError('BAD_POSITION', `position ${position} is outside branch '${name}' (0..${length})`);
    }
    const found = await this.nearestCheckpoint(name, position);
    if (base !== undefined && base.position <= position && base.position >= found.position) {
      await this.#replayOnto(base.runtime, name, base.position, position, prepare);
      return base.runtime;
    }
    const info = await this.branch(name);
    const { restoreLab, SnapshotError } = await import('./lab-snapshot.js');
    const { LabRuntime } = runtimes;
    const fresh = (): LabRuntime => LabRuntime.forBranch(info);
    let start = found;
    let runtime: LabRuntime;
    try {
      runtime =
        found.state === null ? fresh() : new LabRuntime(restoredFor(info, restoreLab(found.state), SnapshotError));
    } catch (e) {
      if (!(e instanceof SnapshotError)) throw e;
      // A checkpoint is a cache of the events before it: one this thinlab cannot read (written in
      // an older format) is passed over, and the lab is rebuilt from the branch's first event.
      start = { position: 0, state: null };
      runtime = fresh();
    }
    await prepare?.restored(runtime.lab);
    await this.#replayOnto(runtime, name, start.position, position, prepare);
    return runtime;
  }

  /**
   * Applies events `from+1 .. to` of a branch to `runtime`. The events are checked against their
   * checksums as they are read, each page before any of its events is applied (damage that
   * still decodes, a changed byte in a command and its output alike, would otherwise replay
   * quietly); a damaged one stops the replay with every damaged position of the range named.
   */
  async #replayOnto(
    runtime: LabRuntime,
    name: string,
    from: number,
    to: number,
    prepare: ReplayPreparation | null = null,
  ): Promise<void> {
    let next = from + 1;
    try {
      for await (const page of this.eventPages(name, from, to, true)) {
        await prepare?.page(page);
        for (const { position: p, event } of page) {
          next = p;
          runtime.apply(event, `${name}@${p}`);
          next = p + 1;
        }
      }
    } catch (e) {
      if (isStoreError(e, 'STORE_CORRUPT')) {
        const damaged = await this.damageIn(name, from, to);
        if (damaged.length > 0) throw damageError(name, damaged);
      }
      throw await this.asDamage(e, name, next);
    }
  }

  /** Positions in `from+1 .. to` of a branch whose stored text fails its checksum (stores that keep one: SQLite). */
  async damageIn(name: string, from: number, to: number): Promise<number[]> {
    const store = this.store as EventStore & {
      findDamage?: (stream: string, fromRevision: bigint, toRevision: bigint) => Promise<bigint[]>;
    };
    if (typeof store.findDamage !== 'function') return [];
    const b = await this.branch(name);
    const out: number[] = [];
    if (from < b.forkPosition && b.parent !== null)
      out.push(...(await this.damageIn(b.parent, from, Math.min(to, b.forkPosition))));
    const start = Math.max(from, b.forkPosition);
    if (to > start) {
      const revisions = await store.findDamage(b.stream, BigInt(start - b.forkPosition), BigInt(to - b.forkPosition));
      for (const r of revisions) out.push(b.forkPosition + Number(r) + 1);
    }
    return out;
  }

  /**
   * What an error met while replaying `name@position` really is: a replay that diverges, or an
   * event that cannot be decoded, is damage when the event's stored text fails its checksum, and
   * is reported as such (STORE_CORRUPT) rather than as a lab that is not deterministic.
   */
  async asDamage(error: unknown, name: string, position: number): Promise<unknown> {
    const code = (error as { code?: unknown }).code;
    if (code !== 'REPLAY_DIVERGED' && code !== 'EVENT_UNREADABLE') return error;
    if ((await this.damageIn(name, position - 1, position)).length === 0) return error;
    return new StoreError(
      'STORE_CORRUPT',
      `event ${name}@${position} is damaged: its stored text does not match the checksum written with it (${(error as Error).message})`,
    );
  }

  /**
   * The summaries of positions 1..`upTo` of a branch (default: all), as `History.append` stored
   * them; a range without any (recorded before summaries were kept, or lost) is summarised by
   * replaying it from the nearest checkpoint, once: the result is stored when the store allows.
   */
  async summaries(name: string, upTo?: number): Promise<SummaryColumns> {
    const b = await this.branch(name);
    const end = upTo ?? (await this.length(name));
    const out = emptyColumns();
    if (b.parent !== null && b.forkPosition > 0)
      appendColumns(out, await this.summaries(b.parent, Math.min(end, b.forkPosition)));
    const own = end - b.forkPosition;
    if (own <= 0) return out;
    const { storedSummaries } = await eventSummaries();
    for (const part of await storedSummaries(this.store, b.stream, own))
      appendColumns(out, part.columns ?? (await this.#summarizeByReplay(name, part.first, part.count)));
    return out;
  }

  /** The summary of position 0 of a branch: the fresh lab it starts from. */
  async firstSummary(name: string): Promise<EventSummary> {
    const info = await this.branch(name);
    const [{ summarizeEvent }, { LabRuntime }] = await Promise.all([eventSummaries(), import('./lab-runtime.js')]);
    return summarizeEvent(LabRuntime.forBranch(info), null);
  }

  /** Replays revisions `first .. first+count-1` of a branch's own stream, summarising each, and stores them. */
  async #summarizeByReplay(name: string, first: number, count: number): Promise<SummaryColumns> {
    const b = await this.branch(name);
    const from = b.forkPosition + first;
    const runtime = await this.stateAt(name, from);
    const { summarizeEvent, saveSummaries } = await eventSummaries();
    const columns = emptyColumns();
    for await (const page of this.eventPages(name, from, from + count)) {
      for (const { position, event } of page) {
        runtime.apply(event, `${name}@${position}`);
        pushSummary(columns, summarizeEvent(runtime, event));
      }
    }
    await saveSummaries(this.store, b.stream, first, columns);
    return columns;
  }

  /** The last checkpoint at or before `position` along the branch's lineage. */
  async nearestCheckpoint(name: string, position: number): Promise<{ position: number; state: Uint8Array | null }> {
    const b = await this.branch(name);
    if (position > b.forkPosition) {
      const cp = await this.store.loadCheckpoint(b.stream, BigInt(position - b.forkPosition - 1));
      if (cp !== null) return { position: b.forkPosition + Number(cp.revision) + 1, state: cp.state };
    }
    if (b.parent !== null && b.forkPosition > 0)
      return this.nearestCheckpoint(b.parent, Math.min(position, b.forkPosition));
    return { position: 0, state: null };
  }

  /**
   * Appends events at the end of a branch (one atomic batch), `expectedLength` being the branch's
   * length the caller's state is at: a second writer that moved the branch makes this fail with
   * the store's conflict error rather than fork the history silently. A checkpoint of `runtime`
   * (the state after the batch) is stored when the policy says one is due (checkpoint-policy.ts)
   * and the lab is between commands. It is written after the events, in its own transaction:
   * being a cache, a checkpoint lost to a crash in between costs only replay, and the next
   * append, finding one still due, writes it.
   *
   * The events' summaries (event-summaries.ts) are stored beside them: a one-event batch's from
   * `runtime`, a longer batch's only when the caller gives every event's (`summarizeEvent` after
   * each). Every `maxEvents` events the summaries since the last such point are merged into one chunk.
   */
  async append(
    name: string,
    batch: ReadonlyArray<{ readonly event: LabEvent; readonly timeMs: number; readonly summary?: EventSummary }>,
    runtime: LabRuntime,
    expectedLength: number,
  ): Promise<number> {
    if (batch.length === 0) return expectedLength;
    const b = await this.branch(name);
    const ownLength = expectedLength - b.forkPosition;
    const expected = ownLength === 0 ? ('no_stream' as const) : BigInt(ownLength - 1);
    try {
      await this.store.append(
        b.stream,
        batch.map(({ event, timeMs }) => ({ type: event.type, version: event.version, data: event.data, timeMs })),
        expected,
      );
    } catch (e) {
      if (!isStoreError(e, 'STORE_CONFLICT')) throw e;
      const now = await this.length(name);
      throw new HistoryError(
        'BRANCH_MOVED',
        `another process moved branch '${name}' while this one was recording: it now has ${now} events where this process expected ${expectedLength}; nothing of this command was recorded`,
      );
    }
    const newOwnLength = ownLength + batch.length;
    await this.#recordSummaries(b.stream, ownLength, batch, runtime);
    const every = this.checkpointPolicy.maxEvents;
    if (Math.floor(newOwnLength / every) > Math.floor(ownLength / every))
      await (await eventSummaries()).mergeSummaries(this.store, b.stream, Math.floor(ownLength / every) * every);
    if (runtime.shell.quiescent && (await this.#checkpointDue(b.stream, ownLength, newOwnLength))) {
      const { snapshotLab } = await import('./lab-snapshot.js');
      const state = snapshotLab(runtime.lab);
      await this.store.saveCheckpoint(b.stream, BigInt(newOwnLength - 1), state);
      this.#lastCheckpoint.set(b.stream, { ownLength: newOwnLength, bytes: state.byteLength });
    }
    return expectedLength + batch.length;
  }

  /** Whether a stream that grew from `ownLength` to `newOwnLength` events is due for a checkpoint. */
  async #checkpointDue(stream: string, ownLength: number, newOwnLength: number): Promise<boolean> {
    // No spacing is shorter than minEvents: a short history is never due, and is not read for its last one.
    if (newOwnLength < this.checkpointPolicy.minEvents) return false;
    let last = this.#lastCheckpoint.get(stream);
    if (last === undefined) {
      const found = ownLength === 0 ? null : await this.store.loadCheckpoint(stream, BigInt(ownLength - 1));
      last = found === null ? null : { ownLength: Number(found.revision) + 1, bytes: found.state.byteLength };
      this.#lastCheckpoint.set(stream, last);
    }
    return newOwnLength - (last?.ownLength ?? 0) >= checkpointSpacing(this.checkpointPolicy, last?.bytes ?? null);
  }

  async #recordSummaries(
    stream: string,
    first: number,
    batch: ReadonlyArray<{ readonly event: LabEvent; readonly summary?: EventSummary }>,
    runtime: LabRuntime,
  ): Promise<void> {
    const { summarizeEvent, saveSummaries } = await eventSummaries();
    const columns = emptyColumns();
    for (const [i, { event, summary }] of batch.entries()) {
      // Only the last event's state is at hand; without the others' summaries none is stored
      // and the range is summarised by replay when first read.
      const s = summary ?? (i === batch.length - 1 && batch.length === 1 ? summarizeEvent(runtime, event) : undefined);
      if (s === undefined) return;
      pushSummary(columns, s);
    }
    await saveSummaries(this.store, stream, first, columns);
  }
}

/** A branch's checkpoint, which must hold a lab of the branch's own stack (else it is not its cache). */
function restoredFor(info: BranchInfo, lab: Lab, SnapshotError: new (message: string) => Error): Lab {
  if (lab.machine.stack !== info.stack)
    throw new SnapshotError(`checkpoint holds a ${lab.machine.stack} lab, branch '${info.name}' is ${info.stack}`);
  return lab;
}

function depth(state: RegistryState, name: string): number {
  let d = 0;
  for (let b = state.branches.get(name); b?.parent != null; b = state.branches.get(b.parent)) d++;
  return d;
}

function describeBranch(b: BranchInfo): string {
  const from = b.parent === null ? 'a fresh lab' : `${b.parent}@${b.forkPosition}`;
  return `made by ${b.origin === 'legacy' ? 'an older thinlab' : `thinlab ${b.origin}`} from ${from}, RAM disks of ${b.ramdiskKb} KiB, stack ${b.stack}`;
}

/** STORE_CORRUPT naming the damaged positions of a branch. */
export function damageError(name: string, positions: readonly number[]): StoreError {
  const shown = positions.slice(0, 5).map((p) => `${name}@${p}`);
  const more = positions.length > 5 ? ` and ${positions.length - 5} more` : '';
  return new StoreError(
    'STORE_CORRUPT',
    `event${positions.length === 1 ? '' : 's'} ${shown.join(', ')}${more} ${positions.length === 1 ? 'is' : 'are'} damaged: the stored text does not match the checksum written with it`,
  );
}
