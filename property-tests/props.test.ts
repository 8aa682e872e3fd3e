/**
 * The property suite: fixed seeds, a bounded number of sequences (npm test), every per-command
 * invariant on and invariants 7-9 on a sample; `npm run test:props` runs many more
 * (THINLAB_PROP_RUNS). A failure prints the seed, the replay path and the shrunk commands.
 */
import { describe, expect, it } from 'vitest';
import { runCampaign } from './campaign.js';
import { renderSequence, type Cmd } from './commands.js';
import { Violation } from './invariants.js';
import { checkReplay } from './replay-checks.js';
import { runSequence } from './runner.js';
import { COW_CASES, Coverage } from './coverage.js';

const RUNS = Number(process.env.THINLAB_PROP_RUNS ?? 300);
const SEEDS = [20261127, 4242];

function explain(r: ReturnType<typeof runCampaign>): string {
  const f = r.failure;
  if (f === null) return 'no failure';
  return [
    `${f.violation.message}`,
    `seed ${f.seed} path ${f.path}`,
    ...renderSequence(f.config, f.ran)
      .flat()
      .map((l) => `  $ ${l}`),
  ].join('\n');
}

describe('property suite: the model keeps the copy-on-write invariants', () => {
  for (const seed of SEEDS) {
    it(`holds for ${RUNS} sequences of up to 50 commands (seed ${seed})`, () => {
      const coverage = new Coverage();
      const r = runCampaign({ seed, runs: RUNS, replayEvery: 10, coverage });
      expect(r.failure, explain(r)).toBeNull();
      expect(r.runs).toBe(RUNS);
      // The generator must reach every case the issue names, or passing proves little.
      for (const [k, label] of COW_CASES) expect(coverage.cow[k], label).toBeGreaterThan(0);
      for (const t of ['write -> out_of_data_space', 'out_of_data_space -> write', 'write -> fail']) {
        expect(coverage.modeTransitions.get(t) ?? 0, t).toBeGreaterThan(0);
      }
      expect(coverage.commands / coverage.sequences).toBeGreaterThan(5);
    });
  }

  it('checks invariants 7-9 (log replay, rollback, image and thin_check) on every sequence of a short run', () => {
    const r = runCampaign({ seed: 99, runs: 40, replayEvery: 1 });
    expect(r.failure, explain(r)).toBeNull();
  });

  it('invariant 7 can fail: a log that lost a command does not reach the live state', () => {
    const cmds: Cmd[] = [
      { k: 'create', id: 0 },
      { k: 'activate', id: 0 },
      { k: 'write', id: 0, unitSectors: 128, start: 0, count: 2, pattern: 'B' },
      { k: 'snap', id: 1, origin: 0 },
      { k: 'write', id: 0, unitSectors: 8, start: 3, count: 1, pattern: 'C' },
    ];
    const r = runSequence({ poolBlocks: 6 }, cmds, { resolved: true });
    expect(r.violation).toBeNull();
    expect(() => checkReplay({ poolBlocks: 6 }, r.ran, r.state)).not.toThrow();
    let caught: unknown = null;
    try {
      checkReplay({ poolBlocks: 6 }, r.ran.slice(0, -1), r.state);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Violation);
    expect((caught as Violation).invariant).toBe(7);
  });
});
