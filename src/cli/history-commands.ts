/**
 * The time-travel commands: log, at, rollback, branches, checkout, diff, replay, and the
 * recording side of `thinlab sh`. They work on the store the CLI opened and on the branch named
 * by --branch or, by default, the head branch.
 */

import { describeEvent } from '../events/describe-event.js';
import { currentBranch } from './log-command.js';
import type { ImageAttached } from '../events/lab-events.js';
import { checkFaultArgs } from '../faults/fault-command.js';
import { checkAttach } from '../lab/attach-image.js';
import type { LabShell } from '../lab/lab-shell.js';
import type { PieceMode } from '../shell/session.js';
import { type BranchOrigin, damageError, type History, MAIN_BRANCH, type PositionedEvent } from '../replay/history.js';
import { LabRuntime } from '../replay/lab-runtime.js';
import { stateHash } from '../replay/lab-snapshot.js';
import { CheckExprError, parseCheckExpr, parseInvariantName, type StateCheck } from '../replay/state-checks.js';
import { type CheckTrack, type WhatIfOutcome, whatIf } from '../replay/whatif.js';
import { uiLink } from '../shared/ui-link.js';
import type { StackId } from '../model/stack.js';
import { type Output, printJson, UsageError } from './output.js';
import { parsePosition } from './state-commands.js';
import { pieceText, type ScriptPiece, scriptPieces } from '../lab/script-pieces.js';

export { type Output, UsageError } from './output.js';
// at and diff live in state-commands.ts; they are re-exported for the callers that take them from here.
export { atCommand, diffCommand, type LabStateView, labStateView } from './state-commands.js';

/** The branch a command works on: --branch, else the head, else main. */

/** Records a script into a branch: a new one by default, or the end of an existing one. */
export async function recordScript(
  h: History,
  script: string,
  options: {
    branch?: string;
    baseName?: string;
    continueBranch: boolean;
    ramdiskKb: number;
    /** The stack of a new branch (debian12 unless said); with --continue, it must be the branch's own. */
    stack?: StackId;
    trace: boolean;
    /** A host image to place on a RAM disk first (`--attach FILE:/dev/ramN`), recorded as an event. */
    attach?: ImageAttached['data'];
    origin?: BranchOrigin;
    /**
     * The script was typed at a terminal (`thinlab sh` with standard input a terminal): each
     * command runs as at ash's interactive prompt, where an error loses that command only.
     * Otherwise the script runs as `sh FILE` runs it (a fatal error ends it, its EXIT trap fires).
     */
    interactive?: boolean;
  },
  io: Output,
): Promise<{ branch: string; length: number; recorded: number; status: number }> {
  let branch: string;
  let runtime: LabRuntime;
  let length: number;
  const attach = options.attach;
  if (options.continueBranch) {
    branch = await currentBranch(h, options.branch);
    await checkSameStack(h, branch, options.stack);
    length = await h.length(branch);
    runtime = await h.stateAt(branch, length);
    if (attach !== undefined) checkAttach(runtime.lab, attach.device, attach.file, attach.sizeBytes);
    await h.setHead(branch);
  } else {
    runtime = LabRuntime.fresh({
      ramdiskKb: options.ramdiskKb,
      ...(options.stack === undefined ? {} : { stack: options.stack }),
    });
    // Refused before the branch exists, so a refused image leaves nothing behind.
    if (attach !== undefined) checkAttach(runtime.lab, attach.device, attach.file, attach.sizeBytes);
    // One registry write creates the branch and makes it the head: a crash leaves neither or both.
    const created = await h.createBranch({
      naming:
        options.branch !== undefined
          ? { name: options.branch }
          : { first: options.baseName ?? MAIN_BRANCH, stem: options.baseName ?? 'run' },
      parent: null,
      forkPosition: 0,
      ramdiskKb: options.ramdiskKb,
      ...(options.stack === undefined ? {} : { stack: options.stack }),
      origin: options.origin ?? 'sh',
      head: true,
    });
    branch = created.name;
    length = 0;
  }
  const start = length;
  if (attach !== undefined) {
    const event = runtime.attachImage(attach);
    if (options.trace) io.out(`$ ${describeEvent(event)}\n`);
    length = await h.append(branch, [{ event, timeMs: runtime.shell.machine.nowMs }], runtime, length);
  }
  const pieces = scriptPieces(runtime.shell, script);
  const last = lastCommandAt(pieces);
  for (const [i, piece] of pieces.entries()) {
    // After `exit` nothing runs, as in sh: the rest of the script is not recorded either.
    if (runtime.shell.exitStatus !== null) break;
    if (options.trace) tracePiece(piece, io);
    if (piece.command === '') continue;
    const mode = pieceMode(options.interactive === true, i === last);
    const event = runtime.runCommand(scriptPieceText(piece, mode, script), mode);
    // The output is shown once the event is stored: a command that another process's write made
    // impossible to record (BRANCH_MOVED) prints nothing, since it never happened in the history.
    length = await h.append(branch, [{ event, timeMs: runtime.shell.machine.nowMs }], runtime, length);
    if (event.type === 'ShellCommandRan') io.out(event.data.output);
  }
  return { branch, length, recorded: length - start, status: scriptStatus(runtime.shell) };
}

