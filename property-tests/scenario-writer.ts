/**
 * Turns a shrunk failing sequence into a scenario file (docs/scenarios.md) that `thinlab run`
 * replays to the same failure: one step per command, its shell lines exactly as the property
 * run's log holds them, and at the failing step the expectations the reference model gives
 * (status, pool mode, data blocks in use, invariants, and what every thin must read back). Thins
 * that are not active there are activated in the steps after it, so their reads can be checked
 * too; after a crash the pool is opened again first. The run records a branch whose failing
 * position `thinlab at` opens.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { CampaignFailure } from './campaign.js';
import { GEOMETRY, describeCommand, renderCommand, renderSequence, thinName, thinTable } from './commands.js';
import { thinPath } from './invariants.js';
import { ANY, type ReferencePool } from './reference.js';
import { runSequence } from './runner.js';

interface ScenarioStep {
  run: string;
  expect?: Record<string, unknown>;
}

/** md5 of one whole block of a thin as the reference says it reads, or null if part is unpredictable. */
function blockMd5(ref: ReferencePool, id: number, vb: number): string | null {
  const bs = GEOMETRY.blockSectors;
  const bytes = new Uint8Array(bs * 512);
  for (let i = 0; i < bs; i++) {
    const t = ref.expectedSector(id, vb * bs + i);
    if (t === ANY) return null;
    bytes.fill(t, i * 512, (i + 1) * 512);
  }
  return createHash('md5').update(bytes).digest('hex');
}

function readsOf(ref: ReferencePool, ids: readonly number[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const blockBytes = GEOMETRY.blockSectors * 512;
  for (const id of ids) {
    for (let vb = 0; vb < GEOMETRY.thinBlocks; vb++) {
      const md5 = blockMd5(ref, id, vb);
      if (md5 !== null) out.push({ device: thinPath(id), offset: vb * blockBytes, length: blockBytes, md5 });
    }
  }
  return out;
}

/** The state the reference gives: mode, data in use, invariants, and reads of the thins given. */
function stateExpectation(ref: ReferencePool, ids: readonly number[]): Record<string, unknown> {
  const e: Record<string, unknown> = { pool_mode: { pool: ref.mode } };
  if (ref.mode !== 'fail') {
    e.used_data_blocks = { pool: ref.usedBlocks() };
    e.invariants = true;
    const reads = readsOf(ref, ids);
    if (reads.length > 0) e.reads = reads;
  }
  return e;
}

export interface WrittenScenario {
  readonly yaml: string;
  /** Steps in the file: the failing one is `failingStep` (1-based). */
  readonly failingStep: number;
}

/** The scenario file for a failure found by `thinlab prop` (or the property suite). */
export function scenarioForFailure(failure: CampaignFailure, origin: { readonly command: string }): WrittenScenario {
  const { config, ran, violation } = failure;
  // Run the sequence again up to the failing command: the reference there gives the expectations.
  const before = runSequence(config, ran.slice(0, -1), { resolved: true });
  const state = before.state;
  const failing = ran[ran.length - 1]!;
  // The reference after the failing command, as it should be (the model is what failed).
  try {
    state.step(failing);
  } catch {
    // Expected: this is the failing command. The reference has applied it before the model ran.
  }
  const ref = state.ref;
  const lines = renderSequence(config, ran);
  const steps: ScenarioStep[] = lines.map((l) => ({ run: l.join('\n') }));
  const failingIndex = steps.length - 1;
  const expect: Record<string, unknown> = {};
  if (violation.check?.kind === 'status') expect.status = violation.check.status;
  if (state.poolLive)
    Object.assign(
      expect,
      stateExpectation(
        ref,
        [...state.active].sort((a, b) => a - b),
      ),
    );
  else expect.invariants = true;
  steps[failingIndex]!.expect = expect;
  // Thins not active at the failing step are activated afterwards so that their reads are checked;
  // after a crash the pool is opened again first (the committed state is what must come back).
  if (ref.mode !== 'fail') {
    if (!state.poolLive) {
      ref.reopen();
      steps.push({
        run: renderCommand({ k: 'reopen' }, { blocks: ref.poolBlocks, zeroing: ref.zeroNewBlocks }).join('\n'),
      });
    }
    const inactive = [...ref.thins.keys()]
      .filter((id) => !state.poolLive || !state.active.has(id))
      .sort((a, b) => a - b);
    for (const id of inactive)
      steps.push({ run: `dmsetup create ${thinName(id)} --table "${thinTable(id)}" && dmsetup mknodes` });
    if (inactive.length > 0 || !state.poolLive)
      steps[steps.length - 1]!.expect = stateExpectation(
        ref,
        [...ref.thins.keys()].sort((a, b) => a - b),
      );
  }
  const mutations = config.mutations ?? [];
  const doc = {
    title: `Property failure: ${violation.message}`.slice(0, 200),
    what_happened:
      `Found by \`${origin.command}\` (fast-check seed ${failure.seed}, replay path ${failure.path || '-'}) and shrunk to ${ran.length} commands: ` +
      `${ran.map(describeCommand).join(', ')}. The last one broke ${violation.message}. Step ${failingIndex + 1} checks what the reference model ` +
      `(property-tests/reference.ts) says the lab must show after it${steps.length > failingIndex + 1 ? '; the steps after it activate the thins that were not active, so that their contents are checked too' : ''}.` +
      (mutations.length > 0
        ? ` The model runs with the deliberate bug${mutations.length > 1 ? 's' : ''} ${mutations.join(', ')} (src/model/mutations.ts).`
        : '') +
      (config.stack === undefined
        ? ''
        : ` The lab reproduced ${config.stack}: run it with \`thinlab run --stack ${config.stack}\`.`),
    machine: { ramdisk_kb: GEOMETRY.ramdiskKb, ...(mutations.length > 0 ? { mutations: [...mutations] } : {}) },
    steps,
  };
  return { yaml: stringify(doc, { lineWidth: 0 }), failingStep: failingIndex + 1 };
}
