/**
 * A property campaign: fast-check draws sequences of up to `maxCommands` commands (fc.commands),
 * runs each against the model and the reference with every per-command invariant on, checks
 * invariants 7-9 at the end of a sample of sequences, shrinks the first failure to the shortest
 * failing sequence, and re-runs that one to describe it (the commands that ran and the violation).
 */
import fc from 'fast-check';
import type { ModelMutation } from '../src/model/mutations.js';
import type { StackId } from '../src/model/stack.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { commandsArbitrary, configArbitrary, PropCommand } from './arbitraries.js';
import type { Cmd } from './commands.js';
import type { Coverage } from './coverage.js';
import { Violation } from './invariants.js';
import { checkImage, checkReplay } from './replay-checks.js';
import { runSequence, SequenceState, type SequenceConfig } from './runner.js';

export interface CampaignOptions {
  readonly seed: number;
  /**
   * The replay path of a counterexample as a failure prints it: fast-check's path, '@', and the
   * commands' replay path. With the same seed it runs just that counterexample.
   */
  readonly path?: string;
  /** Sequences to run (a time limit may stop it earlier). */
  readonly runs: number;
  readonly maxCommands?: number;
  /** Stop drawing new sequences after this many milliseconds (wall clock; the CLI's --minutes). */
  readonly timeLimitMs?: number;
  readonly mutations?: readonly ModelMutation[];
  /** The stack every sequence's lab reproduces; debian12 unless said. */
  readonly stack?: StackId;
  /** Check invariants 7-9 on every n-th sequence (1: all; 0: never). */
  readonly replayEvery?: number;
  readonly coverage?: Coverage;
  /** Called after every sequence with the number run so far. */
  readonly progress?: (runs: number) => void;
}

export interface CampaignFailure {
  readonly seed: number;
  /** `PATH@COMMANDS`: fast-check's path and fc.commands' replay path, for `--seed S --path ...`. */
  readonly path: string;
  readonly config: SequenceConfig;
  /** The shrunk sequence's commands that ran; the last one is where the violation showed. */
  readonly ran: readonly Cmd[];
  readonly violation: Violation;
  /** Sequences run before the failure was found (shrinking not counted). */
  readonly runsBeforeFailure: number;
}

export interface CampaignResult {
  readonly runs: number;
  readonly failure: CampaignFailure | null;
  readonly interrupted: boolean;
}

/** Invariants 7-9 at the end of a sequence. */
export function checkSequenceEnd(config: SequenceConfig, state: SequenceState): void {
  checkReplay(config, state.ran, state);
  const pool = state.driver.pool;
  if (state.poolLive && pool !== null && state.ref.mode !== 'fail') {
    checkImage(pool.md.image(), state.ran.length, () => new LabShell({ ramdiskKb: 64 }));
  }
}

export function runCampaign(options: CampaignOptions): CampaignResult {
  const mutations = options.mutations ?? [];
  // The drawn config says only the pool's size: the campaign's own settings go into every sequence.
  const withSettings = (drawn: SequenceConfig): SequenceConfig => ({
    ...drawn,
    ...(mutations.length === 0 ? {} : { mutations }),
    ...(options.stack === undefined ? {} : { stack: options.stack }),
  });
  const replayEvery = options.replayEvery ?? 1;
  let runs = 0;
  let firstFailureAt = -1;
  const [fcPath, commandsPath] = options.path === undefined ? [undefined, undefined] : options.path.split('@');
  const property = fc.property(
    configArbitrary,
    commandsArbitrary(options.maxCommands ?? 50, commandsPath),
    (drawn, cmds) => {
      const config = withSettings(drawn);
      const state = new SequenceState(config);
      // Shrinking re-runs sequences: only the search itself counts for coverage.
      const real = options.coverage === undefined || firstFailureAt >= 0 ? {} : { coverage: options.coverage };
      runs++;
      try {
        fc.modelRun(() => ({ model: state, real }), cmds);
        if (replayEvery > 0 && runs % replayEvery === 0) checkSequenceEnd(config, state);
      } catch (e) {
        if (firstFailureAt < 0) firstFailureAt = runs;
        throw e;
      } finally {
        if (options.coverage !== undefined && firstFailureAt < 0)
          options.coverage.addSequence(state.ref.cow, state.ran.length);
        if (firstFailureAt < 0) options.progress?.(runs);
      }
    },
  );
  const details = fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    ...(fcPath === undefined ? {} : { path: fcPath }),
    ...(options.timeLimitMs === undefined
      ? {}
      : { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false }),
  });
  const done = firstFailureAt < 0 ? runs : firstFailureAt;
  if (!details.failed || details.counterexample === null)
    return { runs: done, failure: null, interrupted: details.interrupted };
  const [config, cmds] = details.counterexample;
  const commandsReplay = /replayPath="([^"]*)"/.exec(String(cmds))?.[1] ?? '';
  const full = withSettings(config);
  const described = describeFailure(full, [...cmds].map(unwrapCommand));
  return {
    runs: done,
    interrupted: details.interrupted,
    failure: {
      seed: details.seed,
      path: `${details.counterexamplePath ?? ''}@${commandsReplay}`,
      config: full,
      ...described,
      runsBeforeFailure: firstFailureAt,
    },
  };
}

/** fast-check wraps each command of a counterexample (its `cmd` is the wrapped one). */
function unwrapCommand(c: unknown): Cmd {
  let x = c as { cmd?: unknown };
  while (!(x instanceof PropCommand) && x.cmd !== undefined) x = x.cmd as { cmd?: unknown };
  return (x as PropCommand).cmd;
}

/** Re-runs a failing sequence to find the commands that ran and the violation (7-9 included). */
export function describeFailure(
  config: SequenceConfig,
  cmds: readonly Cmd[],
): { ran: readonly Cmd[]; violation: Violation } {
  const r = runSequence(config, cmds);
  if (r.violation !== null) return { ran: r.ran, violation: r.violation };
  try {
    checkSequenceEnd(config, r.state);
  } catch (e) {
    if (e instanceof Violation) return { ran: r.ran, violation: e };
    return { ran: r.ran, violation: new Violation(0, `the model stopped: ${(e as Error).message}`, null) };
  }
  return {
    ran: r.ran,
    violation: new Violation(
      0,
      'the failure did not show again when the sequence was re-run (not deterministic?)',
      null,
    ),
  };
}
