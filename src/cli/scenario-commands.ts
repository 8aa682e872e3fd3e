/**
 * `thinlab run FILE...` and `thinlab bisect --expect EXPR`: the scenario runner and the search for
 * the first bad position of a recorded branch. Each scenario run is stored as a branch of its own
 * (one event per shell command, as `thinlab sh` records), so a failure can be opened with
 * `thinlab at POS --branch NAME` and travelled through like any recorded script.
 */
import { basename } from 'node:path';
import { describeEvent } from '../events/describe-event.js';
import type { LabEvent } from '../events/lab-events.js';
import { DEFAULT_RAMDISK_KB } from '../lab/lab.js';
import { NAMED_INVARIANTS } from '../model/named-invariants.js';
import type { StackId } from '../model/stack.js';
import { type History, HistoryError } from '../replay/history.js';
import type { LabRuntime } from '../replay/lab-runtime.js';
import {
  BisectExprError,
  bisect,
  type BisectCheck,
  describeCheck,
  parseBisectExpr,
  parseInvariantName,
  poolLines,
} from '../scenarios/bisect.js';
import { formatTimeline, type Recorded, resultJson } from '../scenarios/format.js';
import { uiLink } from '../shared/ui-link.js';
import { type EventSink, runScenario } from '../scenarios/run.js';
import { formatProblem, type Scenario, ScenarioInvalid, type ScenarioProblem } from '../scenarios/types.js';
import { type Output, printJson, UsageError } from './output.js';
import { loadScenario } from './scenario-files.js';

export interface RunArgs {
  readonly files: readonly string[];
  readonly json: boolean;
  readonly record: boolean;
  /** Only with one file: the branch name to record it as. */
  readonly branch?: string;
  /** The stack every scenario runs on (--stack or THINLAB_STACK); debian12 unless said. */
  readonly stack?: StackId;
  /** ` --db PATH` or ` --store URL` as given, to print commands the user can paste; '' for the default. */
  readonly where: string;
}

export type WithHistory = <T>(run: (h: History) => Promise<T>) => Promise<T>;

