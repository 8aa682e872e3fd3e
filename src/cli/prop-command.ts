/**
 * `thinlab prop`: a property campaign against the model (property-tests/, docs/property-tests.md).
 * Random sequences of pool commands run against the model and an independent reference model with
 * every invariant checked; the first failure is shrunk, printed with its seed and fast-check
 * replay path, and written as a scenario file that `thinlab run` replays to the same failure.
 * Coverage counts (pool-mode transitions, copy-on-write cases) end every run.
 */
import { writeFileSync } from 'node:fs';
import { type CampaignFailure, type CampaignResult, runCampaign } from '../../property-tests/campaign.js';
import { renderSequence } from '../../property-tests/commands.js';
import { Coverage } from '../../property-tests/coverage.js';
import { scenarioForFailure } from '../../property-tests/scenario-writer.js';
import { isModelMutation, MODEL_MUTATIONS, type ModelMutation } from '../model/mutations.js';
import { isStackId, STACK_IDS, type StackId } from '../model/stack.js';
import { type Output, printJson } from './output.js';

export const PROP_USAGE = `usage: thinlab prop [--runs N] [--seed S] [--minutes M] [--mutate NAME] [--out FILE]
  --runs N          sequences to run (default 1000; with --minutes, until the time is up)
  --seed S          fast-check seed (default: chosen from the clock and printed)
  --path P          with --seed, replay exactly the shrunk counterexample fast-check printed
  --minutes M       stop drawing new sequences after M minutes
  --max-commands N  commands per sequence (default 50)
  --replay-every N  check invariants 7-9 (log replay, rollback, image, thin_check) every N-th sequence (default 10)
  --mutate NAME     switch on a deliberate model bug: ${MODEL_MUTATIONS.join(', ')}
  --stack NAME      the stack the lab reproduces: ${STACK_IDS.join(' or ')} (default debian12, or THINLAB_STACK)
  --out FILE        where the failing scenario is written (default prop-failure-SEED.yaml)
  --json            the result as one JSON document: {seed, runs, passed, interrupted, failure, coverage}
example:
  thinlab prop --runs 200 --seed 7
exit status: 0 no invariant broken, 1 a failure (scenario written), 2 bad arguments
`;

interface PropArgs {
  runs: number | null;
  seed: number | null;
  path: string | null;
  minutes: number | null;
  maxCommands: number;
  replayEvery: number;
  mutations: ModelMutation[];
  stack: StackId | null;
  out: string | null;
  json: boolean;
}

class PropUsageError extends Error {}

function positiveInteger(flag: string, v: string | undefined, allowZero = false): number {
  if (v === undefined || !(allowZero ? /^[0-9]+$/ : /^[1-9][0-9]*$/).test(v) || !Number.isSafeInteger(Number(v))) {
    throw new PropUsageError(
      `${flag} needs a ${allowZero ? 'non-negative' : 'positive'} whole number, got '${v ?? ''}'`,
    );
  }
  return Number(v);
}

export function parsePropArgs(argv: readonly string[]): PropArgs {
  const a: PropArgs = {
    runs: null,
    seed: null,
    path: null,
    minutes: null,
    maxCommands: 50,
    replayEvery: 10,
    mutations: [],
    stack: null,
    out: null,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case '--runs':
        a.runs = positiveInteger(flag, value());
        break;
      case '--seed': {
        const v = value();
        if (v === undefined || !/^-?[0-9]+$/.test(v) || Math.abs(Number(v)) > 0x7fffffff)
          throw new PropUsageError(`--seed needs a 32-bit integer, got '${v ?? ''}'`);
        a.seed = Number(v);
        break;
      }
      case '--path': {
        const v = value();
        if (v === undefined || !/^[0-9]+(:[0-9]+)*@\S*$/.test(v))
          throw new PropUsageError(
            `--path needs the replay path a failure printed (such as 12:0:3@AAB), got '${v ?? ''}'`,
          );
        a.path = v;
        break;
      }
      case '--minutes': {
        const v = value();
        if (v === undefined || !/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) <= 0)
          throw new PropUsageError(`--minutes needs a positive number, got '${v ?? ''}'`);
        a.minutes = Number(v);
        break;
      }
      case '--max-commands':
        a.maxCommands = positiveInteger(flag, value());
        break;
      case '--replay-every':
        a.replayEvery = positiveInteger(flag, value(), true);
        break;
      case '--mutate': {
        const v = value() ?? '';
        if (!isModelMutation(v))
          throw new PropUsageError(`unknown mutation '${v}' (known: ${MODEL_MUTATIONS.join(', ')})`);
        if (!a.mutations.includes(v)) a.mutations.push(v);
        break;
      }
      case '--stack': {
        const v = value() ?? '';
        if (!isStackId(v))
          throw new PropUsageError(
            `--stack '${v}' is not a stack the lab reproduces (stacks: ${STACK_IDS.join(', ')})`,
          );
        a.stack = v;
        break;
      }
      case '--out': {
        const v = value();
        if (v === undefined || v === '') throw new PropUsageError('--out needs a file name');
        a.out = v;
        break;
      }
      case '--json':
        a.json = true;
        break;
      default:
        throw new PropUsageError(`unknown option '${flag}'`);
    }
  }
  if (a.path !== null && a.seed === null) throw new PropUsageError('--path needs the --seed it was printed with');
  return a;
}