/**
 * A branch is one stack for its whole history: commands recorded on Debian 13 after ones recorded
 * on Debian 12 could never be replayed, so continuing a branch on another stack is refused.
 */
async function checkSameStack(h: History, branch: string, asked: StackId | undefined): Promise<void> {
  const recorded = (await h.branch(branch)).stack;
  if (asked !== undefined && asked !== recorded)
    throw new UsageError(
      `branch ${branch} was recorded on ${recorded}, not ${asked}: a branch keeps one stack for its whole history; continue it without --stack ${asked} (and THINLAB_STACK), or start a new branch on ${asked}`,
    );
}

/** A stack as `log` and `at` name it: its id and the kernel, thin tools and LVM it runs. */

/** The index of the last piece with a command (after it the script ends); -1 when none has one. */
export function lastCommandAt(pieces: readonly ScriptPiece[]): number {
  let at = pieces.length - 1;
  while (at >= 0 && pieces[at]!.command === '') at--;
  return at;
}

/** How a piece runs: as at a prompt when typed at a terminal, else as part of a script file. */
export function pieceMode(interactive: boolean, last: boolean): PieceMode {
  if (interactive) return 'line';
  return last ? 'script-end' : 'script';
}

/**
 * The text a piece runs as: the last piece of a script file keeps the newline that ends the file,
 * so that a syntax error at the end of the file names the line ash names (the one after the last).
 */
export function scriptPieceText(piece: ScriptPiece, mode: PieceMode, script: string): string {
  return mode === 'script-end' && script.endsWith('\n') ? `${pieceText(piece)}\n` : pieceText(piece);
}

/** `--trace`: the comments before a command as they are, then the command after `$ `. */
export function tracePiece(piece: ScriptPiece, io: Output): void {
  if (piece.lead !== '') io.out(`${piece.lead}\n`);
  if (piece.command !== '') io.out(`$ ${piece.command}\n`);
}

/** The status a script ends with, as sh's: its `exit N`, else the status of its last command. */
export function scriptStatus(shell: LabShell): number {
  return shell.exitStatus ?? Number(shell.lastStatus);
}

export async function rollbackCommand(
  h: History,
  args: { branch?: string; position?: string; name?: string; origin?: BranchOrigin },
  io: Output,
): Promise<void> {
  const position = parsePosition(args.position, 'POS');
  // `rollback 5 --branch what-if` is what a user types first for a new branch called what-if;
  // --branch names the branch rolled back everywhere else, so a name that is no branch is refused
  // with the option that names the new one.
  if (args.branch !== undefined && !(await h.branches()).some((b) => b.name === args.branch))
    throw new UsageError(
      `rollback: there is no branch '${args.branch}' to roll back (--branch FROM names the branch to roll back; the new branch is named with --name: thinlab rollback ${position} --name ${args.branch})`,
    );
  const from = await currentBranch(h, args.branch);
  const naming =
    args.name !== undefined ? { name: args.name } : { first: `${from}-at-${position}`, stem: `${from}-at-${position}` };
  const created = await h.createBranch({
    naming,
    parent: from,
    forkPosition: position,
    ramdiskKb: 0,
    origin: args.origin ?? 'rollback',
    head: true,
  });
  io.out(
    `branch ${created.name} starts at ${from}@${position}; it is now the head (nothing was deleted: ${from} keeps all ${await h.length(from)} events)\n`,
  );
}

