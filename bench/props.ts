/**
 * The property tests' speed (issue 6: at least 2,000 sequences of 50 commands per second against
 * the model with all invariants on). Sequences are drawn once with a fixed seed, then run again
 * and again: with every per-command invariant on (the figure), with none (the baseline: the model
 * and the reference alone, so the ratio is what checking costs), and the whole fast-check
 * campaign (drawing included, invariants 7-9 off as in a long campaign's default sampling).
 */
import fc from 'fast-check';
import { commandArbitrary, configArbitrary } from '../property-tests/arbitraries.js';
import { runCampaign } from '../property-tests/campaign.js';
import { runSequence } from '../property-tests/runner.js';

export interface PropsFigures {
  readonly checkedPerSecond: number;
  readonly baselinePerSecond: number;
  readonly campaignPerSecond: number;
  readonly commandsRun: number;
  readonly sequences: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function propsBench(runs = 5, sequences = 2000): PropsFigures {
  const drawn = fc.sample(fc.tuple(configArbitrary, fc.array(commandArbitrary, { minLength: 50, maxLength: 50 })), {
    seed: 6,
    numRuns: sequences,
  });
  let commandsRun = 0;
  const pass = (checks: boolean): number => {
    const t0 = process.hrtime.bigint();
    let ran = 0;
    for (const [config, cmds] of drawn) {
      const r = runSequence(config, cmds, { checks });
      if (r.violation !== null) throw new Error(`bench sequence failed: ${r.violation.message}`);
      ran += r.ran.length;
    }
    commandsRun = ran;
    return drawn.length / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const campaign = (): number => {
    const t0 = process.hrtime.bigint();
    const r = runCampaign({ seed: 6, runs: sequences, replayEvery: 0 });
    if (r.failure !== null) throw new Error(`bench campaign failed: ${r.failure.violation.message}`);
    return sequences / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  pass(true);
  pass(false);
  const checked: number[] = [];
  const baseline: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < runs; i++) {
    checked.push(pass(true));
    baseline.push(pass(false));
    full.push(campaign());
  }
  return {
    checkedPerSecond: median(checked),
    baselinePerSecond: median(baseline),
    campaignPerSecond: median(full),
    commandsRun,
    sequences,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const f = propsBench();
  process.stdout.write(`${JSON.stringify(f)}\n`);
}
