/**
 * Checking expectations against a lab: what a run step printed and its status, and the state of
 * the pools (mode, needs_check, used data blocks, invariants) and of device ranges. The state
 * checks read the model without running any command, so checking never changes the lab and a
 * replay of the recorded history reaches the same state.
 */
import { createHash } from 'node:crypto';
import { checkPoolInvariants } from '../model/invariants.js';
import { checkNamedInvariant, namedInvariant } from '../model/named-invariants.js';
import { strerror } from '../model/errno.js';
import type { PoolMode } from '../model/lifecycle.js';
import type { Machine } from '../model/machine.js';
import type { Expectation, ReadCheck, StateExpectation } from './types.js';

export interface CheckResult {
  /** What was checked, as written in the file: `pool_mode pool`, `status`, `reads /dev/mapper/thin@0+65536`. */
  readonly name: string;
  readonly ok: boolean;
  readonly expected: string;
  readonly actual: string;
}

export interface PoolView {
  readonly name: string;
  readonly mode: PoolMode;
  readonly needsCheck: boolean;
  readonly usedDataBlocks: number;
  readonly totalDataBlocks: number;
  readonly transactionId: number;
  /**
   * `dmsetup status --noflush` of the pool device, or null when it has no live pool table or was
   * not asked for. Only bisect asks, on states it throws away: building the line can change the
   * lab's state hash (seen on a pool re-created after a crash), and a check must leave the lab
   * exactly as the recorded events make it.
   */
  readonly statusLine: string | null;
}

/** Every live pool, by the name of its dm device, in name order (deterministic output). */
export function poolViews(machine: Machine, withStatusLines = false): PoolView[] {
  const out: PoolView[] = [];
  for (const pool of machine.livePools()) {
    const dev = machine.poolDevice(pool);
    const sm = pool.md.spaceMap;
    const live = dev?.live;
    out.push({
      name: dev?.name ?? pool.name,
      mode: pool.mode,
      needsCheck: pool.md.needsCheck,
      usedDataBlocks: sm.nrBlocks - sm.nrFree,
      totalDataBlocks: sm.nrBlocks,
      transactionId: Number(pool.md.transactionId),
      // --noflush: looking must not commit anything.
      statusLine:
        withStatusLines && dev !== undefined && live?.type === 'thin-pool' && live.pool === pool
          ? `0 ${live.lengthSectors} thin-pool ${machine.targetStatus(dev, true)}`
          : null,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

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

/** The state checks only (what bisect can ask of any position). */
export function checkState(exp: StateExpectation, machine: Machine): CheckResult[] {
  const results: CheckResult[] = [];
  const pools = new Map(poolViews(machine).map((p) => [p.name, p]));
  const perPool = <T>(
    field: string,
    wanted: Readonly<Record<string, T>> | undefined,
    actual: (p: PoolView) => T,
  ): void => {
    for (const [name, value] of Object.entries(wanted ?? {})) {
      const p = pools.get(name);
      const got = p === undefined ? `no live pool named '${name}'` : String(actual(p));
      results.push({
        name: `${field} ${name}`,
        ok: p !== undefined && actual(p) === value,
        expected: String(value),
        actual: got,
      });
    }
  };
  perPool('pool_mode', exp.poolMode, (p) => p.mode);
  perPool('needs_check', exp.needsCheck, (p) => p.needsCheck);
  perPool('used_data_blocks', exp.usedDataBlocks, (p) => p.usedDataBlocks);
  for (const r of exp.reads ?? []) results.push(checkRead(r, machine));
  if (exp.invariants === true) results.push(checkInvariants(machine));
  for (const name of exp.holds ?? []) {
    // The loader accepts known names only.
    const inv = namedInvariant(name)!;
    const problems = checkNamedInvariant(inv, machine);
    results.push({
      name: `holds ${name}`,
      ok: problems.length === 0,
      expected: inv.holds,
      actual: problems.length === 0 ? 'holds' : problems.join('; '),
    });
  }
  return results;
}

export function checkInvariants(machine: Machine): CheckResult {
  const problems: string[] = [];
  for (const view of poolViews(machine)) {
    const pool = machine.livePools().find((p) => (machine.poolDevice(p)?.name ?? p.name) === view.name);
    if (pool !== undefined)
      for (const problem of checkPoolInvariants(pool.md)) problems.push(`${view.name}: ${problem}`);
  }
  return {
    name: 'invariants',
    ok: problems.length === 0,
    expected: 'every pool consistent',
    actual: problems.length === 0 ? 'every pool consistent' : problems.join('; '),
  };
}

function checkRead(r: ReadCheck, machine: Machine): CheckResult {
  const name = `reads ${r.device}@${r.offset}+${r.length}`;
  const expected = r.md5 !== undefined ? `md5 ${r.md5}` : `every byte ${describeByte((r.byte ?? '').charCodeAt(0))}`;
  const dev = machine.resolve(r.device);
  if (dev === null) return { name, ok: false, expected, actual: `no device ${r.device}` };
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
