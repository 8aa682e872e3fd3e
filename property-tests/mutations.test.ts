/**
 * The mutation suite: each deliberate bug of src/model/mutations.ts must be caught by the property
 * suite within a bounded number of sequences (fixed seed), and the scenario file written for it
 * must replay to the failure with the bug on and pass with it off (so the expectations it states
 * are the right behaviour, not the bug's). One of them goes through the CLI end to end:
 * `thinlab prop --mutate` writes the file, `thinlab run` fails at the step it names, and
 * `thinlab at` opens the recorded branch at that position.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_MUTATIONS, type ModelMutation } from '../src/model/mutations.js';
import { parseScenario } from '../src/scenarios/load.js';
import { runScenario } from '../src/scenarios/run.js';
import { runCampaign } from './campaign.js';
import { scenarioForFailure } from './scenario-writer.js';
import { propCommand } from '../src/cli/prop-command.js';

/** Sequences each mutation must be caught within (seed 1); measured: 16, 127, 16, 16, 56. */
const BOUND = 1000;
const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'thinlab-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thinlab(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('mutation suite: every deliberate bug is caught', () => {
  for (const mutation of MODEL_MUTATIONS) {
    it(`catches ${mutation} within ${BOUND} sequences, and its scenario replays to the failure`, async () => {
      const r = runCampaign({ seed: 1, runs: BOUND, replayEvery: 0, mutations: [mutation] });
      expect(r.failure).not.toBeNull();
      const f = r.failure!;
      expect(f.runsBeforeFailure).toBeLessThanOrEqual(BOUND);
      expect(f.ran.length).toBeLessThanOrEqual(10);
      const written = scenarioForFailure(f, { command: `test --mutate ${mutation}` });
      const broken = await runScenario(parseScenario(`${mutation}.yaml`, written.yaml));
      expect(broken.passed).toBe(false);
      expect(broken.firstFailure!.index).toBeGreaterThanOrEqual(written.failingStep);
      // The same steps on the sound model meet every expectation.
      const sound = parseScenario(`${mutation}-sound.yaml`, written.yaml);
      const soundResult = await runScenario({
        ...sound,
        machine: { ...sound.machine, mutations: [] as ModelMutation[] },
      });
      expect(soundResult.firstFailure?.checks.filter((c) => !c.ok) ?? []).toEqual([]);
      expect(soundResult.passed).toBe(true);
    });
  }

  it('the model without mutations passes the same seed and bound', () => {
    const r = runCampaign({ seed: 1, runs: 200, replayEvery: 0 });
    expect(r.failure).toBeNull();
  });

  it('end to end: thinlab prop --mutate writes a scenario that thinlab run fails on and thinlab at opens', () => {
    const file = join(dir, 'found.yaml');
    const db = join(dir, 'lab.db');
    const prop = thinlab([
      'prop',
      '--seed',
      '1',
      '--runs',
      '1000',
      '--mutate',
      'snapshot-write-in-place',
      '--out',
      file,
    ]);
    expect(prop.status).toBe(1);
    expect(prop.stdout).toMatch(/FAILED after \d+ sequences .*invariant 1/);
    expect(prop.stdout).toMatch(/seed 1, replay path [0-9:]+@\S*/);
    expect(prop.stdout).toContain(`scenario written: ${file}`);
    expect(prop.stdout).toMatch(/first write to a shared block from the origin +\d+/);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('snapshot-write-in-place');
    const step = Number(/the failure shows at step (\d+)/.exec(prop.stdout)![1]);
    const run = thinlab(['run', file, '--db', db, '--branch', 'found']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`FIRST FAILURE \\(step ${step}, `));
    const open = /open the state there: thinlab at (\d+) --branch found/.exec(run.stdout);
    expect(open).not.toBeNull();
    const at = thinlab(['at', open![1]!, '--branch', 'found', '--db', db]);
    expect(at.status).toBe(0);
    expect(at.stdout).toContain('t0');
    // The replay path replays the shrunk run at once.
    const path = /replay path ([0-9:]+@\S*)/.exec(prop.stdout)![1]!;
    const again = thinlab([
      'prop',
      '--seed',
      '1',
      '--path',
      path,
      '--mutate',
      'snapshot-write-in-place',
      '--out',
      join(dir, 'again.yaml'),
    ]);
    expect(again.status).toBe(1);
    // The same shrunk commands, so the same steps (the text around them names how it was found).
    const stepsOf = (text: string): string => text.slice(text.indexOf('steps:'));
    expect(stepsOf(readFileSync(join(dir, 'again.yaml'), 'utf8'))).toBe(stepsOf(readFileSync(file, 'utf8')));
  });

  it('thinlab prop rejects bad arguments with exit 2 and says why', () => {
    const cases = [
      [['--runs', '0'], '--runs needs a positive whole number'],
      [['--runs'], "--runs needs a positive whole number, got ''"],
      [['--seed', 'abc'], '--seed needs a 32-bit integer'],
      [['--minutes', '-1'], '--minutes needs a positive number'],
      [['--mutate', 'nope'], "unknown mutation 'nope'"],
      [['--path', '1:2@A'], '--path needs the --seed'],
      [['--seed', '1', '--path', 'x'], '--path needs the replay path a failure printed'],
      [['--frobnicate'], "unknown option '--frobnicate'"],
    ] as const;
    for (const [args, message] of cases) {
      let out = '';
      let err = '';
      const status = propCommand(args, { out: (t) => (out += t), err: (t) => (err += t), interactive: false });
      expect(status, args.join(' ')).toBe(2);
      expect(err).toContain(message);
      expect(out).toBe('');
    }
    // And through the real entry point, as a user sees it.
    const r = thinlab(['prop', '--runs', 'many']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("thinlab prop: --runs needs a positive whole number, got 'many'");
  });
});
