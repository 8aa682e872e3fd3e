/**
 * What if: a recorded branch replayed with something inserted at a past position (a fault, a
 * crash, any shell line), on a new branch, side by side with the original. The original's events
 * after the position are run again as commands (not replayed from their recorded outputs), so the
 * lab decides everything anew; the original is replayed alongside to compare with. The outcome
 * says where behaviour first diverges (the first command that printed something else), how the
 * pool modes went on each side, and which device ranges read back differently at the end.
 */
import { topLevelCommands } from '../lab/script-pieces.js';
import { describeEvent } from '../events/describe-event.js';
import type { LabEvent } from '../events/lab-events.js';
import type { Machine } from '../model/machine.js';
import { type BranchNaming, type History, HistoryError } from './history.js';
import type { StackId } from '../model/stack.js';
import { LabRuntime } from './lab-runtime.js';
import { type CheckResult, describeCheck, evaluateCheck, type StateCheck } from './state-checks.js';

export interface WhatIfRequest {
  readonly branch: string;
  /** The position to insert at: the new events come after the original's first `at` events. */
  readonly at: number;
  /** Shell text; each top-level command becomes one event. */
  readonly inject: string;
  /** The new branch's name, or how to pick a free one. */
  readonly naming: BranchNaming;
  /** State checks followed on both sides from the insertion point on (`whatif --expect`). */
  readonly checks?: readonly StateCheck[];
  /**
   * The stack the new branch runs on; the original's unless said. Another stack makes the new
   * branch a fresh lab of that stack that runs every event of the original again.
   */
  readonly stack?: StackId;
}

/** Where a check first failed on one side (from the insertion point on), and how it ends. */
export interface CheckTrack {
  /** Position on its own branch and the failure there, or null when it held throughout. */
  firstFailure: { readonly position: number; readonly result: CheckResult } | null;
  end: CheckResult;
}

export interface WhatIfCheck {
  readonly name: string;
  readonly original: CheckTrack;
  readonly whatIf: CheckTrack;
}

export interface ModeChange {
  /** Position on its own branch. */
  readonly position: number;
  readonly pool: string;
  readonly from: string;
  readonly to: string;
}

export interface OutputDifference {
  readonly originalPosition: number;
  readonly whatIfPosition: number;
  readonly command: string;
  readonly original: string;
  readonly whatIf: string;
  readonly originalStatus: number;
  readonly whatIfStatus: number;
}

/** A range of a device that reads back differently at the end of the two branches. */
export interface DataDifference {
  readonly device: string;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly original: string;
  readonly whatIf: string;
  /** The original had data there that the what-if does not (zeros, an error, no device). */
  readonly lost: boolean;
}

export interface WhatIfOutcome {
  readonly branch: string;
  readonly name: string;
  readonly at: number;
  /** The original branch's stack and the new branch's (the same unless `whatif --stack` changed it). */
  readonly originalStack: StackId;
  readonly stack: StackId;
  /** Positions of the injected events on the new branch: at+1 .. at+injected. */
  readonly injected: number;
  readonly injectedOutput: string;
  readonly originalLength: number;
  readonly whatIfLength: number;
  readonly firstDifference: OutputDifference | null;
  /** Every command that printed something else or ended otherwise, the first included. */
  readonly differences: readonly OutputDifference[];
  readonly originalModes: readonly ModeChange[];
  readonly whatIfModes: readonly ModeChange[];
  readonly data: readonly DataDifference[];
  /** The requested checks, side by side (empty when none was asked for). */
  readonly checks: readonly WhatIfCheck[];
}

/** Evaluates every check on one side after an event, keeping the first failure of each. */
function track(checks: readonly StateCheck[], tracks: CheckTrack[], machine: Machine, position: number): void {
  checks.forEach((c, i) => {
    const result = evaluateCheck(c, machine);
    const t = tracks[i];
    if (t === undefined) tracks[i] = { firstFailure: result.ok ? null : { position, result }, end: result };
    else {
      t.end = result;
      if (!result.ok && t.firstFailure === null) t.firstFailure = { position, result };
    }
  });
}

/** The mode of every live pool by device name (a pool with no live table is left out). */
function poolModes(machine: Machine): Map<string, string> {
  const out = new Map<string, string>();
  for (const pool of machine.livePools()) out.set(machine.poolDevice(pool)?.name ?? pool.name, pool.mode);
  return out;
}

/** Records the mode changes between two snapshots of the pool modes. */
function modeChanges(
  before: Map<string, string>,
  after: Map<string, string>,
  position: number,
  into: ModeChange[],
): void {
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const from = before.get(name) ?? '(none)';
    const to = after.get(name) ?? '(none)';
    if (from !== to) into.push({ position, pool: name, from, to });
  }
}

