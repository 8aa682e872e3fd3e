/**
 * Checking expectations against a lab: what a run step printed and its status, and the state of
 * the pools (mode, needs_check, used data blocks, invariants; src/replay/state-checks.ts) and of
 * device ranges. The state
 * checks read the model without running any command, so checking never changes the lab and a
 * replay of the recorded history reaches the same state.
 */
import { createHash } from 'node:crypto';
import { strerror } from '../model/errno.js';
import type { Machine } from '../model/machine.js';
import { namedInvariant } from '../model/named-invariants.js';
import { type CheckResult, evaluateCheck, type StateCheck } from '../replay/state-checks.js';
import type { Expectation, ReadCheck, StateExpectation } from './types.js';

export type { CheckResult } from '../replay/state-checks.js';

/** Checks of a run step's output and status, then of the state. */
export function checkExpectation(
  exp: Expectation,
  machine: Machine,
  run?: { output: string; status: number },
): CheckResult[] {
  const results: CheckResult[] = [];
  if (run !== undefined) {
    if (exp.output !== undefined)
      results.push({ name: 'output', ok: run.output === exp.output, expected: exp.output, actual: run.output });
    if (exp.outputContains !== undefined) {
      results.push({
        name: 'output_contains',
        ok: run.output.includes(exp.outputContains),
        expected: exp.outputContains,
        actual: run.output,
      });
    }
    if (exp.outputMatches !== undefined) {
      results.push({
        name: 'output_matches',
        ok: new RegExp(exp.outputMatches, 'm').test(run.output),
        expected: `/${exp.outputMatches}/`,
        actual: run.output,
      });
    }
    if (exp.status !== undefined)
      results.push({
        name: 'status',
        ok: run.status === exp.status,
        expected: String(exp.status),
        actual: String(run.status),
      });
  }
  results.push(...checkState(exp, machine));
  return results;
}

/**
 * The state checks only (what bisect can ask of any position), each evaluated by the one
 * function bisect and whatif use too, and named as the scenario file writes it.
 */
export function checkState(exp: StateExpectation, machine: Machine): CheckResult[] {
  const results: CheckResult[] = [];
  const perPool = <T>(
    field: string,
    wanted: Readonly<Record<string, T>> | undefined,
    check: (pool: string, value: T) => StateCheck,
  ): void => {
    for (const [pool, value] of Object.entries(wanted ?? {}))
      results.push({ ...evaluateCheck(check(pool, value), machine), name: `${field} ${pool}` });
  };
  perPool('pool_mode', exp.poolMode, (pool, mode) => ({ kind: 'pool_mode', pool, mode }));
  perPool('needs_check', exp.needsCheck, (pool, value) => ({ kind: 'needs_check', pool, value }));
  perPool('used_data_blocks', exp.usedDataBlocks, (pool, value) => ({
    kind: 'used_data_blocks',
    pool,
    op: '=',
    value,
  }));
  for (const r of exp.reads ?? []) results.push(checkRead(r, machine));
  if (exp.invariants === true) results.push(evaluateCheck({ kind: 'invariants' }, machine));
  for (const name of exp.holds ?? []) {
    // The loader accepts known names only.
    const invariant = namedInvariant(name)!;
    results.push({ ...evaluateCheck({ kind: 'invariant', invariant }, machine), name: `holds ${name}` });
  }
  return results;
}

function checkRead(r: ReadCheck, machine: Machine): CheckResult {
  const name = `reads ${r.device}@${r.offset}+${r.length}`;
  const expected = r.md5 !== undefined ? `md5 ${r.md5}` : `every byte ${describeByte((r.byte ?? '').charCodeAt(0))}`;
  const dev = machine.resolveDevice(r.device);
  if (dev === null) return { name, ok: false, expected, actual: `no device ${r.device}`, missing: true };
  if ((r.offset + r.length) / 512 > machine.sizeSectors(dev))
    return {
      name,
      ok: false,
      expected,
      actual: `the range ends beyond the device (${machine.sizeSectors(dev) * 512} bytes)`,
    };
  const read = machine.readSectors(dev, r.offset / 512, r.length / 512);
  if (!read.ok) return { name, ok: false, expected, actual: `the read failed: ${strerror(read.errno)}` };
  const bytes = machine.dictionary.bytesOf(read.value).subarray(0, r.length);
  if (r.md5 !== undefined) {
    const sum = createHash('md5').update(bytes).digest('hex');
    return { name, ok: sum === r.md5, expected, actual: `md5 ${sum}` };
  }
  const want = (r.byte ?? '').charCodeAt(0);
  const bad = bytes.findIndex((b) => b !== want);
  return {
    name,
    ok: bad < 0,
    expected,
    actual: bad < 0 ? expected : `byte ${r.offset + bad} is ${describeByte(bytes[bad]!)}`,
  };
}

function describeByte(b: number): string {
  return b >= 0x21 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `0x${b.toString(16).padStart(2, '0')}`;
}