export async function branchesCommand(
  h: History,
  args: { delete?: string; prune?: boolean; json?: boolean },
  io: Output,
): Promise<void> {
  if (args.delete !== undefined || args.prune === true) {
    if (args.delete !== undefined && args.prune === true)
      throw new UsageError('branches takes --delete NAME or --prune, not both');
    const r = args.delete !== undefined ? await h.deleteBranches([args.delete]) : await h.prune();
    if (r.deleted.length === 0 && args.json !== true)
      io.out(
        'nothing to prune: each branch made by run, whatif or a demo is the head or has branches starting from it\n',
      );
    if (args.json === true) {
      printJson(io, { deleted: r.deleted, head: r.head });
      return;
    }
    for (const name of r.deleted) io.out(`deleted branch ${name}\n`);
    if (r.deleted.length > 0)
      io.out(`the events other branches share are kept; the head is ${r.head ?? 'none (no branches left)'}\n`);
    return;
  }
  const head = await h.head();
  const all = await h.branches();
  const rows = [];
  for (const b of all)
    rows.push({
      name: b.name,
      head: b.name === head,
      length: await h.length(b.name),
      parent: b.parent,
      forkPosition: b.forkPosition,
      stack: b.stack,
    });
  if (args.json === true) {
    printJson(io, { head, branches: rows });
    return;
  }
  if (rows.length === 0) io.out('no branches yet\n');
  for (const b of rows) {
    io.out(
      `${b.head ? '*' : ' '} ${b.name.padEnd(24)} ${String(b.length).padStart(7)} events  ${b.stack}${b.parent ? `  from ${b.parent}@${b.forkPosition}` : ''}\n`,
    );
  }
}

export async function checkoutCommand(h: History, args: { branch?: string }, io: Output): Promise<void> {
  if (args.branch === undefined) throw new UsageError('checkout needs a branch name');
  await h.setHead(args.branch);
  io.out(`head is now ${args.branch} (${await h.length(args.branch)} events)\n`);
}

