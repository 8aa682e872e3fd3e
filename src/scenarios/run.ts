/**
 * Running a scenario: every shell command of every step becomes one event (exactly as
 * `thinlab sh` records a script), so a run stored in the database can be replayed and travelled
 * through afterwards. Lab directives are shell commands too (`advance` is `sleep`, `crash` the
 * lab's `crash` builtin), so the history holds nothing a plain replay does not know.
 */
import { topLevelCommands } from '../lab/script-pieces.js';
import type { StackId } from '../model/stack.js';
import type { LabEvent } from '../events/lab-events.js';
import { LabRuntime } from '../replay/lab-runtime.js';
import { checkExpectation, type CheckResult } from './expect.js';
import type { Scenario, Step } from './types.js';
import { NO_SPACE_TIMEOUT_PATH } from '../lab/fs.js';

export interface StepRecord {
  /** 1-based; 0 is the machine setup. */
  readonly index: number;
  readonly kind: Step['kind'] | 'setup';
  /** The file line the step starts on. */
  readonly line: number;
  /** What the step ran, as shell text (empty for mark and expect). */
  readonly command: string;
  readonly output: string;
  readonly status: number | null;
  /** The history positions before and after the step: its events are from+1 .. to. */
  readonly from: number;
  readonly to: number;
  readonly checks: readonly CheckResult[];
  readonly mark?: string;
  /** The lab stopped with an error of its own (a broken invariant): a bug, reported as a failure. */
  readonly error?: string;
}

export interface ScenarioResult {
  readonly file: string;
  readonly title: string;
  readonly passed: boolean;
  readonly steps: readonly StepRecord[];
  /** The first step with a failed check or an error, or null. */
  readonly firstFailure: StepRecord | null;
  readonly marks: Readonly<Record<string, number>>;
  readonly length: number;
}

/** Where the run's events go (the database), called once per event in order. */
export type EventSink = (event: LabEvent, timeMs: number, runtime: LabRuntime) => Promise<void>;

export interface RunOptions {
  readonly record?: EventSink;
  /** Called after each step with the steps done and the total. */
  readonly progress?: (done: number, total: number) => void;
  /** The stack to run on (`thinlab run --stack`); debian12 unless said. */
  readonly stack?: StackId;
}

/** Wraps an error of the event sink, so it is not taken for an error of the lab. */
class RecordFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('recording failed');
  }
}

/** The shell text a step runs; `advance` becomes a `sleep` so background jobs run on the way. */
export function stepCommand(step: Step): string {
  switch (step.kind) {
    case 'run':
      return step.command;
    case 'advance':
      return `sleep ${formatSeconds(step.ms)}`;
    case 'crash':
      return 'crash';
    case 'fault':
      return `fault ${step.text}`;
    default:
      return '';
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3).replace(/0+$/, '');
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the scenario runner is one loop over steps with its checks in order; helpers hold the parts that stand alone.
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const runtime = LabRuntime.fresh({
    ...(scenario.machine.ramdiskKb === undefined ? {} : { ramdiskKb: scenario.machine.ramdiskKb }),
    ...(scenario.machine.mutations === undefined ? {} : { mutations: scenario.machine.mutations }),
    // `thinlab run --stack` over the file's own `stack:` (the CLI refuses the two disagreeing).
    ...((options.stack ?? scenario.stack) === undefined ? {} : { stack: options.stack ?? scenario.stack }),
  });
  const records: StepRecord[] = [];
  const marks: Record<string, number> = {};
  let position = 0;
  let stopped = false;

  /** Runs shell text piece by piece, one event each. */
  const runText = async (text: string): Promise<{ output: string; status: number }> => {
    let output = '';
    let status = 0;
    for (const piece of topLevelCommands(runtime.shell, text)) {
      const event = runtime.runCommand(piece);
      if (event.type === 'ShellCommandRan') {
        output += event.data.output;
        status = event.data.status;
      }
      position++;
      try {
        await options.record?.(event, runtime.shell.machine.nowMs, runtime);
      } catch (e) {
        throw new RecordFailed(e);
      }
    }
    return { output, status };
  };

  if (scenario.machine.noSpaceTimeout !== undefined) {
    const command = `echo ${scenario.machine.noSpaceTimeout} > ${NO_SPACE_TIMEOUT_PATH}`;
    const r = await runText(command);
    records.push({
      index: 0,
      kind: 'setup',
      line: 0,
      command,
      output: r.output,
      status: r.status,
      from: 0,
      to: position,
      checks: [],
    });
  }

  for (const [i, step] of scenario.steps.entries()) {
    const from = position;
    const command = stepCommand(step);
    let run: { output: string; status: number } | undefined;
    const checks: CheckResult[] = [];
    let error: string | undefined;
    try {
      if (command !== '') run = await runText(command);
      if (step.kind === 'run' && scenario.expectedTranscript !== undefined)
        checks.push(compareTranscript(scenario.expectedTranscript, run?.output ?? ''));
      if (step.kind !== 'mark' && step.expect !== undefined)
        checks.push(...checkExpectation(step.expect, runtime.shell.machine, step.kind === 'run' ? run : undefined));
    } catch (e) {
      // The store failing is not a finding about the scenario: it ends the run as it is.
      if (e instanceof RecordFailed) throw e.cause;
      error = `${(e as Error).name}: ${(e as Error).message}`;
      stopped = true;
    }
    if (step.kind === 'mark') marks[step.name] = position;
    records.push({
      index: i + 1,
      kind: step.kind,
      line: step.line,
      command,
      output: run?.output ?? '',
      status: run?.status ?? null,
      from,
      to: position,
      checks,
      ...(step.kind === 'mark' ? { mark: step.name } : {}),
      ...(error === undefined ? {} : { error }),
    });
    options.progress?.(i + 1, scenario.steps.length);
    // After an error of the lab itself, the state is not to be trusted: stop there.
    if (stopped) break;
  }
  const firstFailure = records.find((r) => r.error !== undefined || r.checks.some((c) => !c.ok)) ?? null;
  return {
    file: scenario.file,
    title: scenario.title,
    passed: firstFailure === null,
    steps: records,
    firstFailure,
    marks,
    length: position,
  };
}

/** The whole transcript of a `.sh` scenario against its `.expected` file, naming the first different line. */
function compareTranscript(expected: string, actual: string): CheckResult {
  if (expected === actual)
    return { name: 'transcript', ok: true, expected: 'the .expected transcript', actual: 'the same' };
  const e = expected.split('\n');
  const a = actual.split('\n');
  let n = 0;
  while (n < e.length && n < a.length && e[n] === a[n]) n++;
  return {
    name: `transcript (first difference at line ${n + 1})`,
    ok: false,
    expected: e[n] === undefined ? '(end of transcript)' : e[n]!,
    actual: a[n] === undefined ? '(end of output)' : a[n]!,
  };
}
