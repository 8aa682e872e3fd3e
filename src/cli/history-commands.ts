/**
 * The time-travel commands: log, at, rollback, branches, checkout, diff, replay, and the
 * recording side of `thinlab sh`. They work on the store the CLI opened and on the branch named
 * by --branch or, by default, the head branch.
 */

import { describeEvent } from '../events/describe-event.js';
import { checkFaultArgs } from '../faults/fault-command.js';
import { diffLabs, formatDiff } from '../replay/diff.js';
import { type History, HistoryError, MAIN_BRANCH } from '../replay/history.js';
import { LabRuntime } from '../replay/lab-runtime.js';
import { stateHash } from '../replay/lab-snapshot.js';
import { whatIf } from '../replay/whatif.js';
import { topLevelCommands } from './shell-adapter.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress bars only then). */
  readonly interactive: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The branch a command works on: --branch, else the head, else main. */
async function currentBranch(h: History, explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) {
    await h.branch(explicit);
    return explicit;
  }
  const head = await h.head();
  if (head === null)
    throw new HistoryError('UNKNOWN_BRANCH', 'the database has no lab yet: run `thinlab sh FILE` or `npm start` first');
  return head;
}

function parsePosition(text: string | undefined, what: string): number {
  if (text === undefined || !/^[0-9]+$/.test(text))
    throw new UsageError(`${what} must be a position (0, 1, 2, ...), got '${text ?? ''}'`);
  return Number(text);
}

/** Records a script into a branch: a new one by default, or the end of an existing one. */
export async function recordScript(
  h: History,
  script: string,
  options: { branch?: string; baseName?: string; continueBranch: boolean; ramdiskKb: number; trace: boolean },
  io: Output,
): Promise<{ branch: string; length: number }> {
  let branch: string;
  let runtime: LabRuntime;
  let length: number;
  if (options.continueBranch) {
    branch = await currentBranch(h, options.branch);
    length = await h.length(branch);
    runtime = await h.stateAt(branch, length);
  } else {
    branch = options.branch ?? (await nextRunName(h, options.baseName));
    await h.createBranch(branch, null, 0, options.ramdiskKb);
    length = 0;
    runtime = LabRuntime.fresh({ ramdiskKb: options.ramdiskKb });
  }
  await h.setHead(branch);
  for (const command of topLevelCommands(runtime.shell, script)) {
    if (options.trace) {
      if (command.trim().startsWith('#')) {
        io.out(`${command}\n`);
        continue;
      }
      io.out(`$ ${command}\n`);
    }
    const event = runtime.runCommand(command);
    if (event.type === 'ShellCommandRan') io.out(event.data.output);
    length = await h.append(branch, [{ event, timeMs: runtime.shell.machine.nowMs }], runtime, length);
  }
  return { branch, length };
}

/** `main` for the first lab of a database (or the base name given), then `run-2`, `run-3`, ... */
async function nextRunName(h: History, baseName?: string): Promise<string> {
  const names = new Set((await h.branches()).map((b) => b.name));
  const first = baseName ?? MAIN_BRANCH;
  if (!names.has(first)) return first;
  const stem = baseName ?? 'run';
  for (let i = 2; ; i++) if (!names.has(`${stem}-${i}`)) return `${stem}-${i}`;
}

export async function logCommand(h: History, args: { branch?: string; full: boolean }, io: Output): Promise<void> {
  const branch = await currentBranch(h, args.branch);
  const info = await h.branch(branch);
  const length = await h.length(branch);
  io.out(`branch ${branch}${info.parent ? ` (from ${info.parent}@${info.forkPosition})` : ''}, ${length} events\n`);
  for await (const { position, event, timeMs } of h.events(branch, 0, length)) {
    io.out(`${String(position).padStart(6)}  ${(timeMs / 1000).toFixed(3).padStart(10)}s  ${describeEvent(event)}\n`);
    if (args.full && event.type === 'ShellCommandRan') {
      // The operations beneath the command, then what it printed.
      for (const op of event.data.operations ?? []) io.out(`        > ${op}\n`);
    }
    if (args.full && event.type === 'ShellCommandRan') io.out(indentedOutput(event.data.output));
  }
}

/**
 * What a command printed, as `log --full` shows it under the command: each line behind `| `,
 * every line ended (a last line without a newline gets one), nothing for no output. Splitting on
 * newlines rather than anchoring a pattern at each line start keeps the empty piece after the
 * final newline from becoming a stray indented line that runs into the next event.
 */
export function indentedOutput(output: string): string {
  if (output === '') return '';
  const lines = output.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line === '' ? '        |\n' : `        | ${line}\n`)).join('');
}

