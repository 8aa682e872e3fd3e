/**
 * Running scenarios: every file in scenarios/ passes, a failed expectation is reported with its
 * step, expected and actual values and the position to open, and the events a run records replay
 * to the same state.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testSlice } from '../../test/slice.js';
import type { LabEvent } from '../events/lab-events.js';
import { stateHash } from '../replay/lab-snapshot.js';
import { LabRuntime } from '../replay/lab-runtime.js';
import { loadScenario } from '../cli/scenario-files.js';
import { parseScenario } from './load.js';
import { runScenario } from './run.js';

const DIR = join(import.meta.dirname, '..', '..', 'scenarios');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.sh'))
  .sort();

describe('the scenario library', () => {
  it('has at least 10 YAML scenarios, each citing a report', () => {
    const yaml = files.filter((f) => f.endsWith('.yaml'));
    expect(yaml.length).toBeGreaterThanOrEqual(10);
    for (const f of yaml) {
      const s = loadScenario(join(DIR, f));
      expect(s.report, f).toMatch(/^https:\/\//);
      expect(s.cites, f).toMatch(/docker-devicemapper\.md|peer-tests\.md/);
    }
  });

  // test:fast runs every third scenario (test/slice.ts); `npm test` all of them.
  for (const f of testSlice(files)) {
    it(`${f} passes, and its events replay to the same state`, async () => {
      const scenario = loadScenario(join(DIR, f));
      const events: LabEvent[] = [];
      let runtime: LabRuntime | null = null;
      const result = await runScenario(scenario, {
        record: async (event, _time, r) => {
          events.push(event);
          runtime = r;
        },
      });
      // Checks (reads included) must not change the lab: the recorded events alone give its state.
      const replay = LabRuntime.fresh({
        ...(scenario.machine.ramdiskKb === undefined ? {} : { ramdiskKb: scenario.machine.ramdiskKb }),
        ...(scenario.stack === undefined ? {} : { stack: scenario.stack }),
      });
      events.forEach((e, i) => replay.apply(e, `${f}@${i + 1}`));
      expect(stateHash(replay.lab)).toBe(stateHash(runtime!.lab));
      const failed = result.steps.flatMap((s) => [
        ...s.checks
          .filter((c) => !c.ok)
          .map((c) => `step ${s.index} (line ${s.line}) ${c.name}: expected ${c.expected}, got ${c.actual}`),
        ...(s.error === undefined ? [] : [s.error]),
      ]);
      expect(failed).toEqual([]);
      expect(result.passed).toBe(true);
    });
  }
});

const SCENARIO = [
  'title: fill a small pool',
  'machine: {no_space_timeout: 1}',
  'steps:',
  '  - run: |',
  '      dmsetup create pool --table "0 256 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
  '      dmsetup message pool 0 "create_thin 0"',
  '      dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
  '  - mark: empty',
  '  - run: dd if=/patterns/A of=/dev/mapper/thin bs=64k count=3 oflag=direct 2>/dev/null',
  '    expect:',
  '      status: 0',
  '      pool_mode: {pool: write}',
  '      used_data_blocks: {pool: 3}',
  '  - advance: 2s',
  '  - expect: {invariants: true}',
].join('\n');

describe('runScenario', () => {
  it('reports the first failed expectation with expected and actual values and its position', async () => {
    const result = await runScenario(parseScenario('fill.yaml', SCENARIO));
    expect(result.passed).toBe(false);
    const f = result.firstFailure!;
    expect(f).toMatchObject({ index: 3, kind: 'run', line: 9, from: 4, to: 5, status: 1 });
    expect(f.checks.filter((c) => !c.ok)).toEqual([
      { name: 'status', ok: false, expected: '0', actual: '1' },
      { name: 'pool_mode pool', ok: false, expected: 'write', actual: 'out_of_data_space' },
      { name: 'used_data_blocks pool', ok: false, expected: '3', actual: '2' },
    ]);
    expect(result.marks).toEqual({ empty: 4 });
    // The setup (no_space_timeout), three commands, one dd, one sleep: one event each.
    expect(result.length).toBe(6);
    expect(result.steps.find((s) => s.kind === 'advance')!.command).toBe('sleep 2');
  });

  it('records events that replay to the same state', async () => {
    const events: LabEvent[] = [];
    let hash = '';
    const result = await runScenario(parseScenario('fill.yaml', SCENARIO), {
      record: async (event, _time, runtime) => {
        events.push(event);
        hash = stateHash(runtime.lab);
      },
    });
    expect(events).toHaveLength(result.length);
    const replay = LabRuntime.fresh();
    events.forEach((e, i) => replay.apply(e, `test@${i + 1}`));
    expect(stateHash(replay.lab)).toBe(hash);
  });
});
