/**
 * Kept counterexamples (property-tests/regressions/*.yaml), written by `thinlab prop`. A file
 * found on the sound model records a bug that was fixed: it must pass. A file found with a
 * deliberate bug (`machine.mutations`) must still fail with it, at or after the step the failure
 * was found at, and pass without it: so the scenario format, the writer and the bug stay honest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/scenarios/load.js';
import { runScenario } from '../src/scenarios/run.js';

const DIR = join(import.meta.dirname, 'regressions');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('regression scenarios from property failures', () => {
  it('there are some', () => expect(files.length).toBeGreaterThanOrEqual(2));
  for (const file of files) {
    it(file, async () => {
      const scenario = parseScenario(file, readFileSync(join(DIR, file), 'utf8'));
      const mutations = scenario.machine.mutations ?? [];
      const firstExpect = scenario.steps.findIndex((s) => s.kind !== 'mark' && s.expect !== undefined) + 1;
      if (mutations.length > 0) {
        const broken = await runScenario(scenario);
        expect(broken.passed).toBe(false);
        expect(broken.firstFailure!.index).toBeGreaterThanOrEqual(firstExpect);
      }
      const sound = await runScenario({ ...scenario, machine: { ...scenario.machine, mutations: [] } });
      expect(sound.firstFailure?.checks.filter((c) => !c.ok) ?? [], 'the sound model meets every expectation').toEqual(
        [],
      );
      expect(sound.passed).toBe(true);
    });
  }
});
