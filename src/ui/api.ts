/**
 * The page's JSON endpoints over a History: branches, the timeline of a branch, its events, the
 * lab at a position, the difference between two moments, and the two actions that write (a branch
 * from a position, a whatif). Reads never write: only `branchHere` and `runWhatIf` append to the
 * store, and only when the page posts them.
 */
import { describeEvent } from '../events/describe-event.js';
import { checkFaultArgs } from '../faults/fault-command.js';
import { diffSummaries, labSummary } from '../lab/lab-summary.js';
import { diffLabs, formatDiff } from '../replay/diff.js';
import { type History, HistoryError } from '../replay/history.js';
import type { LabRuntime } from '../replay/lab-runtime.js';
import { stateHash } from '../replay/lab-snapshot.js';
import { type WhatIfOutcome, whatIf } from '../replay/whatif.js';
import { FREE } from './block-map.js';
import { type PositionView, positionView } from './lab-view.js';
import { type CompactTimeline, TimelineCache } from './timeline.js';

/** A request the page got wrong: answered 400 with the message, nothing changed. */
export class UiRequestError extends Error {
  override readonly name = 'UiRequestError';
  readonly code = 'UI_BAD_REQUEST';
}

export interface BranchRow {
  readonly name: string;
  readonly parent: string | null;
  readonly forkPosition: number;
  readonly length: number;
  readonly head: boolean;
}

export interface EventRow {
  readonly position: number;
  readonly timeMs: number;
  readonly text: string;
  readonly status: number | null;
  readonly output: string;
}

export interface AtResult extends PositionView {
  readonly branch: string;
  readonly position: number;
  readonly state: string;
}

/** Pool name -> changed data blocks as [start, length] runs. */
export type ChangedBlocks = Record<string, Array<[number, number]>>;

export const MAX_EVENTS_PER_PAGE = 2000;
const POSITION_CACHE_SIZE = 16;

export function parsePosition(text: string | null, what: string): number {
  if (text === null || !/^[0-9]{1,12}$/.test(text))
    throw new UiRequestError(`${what} must be a position (0, 1, 2, ...), got '${text ?? ''}'`);
  return Number(text);
}

/** `BRANCH@POS`, as the page and `thinlab diff` name a moment. */
export function parseMoment(text: string | null): { branch: string; position: number } {
  const at = text?.lastIndexOf('@') ?? -1;
  if (text === null || at <= 0) throw new UiRequestError(`a moment is BRANCH@POS, got '${text ?? ''}'`);
  return { branch: text.slice(0, at), position: parsePosition(text.slice(at + 1), `position in '${text}'`) };
}

/** Runs of block numbers whose owner code differs between two block maps (as run lengths). */
export function changedRuns(
  left: ReadonlyArray<readonly [number, number]>,
  right: ReadonlyArray<readonly [number, number]>,
): Array<[number, number]> {
  const expand = (runs: ReadonlyArray<readonly [number, number]>): number[] => {
    const out: number[] = [];
    for (const [v, n] of runs) for (let i = 0; i < n; i++) out.push(v);
    return out;
  };
  const a = expand(left);
  const b = expand(right);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? FREE) === (b[i] ?? FREE)) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[0] + last[1] === i) last[1]++;
    else out.push([i, 1]);
  }
  return out;
}

export class UiApi {
  readonly timelines: TimelineCache;
  private readonly positions = new Map<string, AtResult>();

  constructor(readonly history: History) {
    this.timelines = new TimelineCache(history);
  }

  async branches(): Promise<BranchRow[]> {
    const head = await this.history.head();
    const rows: BranchRow[] = [];
    for (const b of await this.history.branches()) {
      const length = await this.history.length(b.name);
      rows.push({ name: b.name, parent: b.parent, forkPosition: b.forkPosition, length, head: b.name === head });
    }
    return rows;
  }

  /** The usage plot's data, as runs. */
  async timeline(branch: string): Promise<CompactTimeline> {
    return this.timelines.get(branch);
  }

  async events(branch: string, from: number, to: number): Promise<EventRow[]> {
    const length = await this.history.length(branch);
    const end = Math.min(to, length, from + MAX_EVENTS_PER_PAGE);
    const rows: EventRow[] = [];
    for await (const { position, event, timeMs } of this.history.events(branch, Math.min(from, end), end)) {
      const shell = event.type === 'ShellCommandRan' ? event.data : null;
      rows.push({
        position,
        timeMs,
        text: describeEvent(event),
        status: shell?.status ?? null,
        output: shell?.output ?? '',
      });
    }
    return rows;
  }

  private async runtimeAt(branch: string, position: number): Promise<LabRuntime> {
    return this.history.stateAt(branch, position);
  }

