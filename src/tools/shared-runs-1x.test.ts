import { describe, expect, it } from 'vitest';
import { gatherRuns1x, planSharedRuns1x } from './shared-runs-1x.js';

/** runs.rs's own table (thin-provisioning-tools v1.1.0, `mod tests`, fn gather): input runs, expected runs. */
const RUNS_RS_TABLE: [number[][], [number[], boolean][]][] = [
  [[], []],
  [[[1]], [[[1], false]]],
  [[[1, 2, 3]], [[[1, 2, 3], false]]],
  [
    [
      [1, 2],
      [1, 2, 3],
    ],
    [
      [[1, 2], true],
      [[3], false],
    ],
  ],
  [
    [
      [2, 3],
      [1, 2, 3],
    ],
    [
      [[1], false],
      [[2, 3], true],
    ],
  ],
  [
    [
      [1, 2, 3, 4],
      [2, 3, 4, 5],
    ],
    [
      [[1], false],
      [[2, 3, 4], true],
      [[5], false],
    ],
  ],
  [
    [
      [2, 3, 4, 5],
      [1, 2, 3, 4],
    ],
    [
      [[1], false],
      [[2, 3, 4], true],
      [[5], false],
    ],
  ],
  [
    [
      [1, 2, 3, 4],
      [2, 3, 4, 5, 6],
      [3, 4],
      [5, 6],
    ],
    [
      [[1], false],
      [[2], true],
      [[3, 4], true],
      [[5, 6], true],
    ],
  ],
  [
    [
      [2, 3, 4, 5],
      [2, 3, 4, 6],
      [1, 3, 4, 5],
    ],
    [
      [[1], false],
      [[2], true],
      [[3, 4], true],
      [[5], true],
      [[6], false],
    ],
  ],
  [
    [
      [1, 2],
      [2, 1],
    ],
    [
      [[1], true],
      [[2], true],
    ],
  ],
];

describe('1.1.0 thin_dump: atomic runs of shared leaves (runs.rs Gatherer)', () => {
  it.each(RUNS_RS_TABLE.map((t, i) => [i, ...t] as const))('runs.rs case %i', (_i, input, expected) => {
    expect(gatherRuns1x(input).map((r) => [r.run, r.shared])).toEqual(expected);
  });

  it('a snapshot that diverged shares its tail with the origin: one def, a ref in each device', () => {
    const plan = planSharedRuns1x([
      [10, 11, 12, 13],
      [20, 12, 13],
    ]);
    expect(plan.defs).toEqual([{ head: 12, leaves: [12, 13] }]);
    expect(plan.devices).toEqual([
      [{ leaf: 10 }, { leaf: 11 }, { ref: 12 }],
      [{ leaf: 20 }, { ref: 12 }],
    ]);
  });

  it('devices that share no leaf get no def and keep their leaves inline', () => {
    const plan = planSharedRuns1x([[1, 2], [3]]);
    expect(plan.defs).toEqual([]);
    expect(plan.devices).toEqual([[{ leaf: 1 }, { leaf: 2 }], [{ leaf: 3 }]]);
  });
});