function output(event: LabEvent): { output: string; status: number; command: string } {
  if (event.type === 'ShellCommandRan')
    return { output: event.data.output, status: event.data.status, command: event.data.command };
  if (event.type === 'BlocksWritten')
    return {
      output: '',
      status: event.data.errno === 0 ? 0 : 1,
      command: `(write ${event.data.sectors} sectors at ${event.data.device}:${event.data.sector})`,
    };
  if (event.type === 'ClockAdvanced') return { output: '', status: 0, command: `(clock +${event.data.ms} ms)` };
  if (event.type === 'ImageAttached') return { output: '', status: 0, command: describeEvent(event) };
  return { output: '', status: 0, command: '' };
}

/** Runs an original event again, deciding everything anew (never checking the recorded output). */
function rerun(runtime: LabRuntime, event: LabEvent): LabEvent {
  switch (event.type) {
    case 'ShellCommandRan':
      return runtime.runCommand(event.data.command, event.data.mode ?? 'line');
    case 'BlocksWritten':
      return runtime.writeBlocks(event.data.device, event.data.sector, event.data.sectors, event.data.byte);
    case 'ClockAdvanced':
      return runtime.advanceClock(event.data.ms);
    case 'ImageAttached':
      return runtime.attachImage(event.data);
    default:
      return event;
  }
}

/**
 * The new branch and the two labs the walk starts from. On the branch's own stack the new branch
 * starts from the original's first `at` events, shared; on another stack nothing can be shared
 * (those events printed what the other stack's kernel and tools print), so the new branch starts
 * from a fresh lab of that stack and every event runs again, the first `at` ones included.
 */