  /**
   * The lab of the last position viewed, kept so that a step forward on the same branch (the
   * slider, the arrow keys) replays only the events in between. Each view hands it on: only
   * one view at a time may advance it, so concurrent requests wait for each other.
   */
  private last: { branch: string; position: number; runtime: LabRuntime } | null = null;
  private viewing: Promise<unknown> = Promise.resolve();

  private async advanceTo(branch: string, position: number): Promise<LabRuntime> {
    const base = this.last?.branch === branch ? this.last : undefined;
    this.last = null;
    const runtime = await this.history.stateAt(branch, position, base);
    this.last = { branch, position, runtime };
    return runtime;
  }

  /**
   * The lab at a position. A position of a branch never changes (events are only appended), so
   * the views of the last few positions looked at are kept.
   */
  async at(branch: string, position: number): Promise<AtResult> {
    const key = `${branch}@${position}`;
    const cached = this.positions.get(key);
    if (cached !== undefined) return cached;
    const view = this.viewing.then(async (): Promise<AtResult> => {
      const runtime = await this.advanceTo(branch, position);
      return {
        branch,
        position,
        state: stateHash(runtime.lab).slice(0, 16),
        ...positionView(runtime.lab, runtime.lifecycleStates()),
      };
    });
    this.viewing = view.catch(() => undefined);
    const result = await view;
    this.positions.set(key, result);
    if (this.positions.size > POSITION_CACHE_SIZE) this.positions.delete(this.positions.keys().next().value!);
    return result;
  }

  async diff(a: string | null, b: string | null): Promise<{ text: string; changed: ChangedBlocks }> {
    const left = parseMoment(a);
    const right = parseMoment(b);
    const l = await this.runtimeAt(left.branch, left.position);
    const r = await this.runtimeAt(right.branch, right.position);
    const text = formatDiff(
      diffLabs(l.shell.machine, r.shell.machine),
      `${left.branch}@${left.position}`,
      `${right.branch}@${right.position}`,
      // Docker, containerd and LVM too, as `thinlab diff` shows them.
      diffSummaries(labSummary(l.lab), labSummary(r.lab)),
    );
    const lv = await this.at(left.branch, left.position);
    const rv = await this.at(right.branch, right.position);
    const changed: ChangedBlocks = {};
    for (const pool of rv.pools) {
      const before = lv.pools.find((p) => p.name === pool.name)?.map ?? [];
      changed[pool.name] = changedRuns(before, pool.map);
    }
    return { text, changed };
  }

  /** "branch here": the same as `thinlab rollback POS --name NAME` (a new branch, made the head). */
  async branchHere(body: Record<string, unknown>): Promise<{ text: string; branch: string }> {
    const from = stringField(body, 'branch');
    const position = numberField(body, 'position');
    const name = stringField(body, 'name');
    // One registry write creates the branch and makes it the head, as `thinlab rollback` does.
    await this.history.createBranch({
      naming: { name },
      parent: from,
      forkPosition: position,
      ramdiskKb: 0,
      origin: 'rollback',
      head: true,
    });
    const kept = await this.history.length(from);
    return {
      branch: name,
      text: `branch ${name} starts at ${from}@${position}; it is now the head (nothing was deleted: ${from} keeps all ${kept} events)`,
    };
  }

  /** `thinlab whatif --at POS --inject LINE --name NAME` from the page. */
  async runWhatIf(body: Record<string, unknown>): Promise<WhatIfOutcome> {
    const branch = stringField(body, 'branch');
    const at = numberField(body, 'at');
    const inject = stringField(body, 'inject');
    if (inject.trim() === '')
      throw new UiRequestError("inject needs a line, e.g. 'crash' or 'fault io /dev/ram1 0+128 write'");
    for (const piece of inject.split(/\n|;|&&|\|\|/)) {
      const words = piece.trim().split(/\s+/);
      if (words[0] !== 'fault') continue;
      const wrong = checkFaultArgs(words.slice(1));
      if (wrong !== null) throw new UiRequestError(`inject: ${wrong}`);
    }
    const base = `${branch}-whatif-${at}`;
    const naming =
      typeof body.name === 'string' && body.name !== '' ? { name: body.name } : { first: base, stem: base };
    return whatIf(this.history, { branch, at, inject, naming });
  }
}

function stringField(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new UiRequestError(`'${key}' must be a non-empty string`);
  return v;
}

function numberField(body: Record<string, unknown>, key: string): number {
  const v = body[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new UiRequestError(`'${key}' must be a position (0, 1, 2, ...)`);
  return v;
}

/** Expected failures of a request, with their stable codes: the page shows the message. */
export function isExpectedFailure(e: unknown): e is Error & { code: string } {
  return e instanceof UiRequestError || e instanceof HistoryError || typeof (e as { code?: unknown }).code === 'string';
}
