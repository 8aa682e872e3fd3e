/**
 * A lab's history in the store: branches, positions, checkpoints, and the state at any position.
 *
 * - A branch is a stream `lab-<name>`. `main` starts from an empty lab; a branch made by
 *   `rollback` starts from a position of its parent and holds only the events after it, so
 *   nothing is ever deleted or rewritten.
 * - Position N of a branch is the state after its first N events, counting the parent's events
 *   up to the fork; position 0 is the fresh lab.
 * - Checkpoints (the whole lab state, lab-snapshot.ts) are stored every `checkpointEvery` events
 *   of a stream, so reaching any position replays at most that many events.
 */
import { decodeEvent } from '../events/codec.js';
import { isModelMutation, type ModelMutation } from '../model/mutations.js';
import type { LabEvent } from '../events/lab-events.js';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import { restoreLab, snapshotLab, SnapshotError } from './lab-snapshot.js';
import { LabRuntime } from './lab-runtime.js';

export const MAIN_BRANCH = 'main';
const HEAD_STREAM = 'lab-head';
const BRANCH_PREFIX = 'lab-branch-';
export const DEFAULT_CHECKPOINT_EVERY = 10_000;

export class HistoryError extends Error {
  override readonly name = 'HistoryError';
  constructor(
    readonly code: 'UNKNOWN_BRANCH' | 'BAD_POSITION' | 'BRANCH_EXISTS' | 'BAD_BRANCH_NAME',
    message: string,
  ) {
    super(message);
  }
}

export interface BranchInfo {
  readonly name: string;
  readonly stream: string;
  readonly parent: string | null;
  /** Events of the parent this branch starts from. */
  readonly forkPosition: number;
  readonly ramdiskKb: number;
  /** Deliberate model bugs the branch was recorded with (mutation suite scenarios only). */
  readonly mutations: readonly ModelMutation[];
}

export const streamOf = (branch: string): string => `${BRANCH_PREFIX}${branch}`;

export interface PositionedEvent {
  readonly position: number;
  readonly event: LabEvent;
  readonly timeMs: number;
}

export function checkBranchName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new HistoryError(
      'BAD_BRANCH_NAME',
      `bad branch name '${name}': use letters, digits, '.', '_' or '-' (up to 64)`,
    );
  }
}

export class History {
  constructor(
    readonly store: EventStore,
    readonly checkpointEvery = DEFAULT_CHECKPOINT_EVERY,
  ) {}

  async branch(name: string): Promise<BranchInfo> {
    const meta = await this.store.getStreamMetadata(streamOf(name));
    if (meta === null || meta.kind !== 'thinlab-branch') {
      const known = (await this.branches()).map((b) => b.name).join(', ') || 'none yet';
      throw new HistoryError('UNKNOWN_BRANCH', `no branch '${name}' (branches: ${known})`);
    }
    return {
      name,
      stream: streamOf(name),
      parent: typeof meta.parent === 'string' ? meta.parent : null,
      forkPosition: Number(meta.forkPosition ?? 0),
      ramdiskKb: Number(meta.ramdiskKb ?? 65536),
      mutations: Array.isArray(meta.mutations)
        ? (meta.mutations as unknown[]).filter((m): m is ModelMutation => typeof m === 'string' && isModelMutation(m))
        : [],
    };
  }

  async branches(): Promise<BranchInfo[]> {
    const meta = await this.store.getStreamMetadata(HEAD_STREAM);
    const names = Array.isArray(meta?.branches) ? (meta.branches as string[]) : [];
    const out: BranchInfo[] = [];
    for (const n of names) out.push(await this.branch(n));
    return out;
  }

  async head(): Promise<string | null> {
    const meta = await this.store.getStreamMetadata(HEAD_STREAM);
    return typeof meta?.head === 'string' ? meta.head : null;
  }

  async setHead(name: string): Promise<void> {
    await this.branch(name);
    const meta = (await this.store.getStreamMetadata(HEAD_STREAM)) ?? {};
    await this.store.setStreamMetadata(HEAD_STREAM, { ...meta, head: name });
  }

