/**
 * State checks: what `bisect --expect`/`--invariant`, a scenario's state expectations (`run`) and
 * `whatif --expect` ask of a lab at one position, and the one function that evaluates them. A
 * check about a pool that is not there never holds: it fails with a message naming the pool and
 * the pools that are there, and says so in `missing`, so bisect can tell "not there yet" from
 * "there and wrong". A named invariant on a lab with no live pool fails the same way: "every pool
 * is writable" said of no pool at all would hide a mistyped position or a lab that never started.
 * Reading the model only, a check never changes the lab.
 */
import { checkPoolInvariants } from '../model/invariants.js';
import { POOL_MODES, type PoolMode } from '../model/lifecycle.js';
import type { Machine } from '../model/machine.js';
import {
  checkNamedInvariant,
  NAMED_INVARIANTS,
  type NamedInvariant,
  namedInvariant,
} from '../model/named-invariants.js';

export interface CheckResult {
  /** What was checked, as written in the file: `pool_mode pool`, `status`, `reads /dev/mapper/thin@0+65536`. */
  readonly name: string;
  readonly ok: boolean;
  readonly expected: string;
  readonly actual: string;
  /** Set (to true) only when the check failed because what it names is not there. */
  readonly missing?: true;
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

export type Comparison = '=' | '<' | '<=' | '>' | '>=' | '!=';

export type StateCheck =
  | { readonly kind: 'pool_mode'; readonly pool: string; readonly mode: PoolMode }
  | { readonly kind: 'needs_check'; readonly pool: string; readonly value: boolean }
  | { readonly kind: 'used_data_blocks'; readonly pool: string; readonly op: Comparison; readonly value: number }
  | { readonly kind: 'invariants' }
  | { readonly kind: 'invariant'; readonly invariant: NamedInvariant };

export class CheckExprError extends Error {
  override readonly name = 'CheckExprError';
}

const FORMS =
  'pool_mode POOL=MODE, needs_check POOL=true|false, used_data_blocks POOL<N (=, !=, <, <=, >, >=), invariants';

/** Parses an `--invariant` name. */
export function parseInvariantName(name: string): StateCheck {
  const invariant = namedInvariant(name.trim());
  if (invariant === undefined) {
    throw new CheckExprError(`unknown invariant '${name}' (known: ${NAMED_INVARIANTS.map((i) => i.name).join(', ')})`);
  }
  return { kind: 'invariant', invariant };
}

/** Parses an `--expect` expression. */
export function parseCheckExpr(text: string): StateCheck {
  const t = text.trim();
  if (t === 'invariants') return { kind: 'invariants' };
  let m = /^pool_mode\s+([^\s=]+)\s*=\s*(\S+)$/.exec(t);
  if (m !== null) {
    const mode = m[2]! as PoolMode;
    if (!POOL_MODES.includes(mode)) throw new CheckExprError(`'${m[2]}' is not a pool mode (${POOL_MODES.join(', ')})`);
    return { kind: 'pool_mode', pool: m[1]!, mode };
  }
  m = /^needs_check\s+([^\s=]+)\s*=\s*(true|false)$/.exec(t);
  if (m !== null) return { kind: 'needs_check', pool: m[1]!, value: m[2] === 'true' };
  m = /^used_data_blocks\s+([^\s=<>!]+)\s*(<=|>=|!=|=|<|>)\s*([0-9]+)$/.exec(t);
  if (m !== null) return { kind: 'used_data_blocks', pool: m[1]!, op: m[2]! as Comparison, value: Number(m[3]) };
  throw new CheckExprError(`cannot read the expectation '${text}' (forms: ${FORMS})`);
}

export function describeCheck(c: StateCheck): string {
  switch (c.kind) {
    case 'pool_mode':
      return `pool_mode ${c.pool}=${c.mode}`;
    case 'needs_check':
      return `needs_check ${c.pool}=${c.value}`;
    case 'used_data_blocks':
      return `used_data_blocks ${c.pool}${c.op}${c.value}`;
    case 'invariants':
      return 'invariants';
    case 'invariant':
      return `invariant ${c.invariant.name}`;
  }
}

function compare(a: number, op: Comparison, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** The live pools' names for a message: `live pools: a, b`, or that there is none. */
export function livePoolsText(machine: Machine): string {
  const names = poolViews(machine).map((p) => p.name);
  return names.length === 0 ? 'there is no live pool' : `live pools: ${names.join(', ')}`;
}

/** What a check on a pool that is not there answers, naming it and what is there instead. */
export function missingPool(name: string, expected: string, pool: string, machine: Machine): CheckResult {
  return {
    name,
    ok: false,
    expected,
    actual: `no live pool named '${pool}' (${livePoolsText(machine)})`,
    missing: true,
  };
}

/** Evaluates one check on a lab state: the one evaluation bisect, run and whatif share. */
export function evaluateCheck(c: StateCheck, machine: Machine): CheckResult {
  const name = describeCheck(c);
  if (c.kind === 'invariants' || c.kind === 'invariant') {
    const expected = c.kind === 'invariants' ? 'every pool consistent' : c.invariant.holds;
    // A named invariant is a claim about a pool (writable, free space ...): with no pool it fails.
    // `invariants` says every pool is consistent, which holds of no pool: after a crash or a
    // remove nothing is inconsistent, and the property campaign's scenarios check exactly that.
    if (machine.livePools().length === 0) {
      if (c.kind === 'invariants') return { name, ok: true, expected, actual: 'every pool consistent (no live pool)' };
      return { name, ok: false, expected, actual: 'there is no live pool to check', missing: true };
    }
    const problems =
      c.kind === 'invariants' ? poolConsistencyProblems(machine) : checkNamedInvariant(c.invariant, machine);
    const holds = c.kind === 'invariants' ? 'every pool consistent' : 'holds';
    return { name, ok: problems.length === 0, expected, actual: problems.length === 0 ? holds : problems.join('; ') };
  }
  const pool = poolViews(machine).find((p) => p.name === c.pool);
  switch (c.kind) {
    case 'pool_mode':
      if (pool === undefined) return missingPool(name, c.mode, c.pool, machine);
      return { name, ok: pool.mode === c.mode, expected: c.mode, actual: pool.mode };
    case 'needs_check':
      if (pool === undefined) return missingPool(name, String(c.value), c.pool, machine);
      return { name, ok: pool.needsCheck === c.value, expected: String(c.value), actual: String(pool.needsCheck) };
    case 'used_data_blocks': {
      const expected = c.op === '=' ? String(c.value) : `${c.op} ${c.value}`;
      if (pool === undefined) return missingPool(name, expected, c.pool, machine);
      return { name, ok: compare(pool.usedDataBlocks, c.op, c.value), expected, actual: String(pool.usedDataBlocks) };
    }
  }
}

/** checkPoolInvariants on every live pool, each problem prefixed with the pool's device name. */
function poolConsistencyProblems(machine: Machine): string[] {
  const named = machine.livePools().map((pool) => ({ pool, name: machine.poolDevice(pool)?.name ?? pool.name }));
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return named.flatMap(({ pool, name }) => checkPoolInvariants(pool.md).map((problem) => `${name}: ${problem}`));
}
