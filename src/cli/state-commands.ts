/**
 * `thinlab at` and `thinlab diff`: the lab at a position, shown. Kept apart from the other history
 * commands so that these two load the lab and what shows it, and not the recording, what-if,
 * bisect and fault code beside them (a command's start-up is mostly the modules it loads;
 * docs/performance.md).
 */
import { diffSummaries, type LabSummary, labSummary, summaryEntries } from '../lab/lab-summary.js';
import { describeStack, STACK_VERSIONS, type StackId, type StackVersions } from '../model/stack.js';
import { diffLabs, formatDiff } from '../replay/diff.js';
import type { History } from '../replay/history.js';
import type { LabRuntime } from '../replay/lab-runtime-core.js';
import { stateHash } from '../replay/lab-snapshot.js';
import { currentBranch } from './log-command.js';
import { type Output, printJson, UsageError } from './output.js';

/** A position given on the command line: 0, 1, 2, ... */
export function parsePosition(text: string | undefined, what: string): number {
  if (text === undefined || !/^[0-9]+$/.test(text))
    throw new UsageError(`${what} must be a position (0, 1, 2, ...), got '${text ?? ''}'`);
  return Number(text);
}

/** What `thinlab at` shows, as data: the text and the JSON are both made from it. */
export interface LabStateView {
  readonly branch: string;
  readonly position: number;
  readonly timeMs: number;
  /** The lab's state hash (sha256 of its canonical snapshot). */
  readonly state: string;
  /** The stack the lab reproduces, and the versions it runs. */
  readonly stack: StackId;
  readonly versions: StackVersions;
  readonly devices: ReadonlyArray<{
    readonly name: string;
    readonly state: 'ACTIVE' | 'SUSPENDED';
    readonly openCount: number;
    readonly eventNr: number;
    /** The live table line (`0 LENGTH TYPE ARGS`) and the status line; null without a live table. */
    readonly table: string | null;
    readonly status: string | null;
  }>;
  readonly lifecycle: { readonly pools: Record<string, string>; readonly thins: Record<string, string> };
  /** Docker, containerd and LVM as their own commands would show them (src/lab/lab-summary.ts). */
  readonly summary: LabSummary;
}

export function labStateView(runtime: LabRuntime, branch: string, position: number): LabStateView {
  const m = runtime.shell.machine;
  const devices = m.deviceList().map((dev) => {
    const t = dev.live;
    return {
      name: dev.name,
      state: dev.suspended ? ('SUSPENDED' as const) : ('ACTIVE' as const),
      openCount: dev.openCount,
      eventNr: dev.eventNr,
      table: t === null ? null : `0 ${t.lengthSectors} ${t.type} ${m.targetTable(t)}`,
      // --noflush: looking at the past must not commit anything in it.
      status: t === null ? null : `0 ${t.lengthSectors} ${t.type} ${m.targetStatus(dev, true)}`,
    };
  });
  const { pools, thins } = runtime.lifecycleStates();
  return {
    branch,
    position,
    timeMs: m.nowMs,
    state: stateHash(runtime.lab),
    stack: m.stack,
    versions: STACK_VERSIONS[m.stack],
    devices,
    lifecycle: { pools, thins },
    summary: labSummary(runtime.lab),
  };
}

function formatLabState(v: LabStateView): string {
  let out = `${v.branch}@${v.position}  time ${(v.timeMs / 1000).toFixed(3)}s  state ${v.state.slice(0, 16)}  stack ${describeStack(v.stack)}\n`;
  if (v.devices.length === 0) out += 'No devices found\n';
  for (const d of v.devices) {
    out += `${d.name} (${d.state}, open ${d.openCount}, events ${d.eventNr})\n`;
    if (d.table !== null) out += `  table:  ${d.table}\n  status: ${d.status}\n`;
  }
  for (const [k, state] of Object.entries(v.lifecycle.pools)) out += `pool machine ${k}: ${state}\n`;
  for (const [k, state] of Object.entries(v.lifecycle.thins)) out += `thin machine ${k}: ${state}\n`;
  for (const e of summaryEntries(v.summary)) out += `${e.key}: ${e.value}\n`;
  return out;
}

/** `thinlab at POS`: every device's status and table at a position, and the lifecycle states. */
export async function atCommand(
  h: History,
  args: { branch?: string; position?: string; json?: boolean },
  io: Output,
): Promise<void> {
  const branch = await currentBranch(h, args.branch);
  const position = parsePosition(args.position, 'POS');
  const view = labStateView(await h.viewAt(branch, position), branch, position);
  if (args.json === true) printJson(io, view);
  else io.out(formatLabState(view));
}

/** A moment: `POS` (on the current branch), `BRANCH` (its end) or `BRANCH@POS`. */
async function resolveMoment(h: History, text: string, branch: string): Promise<{ name: string; runtime: LabRuntime }> {
  let b = branch;
  let pos: number;
  const at = text.lastIndexOf('@');
  if (/^[0-9]+$/.test(text)) pos = Number(text);
  else if (at > 0) {
    b = text.slice(0, at);
    pos = parsePosition(text.slice(at + 1), `position in '${text}'`);
  } else {
    b = text;
    pos = await h.length(b);
  }
  return { name: `${b}@${pos}`, runtime: await h.viewAt(b, pos) };
}

export async function diffCommand(
  h: History,
  args: { branch?: string; a?: string; b?: string; json?: boolean },
  io: Output,
): Promise<void> {
  if (args.a === undefined || args.b === undefined)
    throw new UsageError('diff needs two moments: POS, BRANCH or BRANCH@POS');
  const branch = await currentBranch(h, args.branch);
  const left = await resolveMoment(h, args.a, branch);
  const right = await resolveMoment(h, args.b, branch);
  const beyond = diffSummaries(labSummary(left.runtime.lab), labSummary(right.runtime.lab));
  const diff = diffLabs(left.runtime.shell.machine, right.runtime.shell.machine);
  if (args.json === true) printJson(io, { left: left.name, right: right.name, ...diff, beyond });
  else io.out(formatDiff(diff, left.name, right.name, beyond));
}