/** `thinlab replay`: rebuild a branch from its first event, checking every event, with progress. */
export async function replayCommand(h: History, args: { branch?: string }, io: Output): Promise<void> {
  const branch = await currentBranch(h, args.branch);
  const length = await h.length(branch);
  const runtime = LabRuntime.forBranch(await h.branch(branch));
  // Replay is the check of a whole branch: every event's text against its checksum first.
  const damaged = await h.damageIn(branch, 0, length);
  if (damaged.length > 0) throw damageError(branch, damaged);
  let done = 0;
  const started = process.hrtime.bigint();
  for await (const page of pagesOrDamage(h, branch, length, () => done + 1)) {
    for (const { position, event } of page) {
      try {
        runtime.apply(event, `${branch}@${position}`);
      } catch (e) {
        throw await h.asDamage(e, branch, position);
      }
    }
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

/** The branch's pages; an event that cannot be read is checked for damage (`next()` is its position). */
async function* pagesOrDamage(
  h: History,
  branch: string,
  length: number,
  next: () => number,
): AsyncGenerator<PositionedEvent[]> {
  try {
    yield* h.eventPages(branch, 0, length);
  } catch (e) {
    throw await h.asDamage(e, branch, next());
  }
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
  /** A state expectation (bisect's forms) followed on both sides. */
  readonly expect?: string;
  /** A named invariant followed on both sides. */
  readonly invariant?: string;
  /** Another stack for the new branch (`--stack`): the whole branch run again on it. */
  readonly stack?: StackId;
}

/** What was inserted where, and which events the new branch holds. */
function printWhatIfHeader(r: WhatIfOutcome, from: string, inject: string, io: Output): void {
  const injectedLast = r.at + r.injected;
  const injectedText = inject.replace(/\n+$/, '').replace(/\n/g, '; ');
  if (r.stack !== r.originalStack) {
    io.out(
      `what if: ${from} (${r.originalStack}) on ${r.stack}${r.injected === 0 ? '' : `, with \`${injectedText}\` after position ${r.at}`}\n`,
    );
    io.out(
      `recorded as branch ${r.name} on ${r.stack}: every event of ${from} run again on a fresh ${r.stack} lab (${r.name}@1..${r.whatIfLength}${r.injected === 0 ? '' : `, the injected command${r.injected === 1 ? '' : 's'} at ${r.at + 1}${r.injected > 1 ? `..${injectedLast}` : ''}`})\n`,
    );
    return;
  }
  io.out(`what if: ${from} with \`${injectedText}\` after position ${r.at}\n`);
  io.out(
    `recorded as branch ${r.name}: ${from}@0..${r.at}, the injected command${r.injected === 1 ? '' : 's'} at ${r.at + 1}${r.injected > 1 ? `..${injectedLast}` : ''}, then ${from}@${r.at + 1}..${r.originalLength} run again (${r.name}@${injectedLast + 1}..${r.whatIfLength})\n`,
  );
}

/** The checks `whatif --expect`/`--invariant` asked for, parsed by bisect's rules. */
function whatIfChecks(args: WhatIfArgs): StateCheck[] {
  try {
    return [
      ...(args.expect === undefined ? [] : [parseCheckExpr(args.expect)]),
      ...(args.invariant === undefined ? [] : [parseInvariantName(args.invariant)]),
    ];
  } catch (e) {
    if (e instanceof CheckExprError) throw new UsageError(e.message);
    throw e;
  }
}

/** Each check on both sides: where it first failed after the insertion point, and at the end. */
function formatWhatIfChecks(r: WhatIfOutcome, from: string): string {
  if (r.checks.length === 0) return '';
  const width = Math.max(from.length, r.name.length);
  const side = (branch: string, t: CheckTrack): string =>
    `  ${branch.padEnd(width)}  ${t.firstFailure === null ? 'holds throughout' : `fails from @${t.firstFailure.position}: ${t.firstFailure.result.actual}`}; at the end: ${t.end.ok ? 'holds' : t.end.actual}\n`;
  return `\n${r.checks.map((c) => `${c.name} after position ${r.at}:\n${side(from, c.original)}${side(r.name, c.whatIf)}`).join('')}`;
}

/**
 * `thinlab whatif --at POS --inject LINE`: the branch again with LINE inserted after position POS,
 * on a new branch, and where it diverges from the original (src/replay/whatif.ts).
 */
export async function whatIfCommand(h: History, args: WhatIfArgs, io: Output): Promise<void> {
  const from = await currentBranch(h, args.branch);
  const originalStack = (await h.branch(from)).stack;
  // On another stack the run itself is the question, so nothing needs to be injected.
  const crossStack = args.stack !== undefined && args.stack !== originalStack;
  const inject = args.inject ?? '';
  if (inject.trim() === '' && !crossStack)
    throw new UsageError(
      "whatif needs --inject LINE, e.g. --inject 'fault io /dev/ram1 0+128 write' or --inject crash (or --stack for the branch on another stack)",
    );
  // Comments are never events (positions count commands): an injection of comments alone would
  // make a branch identical to its source, so it is refused rather than recorded as a what-if.
  if (!crossStack && inject.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('#')))
    throw new UsageError('--inject has only comments: comments are never events, so there is nothing to insert');
  const at = crossStack && args.at === undefined ? 0 : parsePosition(args.at, '--at');
  for (const piece of inject.split(/\n|;|&&|\|\|/)) {
    const words = piece.trim().split(/\s+/);
    if (words[0] !== 'fault') continue;
    const wrong = checkFaultArgs(words.slice(1));
    if (wrong !== null) throw new UsageError(`--inject: ${wrong}`);
  }
  const checks = whatIfChecks(args);
  const stem = crossStack ? `${from}-on-${args.stack}` : `${from}-whatif-${at}`;
  const naming = args.name !== undefined ? { name: args.name } : { first: stem, stem };
  const r = await whatIf(h, {
    branch: from,
    at,
    inject,
    naming,
    checks,
    ...(args.stack === undefined ? {} : { stack: args.stack }),
  });
  if (args.json === true) {
    printJson(io, { ...r, originalModes: r.originalModes.filter((c) => c.position > r.at) });
    return;
  }
  printWhatIfHeader(r, from, inject, io);
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
  io.out(formatWhatIfChecks(r, from));
  io.out(`\nlook closer: thinlab diff ${from} ${r.name}${args.where}; thinlab log --branch ${r.name}${args.where}\n`);
  // The page opens where the two first differ, or else where the injected commands end.
  io.out(`${uiLink(r.name, d === null ? r.at + r.injected : d.whatIfPosition, args.where)}\n`);
}

function quote(text: string): string {
  if (text === '') return '    (nothing)\n';
  return `${text.replace(/\n$/, '').replace(/^/gm, '    | ')}\n`;
}