function bar(done: number, total: number, width = 30): string {
  const filled = Math.min(width, Math.round((done / Math.max(total, 1)) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * Runs the campaign; returns the exit status. `now` is the wall clock and `envStack` THINLAB_STACK
 * (only the CLI reads them); --stack wins over THINLAB_STACK.
 */
export function propCommand(
  argv: readonly string[],
  terminal: Output,
  now: () => number = Date.now,
  envStack?: StackId,
): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    terminal.out(PROP_USAGE);
    return 0;
  }
  let args: PropArgs;
  try {
    args = parsePropArgs(argv);
    if (args.stack === null && envStack !== undefined) args.stack = envStack;
  } catch (e) {
    if (!(e instanceof PropUsageError)) throw e;
    terminal.err(`thinlab prop: ${e.message} (thinlab prop --help lists the options)\n`);
    return 2;
  }
  // With --json the report is the JSON document alone; progress still goes to a terminal's stderr.
  const io: Output = args.json ? { ...terminal, out: () => {} } : terminal;
  const seed = args.seed ?? now() % 0x7fffffff;
  const runs = args.runs ?? (args.minutes !== null ? Number.MAX_SAFE_INTEGER : 1000);
  const coverage = new Coverage();
  const started = now();
  const limitMs = args.minutes === null ? undefined : args.minutes * 60_000;
  let lastDraw = 0;
  const progress = (n: number): void => {
    if (!io.interactive) return;
    const t = now();
    if (t - lastDraw < 100) return;
    lastDraw = t;
    const secs = ((t - started) / 1000).toFixed(0);
    const line =
      limitMs !== undefined
        ? `${bar(t - started, limitMs)} ${n} sequences, ${secs}/${(limitMs / 1000).toFixed(0)} s`
        : `${bar(n, runs)} ${n}/${runs} sequences, ${secs} s`;
    io.err(`\r\x1b[K${line}`);
  };
  const mutationText =
    args.mutations.length === 0
      ? ''
      : ` with the deliberate bug${args.mutations.length > 1 ? 's' : ''} ${args.mutations.join(', ')}`;
  io.out(
    `thinlab prop: seed ${seed}${mutationText}${args.stack === null ? '' : ` on ${args.stack}`}, up to ${runs === Number.MAX_SAFE_INTEGER ? 'unlimited' : runs} sequences of up to ${args.maxCommands} commands${limitMs === undefined ? '' : ` for ${args.minutes} min`}\n`,
  );
  const result: CampaignResult = runCampaign({
    seed,
    runs,
    maxCommands: args.maxCommands,
    replayEvery: args.replayEvery,
    mutations: args.mutations,
    ...(args.stack === null ? {} : { stack: args.stack }),
    coverage,
    progress,
    ...(args.path === null ? {} : { path: args.path }),
    ...(limitMs === undefined ? {} : { timeLimitMs: limitMs }),
  });
  if (io.interactive) io.err('\r\x1b[K');
  const secs = ((now() - started) / 1000).toFixed(1);
  let status = 0;
  if (result.failure === null) {
    io.out(
      `passed: ${result.runs} sequences in ${secs} s, no invariant broken${result.interrupted ? ' (stopped at the time limit)' : ''}\n`,
    );
  } else {
    reportFailure(result.failure, args, seed, secs, io);
    status = 1;
  }
  io.out(`${coverage.format()}\n`);
  if (args.json) printJson(terminal, propJson(seed, result, coverage, args.out ?? `prop-failure-${seed}.yaml`));
  return status;
}

/** The shrunk failure: its seed and replay path, its commands, and the scenario file written for it. */
function reportFailure(f: CampaignFailure, args: PropArgs, seed: number, secs: string, io: Output): void {
  const file = args.out ?? `prop-failure-${seed}.yaml`;
  const written = scenarioForFailure(f, {
    command: `thinlab prop --seed ${seed}${settingFlags(args)}`,
  });
  writeFileSync(file, written.yaml);
  const lines = renderSequence(f.config, f.ran);
  io.out(`FAILED after ${f.runsBeforeFailure} sequences (${secs} s): ${f.violation.message}\n`);
  io.out(`  seed ${f.seed}, replay path ${f.path}\n`);
  io.out(`  replay the shrunk run: thinlab prop --seed ${f.seed} --path ${f.path}${settingFlags(args)}\n`);
  io.out(`  shrunk to ${f.ran.length} commands (pool of ${f.config.poolBlocks} blocks):\n`);
  lines.forEach((cmdLines, i) => {
    for (const l of cmdLines) io.out(`  ${i === lines.length - 1 ? '>' : ' '} $ ${l}\n`);
  });
  io.out(`  scenario written: ${file} (the failure shows at step ${written.failingStep})\n`);
  io.out(`  replay it: thinlab run${args.stack === null ? '' : ` --stack ${args.stack}`} ${file}\n`);
}

/** The options that make a run reproducible besides its seed: its deliberate bugs and its stack. */
function settingFlags(args: PropArgs): string {
  return `${args.mutations.map((m) => ` --mutate ${m}`).join('')}${args.stack === null ? '' : ` --stack ${args.stack}`}`;
}

/** `thinlab prop --json`: what the report says, as data. */
function propJson(seed: number, result: CampaignResult, coverage: Coverage, file: string): unknown {
  const f = result.failure;
  return {
    seed,
    runs: result.runs,
    passed: f === null,
    interrupted: result.interrupted,
    failure:
      f === null
        ? null
        : {
            seed: f.seed,
            path: f.path,
            message: f.violation.message,
            runsBeforeFailure: f.runsBeforeFailure,
            commands: renderSequence(f.config, f.ran).map((lines) => lines.join('\n')),
            poolBlocks: f.config.poolBlocks,
            scenarioFile: file,
          },
    coverage: {
      sequences: coverage.sequences,
      commands: coverage.commands,
      modeTransitions: Object.fromEntries(coverage.modeTransitions),
      copyOnWrite: { ...coverage.cow },
    },
  };
}