async function startWhatIf(
  h: History,
  req: WhatIfRequest,
): Promise<{
  name: string;
  original: LabRuntime;
  alt: LabRuntime;
  start: number;
  stack: StackId;
  originalStack: StackId;
}> {
  const info = await h.branch(req.branch);
  const stack = req.stack ?? info.stack;
  if (stack === info.stack) {
    const { name } = await h.createBranch({
      naming: req.naming,
      parent: req.branch,
      forkPosition: req.at,
      ramdiskKb: 0,
      origin: 'whatif',
      head: false,
    });
    const original = await h.stateAt(req.branch, req.at);
    return {
      name,
      original,
      alt: await h.stateAt(req.branch, req.at),
      start: req.at,
      stack,
      originalStack: info.stack,
    };
  }
  // No parent checks the position here, so it is checked as a fork position would be.
  const length = await h.length(req.branch);
  if (!Number.isSafeInteger(req.at) || req.at < 0 || req.at > length)
    throw new HistoryError('BAD_POSITION', `position ${req.at} is outside branch '${req.branch}' (0..${length})`);
  const { name } = await h.createBranch({
    naming: req.naming,
    parent: null,
    forkPosition: 0,
    ramdiskKb: info.ramdiskKb,
    stack,
    mutations: info.mutations,
    origin: 'whatif',
    head: false,
  });
  const original = await h.stateAt(req.branch, 0);
  return { name, original, alt: LabRuntime.forBranch({ ...info, stack }), start: 0, stack, originalStack: info.stack };
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the branch is replayed, the line inserted and both sides compared in one walk; splitting it passes both runtimes and their tracks through every helper.
export async function whatIf(h: History, req: WhatIfRequest): Promise<WhatIfOutcome> {
  const originalLength = await h.length(req.branch);
  const { name, original, alt, start, stack, originalStack } = await startWhatIf(h, req);
  let length = start;
  const append = async (event: LabEvent): Promise<void> => {
    length = await h.append(name, [{ event, timeMs: alt.shell.machine.nowMs }], alt, length);
  };

  const whatIfModes: ModeChange[] = [];
  const originalModes: ModeChange[] = [];
  const checks = req.checks ?? [];
  const originalTracks: CheckTrack[] = [];
  const whatIfTracks: CheckTrack[] = [];
  track(checks, originalTracks, original.shell.machine, start);
  track(checks, whatIfTracks, alt.shell.machine, start);
  let altModes = poolModes(alt.shell.machine);
  let injectedOutput = '';
  const pieces = topLevelCommands(alt.shell, req.inject);
  let injected = false;
  const inject = async (): Promise<void> => {
    injected = true;
    for (const piece of pieces) {
      const event = alt.runCommand(piece);
      injectedOutput += output(event).output;
      await append(event);
      const now = poolModes(alt.shell.machine);
      modeChanges(altModes, now, length, whatIfModes);
      altModes = now;
      track(checks, whatIfTracks, alt.shell.machine, length);
    }
  };
  if (start === req.at) await inject();

  let origModes = poolModes(original.shell.machine);
  const differences: OutputDifference[] = [];
  for await (const page of h.eventPages(req.branch, start, originalLength)) {
    for (const { position, event } of page) {
      if (!injected && position > req.at) await inject();
      original.apply(event, `${req.branch}@${position}`);
      const again = rerun(alt, event);
      await append(again);
      const o = output(event);
      const w = output(again);
      if (o.output !== w.output || o.status !== w.status) {
        differences.push({
          originalPosition: position,
          whatIfPosition: length,
          command: o.command,
          original: o.output,
          whatIf: w.output,
          originalStatus: o.status,
          whatIfStatus: w.status,
        });
      }
      const oNow = poolModes(original.shell.machine);
      modeChanges(origModes, oNow, position, originalModes);
      origModes = oNow;
      const wNow = poolModes(alt.shell.machine);
      modeChanges(altModes, wNow, length, whatIfModes);
      altModes = wNow;
      track(checks, originalTracks, original.shell.machine, position);
      track(checks, whatIfTracks, alt.shell.machine, length);
    }
  }
  if (!injected) await inject();
  return {
    branch: req.branch,
    name,
    at: req.at,
    originalStack,
    stack,
    injected: pieces.length,
    injectedOutput,
    originalLength,
    whatIfLength: length,
    firstDifference: differences[0] ?? null,
    differences,
    originalModes,
    whatIfModes,
    data: compareThinData(original.shell.machine, alt.shell.machine),
    checks: checks.map((c, i) => ({ name: describeCheck(c), original: originalTracks[i]!, whatIf: whatIfTracks[i]! })),
  };
}

/** 64 KiB: the unit ranges are compared in (the smallest data block size). */
const CHUNK_SECTORS = 128;

/** What a range holds, in a few words: one byte everywhere, zeros, or mixed data. */
function describeTokens(tokens: Uint32Array): string {
  const first = tokens[0]!;
  if (first < 256 && tokens.every((t) => t === first)) {
    if (first === 0) return 'zeros';
    return first >= 0x21 && first <= 0x7e
      ? `every byte '${String.fromCharCode(first)}'`
      : `every byte 0x${first.toString(16).padStart(2, '0')}`;
  }
  return 'mixed data';
}

function isZeros(tokens: Uint32Array): boolean {
  return tokens.every((t) => t === 0);
}

/**
 * Reads every thin device on both sides and names the ranges that differ (merged when
 * consecutive chunks differ the same way). Reading never changes what was recorded: the two
 * runtimes are thrown away afterwards.
 */
export function compareThinData(original: Machine, whatIf: Machine): DataDifference[] {
  const thins = (m: Machine): Map<string, number> => {
    const out = new Map<string, number>();
    for (const d of m.deviceList()) if (d.live?.type === 'thin' && !d.suspended) out.set(d.name, m.sizeSectors(d));
    return out;
  };
  const a = thins(original);
  const b = thins(whatIf);
  const out: DataDifference[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const device = `/dev/mapper/${name}`;
    const sizeA = a.get(name);
    const sizeB = b.get(name);
    if (sizeA === undefined || sizeB === undefined) {
      const size = (sizeA ?? sizeB)! * 512;
      out.push({
        device,
        offsetBytes: 0,
        lengthBytes: size,
        original: sizeA === undefined ? 'no such device' : 'the device',
        whatIf: sizeB === undefined ? 'no such device' : 'the device',
        lost: sizeB === undefined,
      });
      continue;
    }
    const readA = original.readSectors(original.resolveDevice(device)!, 0, sizeA);
    const readB = whatIf.readSectors(whatIf.resolveDevice(device)!, 0, sizeB);
    if (!readA.ok || !readB.ok) {
      if (readA.ok !== readB.ok) {
        out.push({
          device,
          offsetBytes: 0,
          lengthBytes: Math.max(sizeA, sizeB) * 512,
          original: readA.ok ? 'reads' : 'read fails',
          whatIf: readB.ok ? 'reads' : 'read fails',
          lost: !readB.ok,
        });
      }
      continue;
    }
    const size = Math.max(sizeA, sizeB);
    let open: { start: number; end: number; original: string; whatIf: string; lost: boolean } | null = null;
    const flush = (): void => {
      if (open === null) return;
      out.push({
        device,
        offsetBytes: open.start * 512,
        lengthBytes: (open.end - open.start) * 512,
        original: open.original,
        whatIf: open.whatIf,
        lost: open.lost,
      });
      open = null;
    };
    for (let s = 0; s < size; s += CHUNK_SECTORS) {
      const end = Math.min(size, s + CHUNK_SECTORS);
      const ca = readA.value.subarray(Math.min(s, sizeA), Math.min(end, sizeA));
      const cb = readB.value.subarray(Math.min(s, sizeB), Math.min(end, sizeB));
      const same = ca.length === cb.length && ca.every((t, i) => t === cb[i]);
      if (same) {
        flush();
        continue;
      }
      const da = ca.length === 0 ? 'beyond the end' : describeTokens(ca);
      const db = cb.length === 0 ? 'beyond the end' : describeTokens(cb);
      const lost = ca.length > 0 && !isZeros(ca) && (cb.length === 0 || isZeros(cb));
      if (open !== null && open.end === s && open.original === da && open.whatIf === db && open.lost === lost)
        open.end = end;
      else {
        flush();
        open = { start: s, end, original: da, whatIf: db, lost };
      }
    }
    flush();
  }
  return out;
}