  /** Creates a branch: from nothing (`parent` null) or from a parent's position. */
  async createBranch(
    name: string,
    parent: string | null,
    forkPosition: number,
    ramdiskKb: number,
    mutations: readonly ModelMutation[] = [],
  ): Promise<BranchInfo> {
    checkBranchName(name);
    const existing = await this.store.getStreamMetadata(streamOf(name));
    if (existing !== null) throw new HistoryError('BRANCH_EXISTS', `branch '${name}' already exists`);
    if (parent !== null) {
      const length = await this.length(parent);
      if (forkPosition < 0 || forkPosition > length) {
        throw new HistoryError('BAD_POSITION', `position ${forkPosition} is outside branch '${parent}' (0..${length})`);
      }
      const parentInfo = await this.branch(parent);
      ramdiskKb = parentInfo.ramdiskKb;
      mutations = parentInfo.mutations;
    }
    await this.store.setStreamMetadata(streamOf(name), {
      kind: 'thinlab-branch',
      parent,
      forkPosition,
      ramdiskKb,
      ...(mutations.length === 0 ? {} : { mutations: [...mutations] }),
    });
    const meta = (await this.store.getStreamMetadata(HEAD_STREAM)) ?? {};
    const names = Array.isArray(meta.branches) ? (meta.branches as string[]) : [];
    await this.store.setStreamMetadata(HEAD_STREAM, { ...meta, branches: [...names, name] });
    return this.branch(name);
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
   * per event. The store's synchronous page reader is used when it has one (SQLite).
   */
  async *eventPages(name: string, from: number, to: number): AsyncGenerator<PositionedEvent[]> {
    const b = await this.branch(name);
    if (from < b.forkPosition && b.parent !== null) {
      yield* this.eventPages(b.parent, from, Math.min(to, b.forkPosition));
    }
    const start = Math.max(from, b.forkPosition);
    if (to <= start) return;
    let position = start;
    const options = { fromRevision: BigInt(start - b.forkPosition), maxCount: to - start };
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

  /** The lab as it was after `position` events of a branch. */
  async stateAt(name: string, position: number): Promise<LabRuntime> {
    const length = await this.length(name);
    if (!Number.isInteger(position) || position < 0 || position > length) {
      throw new HistoryError('BAD_POSITION', `position ${position} is outside branch '${name}' (0..${length})`);
    }
    const found = await this.nearestCheckpoint(name, position);
    const info = await this.branch(name);
    const fresh = (): LabRuntime => LabRuntime.fresh({ ramdiskKb: info.ramdiskKb, mutations: info.mutations });
    let start = found;
    let runtime: LabRuntime;
    try {
      runtime = found.state === null ? fresh() : new LabRuntime(restoreLab(found.state));
    } catch (e) {
      if (!(e instanceof SnapshotError)) throw e;
      // A checkpoint is a cache of the events before it: one this thinlab cannot read (written in
      // an older format) is passed over, and the lab is rebuilt from the branch's first event.
      start = { position: 0, state: null };
      runtime = fresh();
    }
    for await (const page of this.eventPages(name, start.position, position)) {
      for (const { position: p, event } of page) runtime.apply(event, `${name}@${p}`);
    }
    return runtime;
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
   * (the state after the batch) is stored when the batch reaches or crosses a multiple of
   * `checkpointEvery`.
   */
  async append(
    name: string,
    batch: ReadonlyArray<{ readonly event: LabEvent; readonly timeMs: number }>,
    runtime: LabRuntime,
    expectedLength: number,
  ): Promise<number> {
    if (batch.length === 0) return expectedLength;
    const b = await this.branch(name);
    const ownLength = expectedLength - b.forkPosition;
    const expected = ownLength === 0 ? ('no_stream' as const) : BigInt(ownLength - 1);
    await this.store.append(
      b.stream,
      batch.map(({ event, timeMs }) => ({ type: event.type, version: event.version, data: event.data, timeMs })),
      expected,
    );
    const newOwnLength = ownLength + batch.length;
    const crossed = Math.floor(newOwnLength / this.checkpointEvery) > Math.floor(ownLength / this.checkpointEvery);
    if (crossed && runtime.shell.quiescent) {
      await this.store.saveCheckpoint(b.stream, BigInt(newOwnLength - 1), snapshotLab(runtime.lab));
    }
    return expectedLength + batch.length;
  }
}