/** Runs scenario files; returns the exit status: 0 all passed, 1 a check failed, 2 a file is invalid. */
export async function runScenariosCommand(args: RunArgs, withHistory: WithHistory, io: Output): Promise<number> {
  if (args.files.length === 0)
    throw new UsageError(
      'run needs at least one scenario file (scenarios/*.yaml, or a .sh with a .expected beside it)',
    );
  if (args.branch !== undefined && args.files.length > 1)
    throw new UsageError('--branch names one run: give one file with it');
  // Every file is checked before anything runs, so a typo in the tenth file costs nothing.
  const scenarios: Scenario[] = [];
  const problems: ScenarioProblem[] = [];
  for (const file of args.files) {
    try {
      scenarios.push(loadScenario(file));
    } catch (e) {
      if (!(e instanceof ScenarioInvalid)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) {
    if (args.json) io.out(`${JSON.stringify({ valid: false, problems }, null, 2)}\n`);
    for (const p of problems) io.err(`thinlab: ${formatProblem(p)}\n`);
    return 2;
  }
  // A scenario file names the stack it was written for; `--stack` may say the same or nothing.
  const contradicted = scenarios.find(
    (sc) => sc.stack !== undefined && args.stack !== undefined && sc.stack !== args.stack,
  );
  if (contradicted !== undefined)
    throw new UsageError(
      `${contradicted.file}: the scenario is written for stack ${contradicted.stack}; --stack ${args.stack} contradicts it`,
    );
  const run = async (h: History | null): Promise<number> => {
    const reports: unknown[] = [];
    let failed = false;
    let headAfter: string | null = null;
    for (const scenario of scenarios) {
      const recorded = h === null ? null : await startBranch(h, scenario, args);
      const sink = h === null || recorded === null ? undefined : branchSink(h, recorded.branch);
      const progress =
        io.interactive && scenario.steps.length > 20
          ? (done: number, total: number) => io.err(`\r${basename(scenario.file)}: step ${done}/${total}`)
          : undefined;
      const result = await runScenario(scenario, {
        ...(sink === undefined ? {} : { record: sink }),
        ...(progress === undefined ? {} : { progress }),
        ...(args.stack === undefined ? {} : { stack: args.stack }),
      });
      if (progress !== undefined) io.err('\r\x1b[K');
      if (args.json) reports.push(resultJson(scenario, result, recorded));
      else io.out(`${formatTimeline(scenario, result, recorded)}\n`);
      if (recorded !== null && (headAfter === null || (!result.passed && !failed))) headAfter = recorded.branch;
      failed ||= !result.passed;
    }
    if (h !== null && headAfter !== null) await h.setHead(headAfter);
    if (args.json) io.out(`${JSON.stringify({ valid: true, passed: !failed, scenarios: reports }, null, 2)}\n`);
    else if (scenarios.length > 1) io.out(`${failed ? 'FAILED' : 'all passed'}: ${scenarios.length} scenarios\n`);
    return failed ? 1 : 0;
  };
  return args.record ? withHistory((h) => run(h)) : run(null);
}

async function startBranch(h: History, scenario: Scenario, args: RunArgs): Promise<Recorded> {
  const stem =
    basename(scenario.file)
      .replace(/\.(ya?ml|sh)$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 56) || 'scenario';
  const created = await h.createBranch({
    naming: args.branch !== undefined ? { name: args.branch } : { first: stem, stem },
    parent: null,
    forkPosition: 0,
    ramdiskKb: scenario.machine.ramdiskKb ?? DEFAULT_RAMDISK_KB,
    mutations: scenario.machine.mutations ?? [],
    ...((args.stack ?? scenario.stack) === undefined ? {} : { stack: args.stack ?? scenario.stack }),
    origin: 'run',
    head: false,
  });
  return { branch: created.name, where: args.where };
}

/** Appends each event at the end of the branch, checking the branch did not move meanwhile. */
function branchSink(h: History, branch: string): EventSink {
  let length = 0;
  return async (event: LabEvent, timeMs: number, runtime: LabRuntime) => {
    length = await h.append(branch, [{ event, timeMs }], runtime, length);
  };
}

export interface BisectArgs {
  readonly expect?: string;
  /** A named invariant (src/model/named-invariants.ts) instead of an expectation. */
  readonly invariant?: string;
  /** The position to search up to (default: the end of the branch), where the expectation must fail. */
  readonly end?: string;
  readonly branch?: string;
  readonly where: string;
  /** The outcome as one JSON document (docs/cli.md) instead of the side-by-side report. */
  readonly json?: boolean;
}

/** `thinlab bisect --expect EXPR`: prints the last good and first bad positions side by side. */
export async function bisectCommand(h: History, args: BisectArgs, io: Output): Promise<number> {
  if (args.expect === undefined && args.invariant === undefined) {
    throw new UsageError(
      `bisect needs --expect EXPR (e.g. --expect 'pool_mode pool=write') or --invariant NAME (${NAMED_INVARIANTS.map((i) => i.name).join(', ')})`,
    );
  }
  if (args.expect !== undefined && args.invariant !== undefined)
    throw new UsageError('bisect takes --expect or --invariant, not both');
  let check: BisectCheck;
  try {
    check = args.invariant !== undefined ? parseInvariantName(args.invariant) : parseBisectExpr(args.expect!);
  } catch (e) {
    if (e instanceof BisectExprError) throw new UsageError(e.message);
    throw e;
  }
  let branch = args.branch;
  if (branch === undefined) {
    const head = await h.head();
    if (head === null)
      throw new HistoryError(
        'UNKNOWN_BRANCH',
        'the database has no lab yet: record one with `thinlab sh FILE` or `thinlab run FILE`',
      );
    branch = head;
  }
  if (args.end !== undefined && !/^[0-9]+$/.test(args.end))
    throw new UsageError(`the end position must be a number, got '${args.end}'`);
  const outcome = await bisect(h, branch, check, args.end === undefined ? undefined : Number(args.end));
  const expr = describeCheck(check);
  if (args.json === true) {
    printJson(io, await bisectJson(h, branch, expr, outcome));
    return outcome.kind === 'missing' ? 1 : 0;
  }
  if (outcome.kind === 'holds') {
    const again = check.kind === 'invariant' ? `--invariant ${check.invariant.name}` : `--expect '${expr}'`;
    io.out(
      `${expr} holds at ${branch}@${outcome.length}: nothing to bisect (give a position where it fails: thinlab bisect ${again} POS)\n`,
    );
    return 0;
  }
  if (outcome.kind === 'missing') {
    io.out(
      `${expr} fails at ${branch}@${outcome.length}: ${outcome.bad.check.actual}\n` +
        `nothing to bisect: the expectation names something that is not there (check the name with thinlab at ${outcome.length} --branch ${branch}${args.where}, or give a position where it is there: thinlab bisect ... POS)\n`,
    );
    return 1;
  }
  const { good, bad } = outcome;
  const commandAt = (position: number): Promise<string> => commandAtPosition(h, branch, position);
  let badOutput = '';
  for await (const { event } of h.events(branch, bad.position - 1, bad.position))
    if (event.type === 'ShellCommandRan') badOutput = event.data.output;
  const rows: Array<[string, string, string]> = [
    ['position', String(good.position), String(bad.position)],
    ['command', await commandAt(good.position), await commandAt(bad.position)],
    [expr, good.check.actual, bad.check.actual],
  ];
  const goodPools = poolLines(good.runtime);
  const badPools = poolLines(bad.runtime);
  for (const name of [...new Set([...goodPools.keys(), ...badPools.keys()])].sort()) {
    rows.push([`pool ${name}`, goodPools.get(name) ?? '(none)', badPools.get(name) ?? '(none)']);
  }
  io.out(`bisect ${branch} positions 0..${outcome.length} for ${expr}: ${outcome.statesLooked} states looked at\n`);
  io.out(
    `first bad position ${bad.position}: ${bad.check.name} expected ${bad.check.expected}, got ${bad.check.actual}\n\n`,
  );
  // A good side whose check is missing: the thing appeared already failing, so nothing held.
  if (good.check.missing === true) io.out(`it never held: at position ${good.position} ${good.check.actual}\n\n`);
  io.out(sideBySide([['', good.check.missing === true ? 'before' : 'last good', 'first bad'], ...rows]));
  if (badOutput !== '')
    io.out(`\nwhat position ${bad.position} printed:\n${badOutput.replace(/\n$/, '').replace(/^/gm, '  | ')}\n`);
  io.out(
    `\nopen the states: thinlab at ${good.position} --branch ${branch}${args.where}; thinlab at ${bad.position} --branch ${branch}${args.where}\n`,
  );
  io.out(`what changed:    thinlab diff ${branch}@${good.position} ${branch}@${bad.position}${args.where}\n`);
  io.out(`${uiLink(branch, bad.position, args.where)}\n`);
  return 0;
}

/** The command that brought a branch to a position, as `thinlab log` names it. */
async function commandAtPosition(h: History, branch: string, position: number): Promise<string> {
  if (position === 0) return '(the fresh lab)';
  for await (const { event } of h.events(branch, position - 1, position)) return describeEvent(event);
  return '';
}

/** `bisect --json`: the same outcome as the report, as data. */
async function bisectJson(
  h: History,
  branch: string,
  expr: string,
  outcome: Awaited<ReturnType<typeof bisect>>,
): Promise<unknown> {
  const base = { branch, check: expr, length: outcome.length, statesLooked: outcome.statesLooked };
  if (outcome.kind === 'holds') return { ...base, holds: true, missing: false, good: null, bad: null };
  const side = async (s: typeof outcome.bad) => ({
    position: s.position,
    command: await commandAtPosition(h, branch, s.position),
    name: s.check.name,
    expected: s.check.expected,
    actual: s.check.actual,
    passed: s.check.ok,
  });
  // A check naming something that is not there at the end fails there: nothing held to bisect from.
  if (outcome.kind === 'missing')
    return { ...base, holds: false, missing: true, good: null, bad: await side(outcome.bad) };
  return { ...base, holds: false, missing: false, good: await side(outcome.good), bad: await side(outcome.bad) };
}

/** Three columns; a cell wider than its column wraps onto the next lines of the same row. */
function sideBySide(rows: ReadonlyArray<readonly [string, string, string]>): string {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w = 60;
  // Wrapped at spaces, so a status line splits between its fields.
  const wrap = (s: string): string[] => {
    const out: string[] = [];
    let line = '';
    for (const word of s.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > w) {
        out.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    out.push(line);
    return out;
  };
  let out = '';
  for (const [label, left, right] of rows) {
    const l = wrap(left);
    const r = wrap(right);
    for (let i = 0; i < Math.max(l.length, r.length); i++) {
      out += `${`${(i === 0 ? label : '').padEnd(w0)}  ${(l[i] ?? '').padEnd(w)}  ${r[i] ?? ''}`.trimEnd()}\n`;
    }
  }
  return out;
}