/** `thinlab at POS`: every device's status and table at a position, and the lifecycle states. */
export async function atCommand(h: History, args: { branch?: string; position?: string }, io: Output): Promise<void> {
  const branch = await currentBranch(h, args.branch);
  const position = parsePosition(args.position, 'POS');
  const runtime = await h.stateAt(branch, position);
  const m = runtime.shell.machine;
  io.out(`${branch}@${position}  time ${(m.nowMs / 1000).toFixed(3)}s  state ${stateHash(runtime.lab).slice(0, 16)}\n`);
  const devices = m.deviceList();
  if (devices.length === 0) io.out('No devices found\n');
  for (const dev of devices) {
    const t = dev.live;
    const state = dev.suspended ? 'SUSPENDED' : 'ACTIVE';
    io.out(`${dev.name} (${state}, open ${dev.openCount}, events ${dev.eventNr})\n`);
    if (t === null) continue;
    io.out(`  table:  0 ${t.lengthSectors} ${t.type} ${m.targetTable(t)}\n`);
    // --noflush: looking at the past must not commit anything in it.
    io.out(`  status: 0 ${t.lengthSectors} ${t.type} ${m.targetStatus(dev, true)}\n`);
  }
  const states = runtime.lifecycleStates();
  for (const [k, v] of Object.entries(states.pools)) io.out(`pool machine ${k}: ${v}\n`);
  for (const [k, v] of Object.entries(states.thins)) io.out(`thin machine ${k}: ${v}\n`);
}

export async function rollbackCommand(
  h: History,
  args: { branch?: string; position?: string; name?: string },
  io: Output,
): Promise<void> {
  const from = await currentBranch(h, args.branch);
  const position = parsePosition(args.position, 'POS');
  const name = args.name ?? (await freeName(h, `${from}-at-${position}`));
  await h.createBranch(name, from, position, 0);
  await h.setHead(name);
  io.out(
    `branch ${name} starts at ${from}@${position}; it is now the head (nothing was deleted: ${from} keeps all ${await h.length(from)} events)\n`,
  );
}

async function freeName(h: History, base: string): Promise<string> {
  const names = new Set((await h.branches()).map((b) => b.name));
  if (!names.has(base)) return base;
  for (let i = 2; ; i++) if (!names.has(`${base}-${i}`)) return `${base}-${i}`;
}

export async function branchesCommand(h: History, io: Output): Promise<void> {
  const head = await h.head();
  const all = await h.branches();
  if (all.length === 0) io.out('no branches yet\n');
  for (const b of all) {
    const length = await h.length(b.name);
    io.out(
      `${b.name === head ? '*' : ' '} ${b.name.padEnd(24)} ${String(length).padStart(7)} events${b.parent ? `  from ${b.parent}@${b.forkPosition}` : ''}\n`,
    );
  }
}

export async function checkoutCommand(h: History, args: { branch?: string }, io: Output): Promise<void> {
  if (args.branch === undefined) throw new UsageError('checkout needs a branch name');
  await h.setHead(args.branch);
  io.out(`head is now ${args.branch} (${await h.length(args.branch)} events)\n`);
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
  return { name: `${b}@${pos}`, runtime: await h.stateAt(b, pos) };
}

export async function diffCommand(
  h: History,
  args: { branch?: string; a?: string; b?: string },
  io: Output,
): Promise<void> {
  if (args.a === undefined || args.b === undefined)
    throw new UsageError('diff needs two moments: POS, BRANCH or BRANCH@POS');
  const branch = await currentBranch(h, args.branch);
  const left = await resolveMoment(h, args.a, branch);
  const right = await resolveMoment(h, args.b, branch);
  io.out(formatDiff(diffLabs(left.runtime.shell.machine, right.runtime.shell.machine), left.name, right.name));
}

/** `thinlab replay`: rebuild a branch from its first event, checking every event, with progress. */
export async function replayCommand(h: History, args: { branch?: string }, io: Output): Promise<void> {
  const branch = await currentBranch(h, args.branch);
  const length = await h.length(branch);
  const runtime = LabRuntime.fresh({ ramdiskKb: (await h.branch(branch)).ramdiskKb });
  let done = 0;
  const started = process.hrtime.bigint();
  for await (const page of h.eventPages(branch, 0, length)) {
    for (const { position, event } of page) runtime.apply(event, `${branch}@${position}`);
    done += page.length;
    if (io.interactive && length > 10_000) {
      const width = 30;
      const filled = Math.round((done / length) * width);
      io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${length}`);
    }
  }
  if (io.interactive && length > 10_000) io.err('\n');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  io.out(
    `replayed ${done} events of ${branch} in ${seconds.toFixed(2)} s; every event gave the recorded outcome\nstate ${stateHash(runtime.lab)}\n`,
  );
}

export interface WhatIfArgs {
  readonly branch?: string;
  readonly at?: string;
  readonly inject?: string;
  readonly name?: string;
  /** ` --db PATH` or ` --store URL` as given, for the commands printed at the end. */
  readonly where: string;
  /** The outcome as JSON (src/replay/whatif.ts's WhatIfOutcome) instead of the report. */
  readonly json?: boolean;
}

/**
 * `thinlab whatif --at POS --inject LINE`: the branch again with LINE inserted after position POS,
 * on a new branch, and where it diverges from the original (src/replay/whatif.ts).
 */
export async function whatIfCommand(h: History, args: WhatIfArgs, io: Output): Promise<void> {
  if (args.inject === undefined || args.inject.trim() === '')
    throw new UsageError(
      "whatif needs --inject LINE, e.g. --inject 'fault io /dev/ram1 0+128 write' or --inject crash",
    );
  const at = parsePosition(args.at, '--at');
  for (const piece of args.inject.split(/\n|;|&&|\|\|/)) {
    const words = piece.trim().split(/\s+/);
    if (words[0] !== 'fault') continue;
    const wrong = checkFaultArgs(words.slice(1));
    if (wrong !== null) throw new UsageError(`--inject: ${wrong}`);
  }
  const from = await currentBranch(h, args.branch);
  const name = args.name ?? (await freeName(h, `${from}-whatif-${at}`));
  const r = await whatIf(h, { branch: from, at, inject: args.inject, name });
  if (args.json === true) {
    io.out(`${JSON.stringify({ ...r, originalModes: r.originalModes.filter((c) => c.position > r.at) }, null, 2)}\n`);
    return;
  }
  const injectedLast = r.at + r.injected;
  io.out(`what if: ${from} with \`${args.inject.replace(/\n+$/, '').replace(/\n/g, '; ')}\` after position ${r.at}\n`);
  io.out(
    `recorded as branch ${r.name}: ${from}@0..${r.at}, the injected command${r.injected === 1 ? '' : 's'} at ${r.at + 1}${r.injected > 1 ? `..${injectedLast}` : ''}, then ${from}@${r.at + 1}..${r.originalLength} run again (${r.name}@${injectedLast + 1}..${r.whatIfLength})\n`,
  );
  if (r.injectedOutput !== '') io.out(`the injected command printed:\n${quote(r.injectedOutput)}`);
  io.out('\n');
  const d = r.firstDifference;
  if (d === null) io.out(`output: every command after position ${r.at} printed the same as in ${from}\n`);
  else {
    const n = r.differences.length;
    io.out(
      `first difference: ${from}@${d.originalPosition} = ${r.name}@${d.whatIfPosition} (${n} command${n === 1 ? '' : 's'} printed something else)\n`,
    );
    io.out(`  $ ${d.command.replace(/\n+$/, '').replace(/\n/g, '\n    ')}\n`);
    io.out(`  ${from} printed (exit ${d.originalStatus}):\n${quote(d.original)}`);
    io.out(`  ${r.name} printed (exit ${d.whatIfStatus}):\n${quote(d.whatIf)}`);
    if (n > 1) {
      io.out('  then also:\n');
      for (const x of r.differences.slice(1, 11))
        io.out(`    ${from}@${x.originalPosition} = ${r.name}@${x.whatIfPosition}  ${x.command.split('\n')[0]}\n`);
      if (n > 11) io.out(`    ... and ${n - 11} more\n`);
    }
  }
  io.out('\npool modes:\n');
  const modes = (changes: readonly { position: number; pool: string; from: string; to: string }[]): string =>
    changes.length === 0
      ? 'no change'
      : changes.map((c) => `${c.pool} ${c.from} -> ${c.to} at @${c.position}`).join(', ');
  io.out(
    `  ${from.padEnd(Math.max(from.length, r.name.length))}  ${modes(r.originalModes.filter((c) => c.position > r.at))}\n`,
  );
  io.out(`  ${r.name.padEnd(Math.max(from.length, r.name.length))}  ${modes(r.whatIfModes)}\n`);
  io.out('\ndata at the end (thin devices read back on both branches):\n');
  if (r.data.length === 0) io.out('  every thin device reads back the same\n');
  for (const x of r.data) {
    io.out(
      `  ${x.device} bytes ${x.offsetBytes}+${x.lengthBytes}: ${from} ${x.original}, ${r.name} ${x.whatIf}${x.lost ? '  (data lost)' : ''}\n`,
    );
  }
  io.out(`\nlook closer: thinlab diff ${from} ${r.name}${args.where}; thinlab log --branch ${r.name}${args.where}\n`);
}

function quote(text: string): string {
  if (text === '') return '    (nothing)\n';
  return `${text.replace(/\n$/, '').replace(/^/gm, '    | ')}\n`;
}
