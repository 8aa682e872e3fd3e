/**
 * Bisecting a recorded history: the first position at which a state expectation stops holding.
 * Like `git bisect`, it assumes the expectation holds up to some position and fails from the next
 * one on; it then needs about log2(n) states, each reached by `History.stateAt` from the nearest
 * checkpoint. A check on a pool that does not exist (yet, or any more) holds: a pool that is not
 * there cannot be in the wrong mode, so position 0, the fresh lab, is always good.
 */
import { POOL_MODES, type PoolMode } from '../model/lifecycle.js';
import type { Machine } from '../model/machine.js';
import {
  checkNamedInvariant,
  NAMED_INVARIANTS,
  namedInvariant,
  type NamedInvariant,
} from '../model/named-invariants.js';
import type { History } from '../replay/history.js';
import type { LabRuntime } from '../replay/lab-runtime.js';
import { checkInvariants, poolViews, type CheckResult, type PoolView } from './expect.js';

export type Comparison = '=' | '<' | '<=' | '>' | '>=' | '!=';

export type BisectCheck =
  | { readonly kind: 'pool_mode'; readonly pool: string; readonly mode: PoolMode }
  | { readonly kind: 'needs_check'; readonly pool: string; readonly value: boolean }
  | { readonly kind: 'used_data_blocks'; readonly pool: string; readonly op: Comparison; readonly value: number }
  | { readonly kind: 'invariants' }
  | { readonly kind: 'invariant'; readonly invariant: NamedInvariant };

export class BisectExprError extends Error {
  override readonly name = 'BisectExprError';
}

const FORMS =
  'pool_mode POOL=MODE, needs_check POOL=true|false, used_data_blocks POOL<N (=, !=, <, <=, >, >=), invariants';

/** Parses an `--invariant` name. */
export function parseInvariantName(name: string): BisectCheck {
  const invariant = namedInvariant(name.trim());
  if (invariant === undefined) {
    throw new BisectExprError(`unknown invariant '${name}' (known: ${NAMED_INVARIANTS.map((i) => i.name).join(', ')})`);
  }
  return { kind: 'invariant', invariant };
}

/** Parses an `--expect` expression. */
export function parseBisectExpr(text: string): BisectCheck {
  const t = text.trim();
  if (t === 'invariants') return { kind: 'invariants' };
  let m = /^pool_mode\s+([^\s=]+)\s*=\s*(\S+)$/.exec(t);
  if (m !== null) {
    const mode = m[2]! as PoolMode;
    if (!POOL_MODES.includes(mode))
      throw new BisectExprError(`'${m[2]}' is not a pool mode (${POOL_MODES.join(', ')})`);
    return { kind: 'pool_mode', pool: m[1]!, mode };
  }
  m = /^needs_check\s+([^\s=]+)\s*=\s*(true|false)$/.exec(t);
  if (m !== null) return { kind: 'needs_check', pool: m[1]!, value: m[2] === 'true' };
  m = /^used_data_blocks\s+([^\s=<>!]+)\s*(<=|>=|!=|=|<|>)\s*([0-9]+)$/.exec(t);
  if (m !== null) return { kind: 'used_data_blocks', pool: m[1]!, op: m[2]! as Comparison, value: Number(m[3]) };
  throw new BisectExprError(`cannot read the expectation '${text}' (forms: ${FORMS})`);
}

export function describeCheck(c: BisectCheck): string {
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

/** Evaluates a check on a lab state. */
export function evaluateCheck(c: BisectCheck, machine: Machine): CheckResult {
  const name = describeCheck(c);
  if (c.kind === 'invariants') return { ...checkInvariants(machine), name };
  if (c.kind === 'invariant') {
    const problems = checkNamedInvariant(c.invariant, machine);
    const actual =
      problems.length === 0
        ? machine.livePools().length === 0
          ? 'holds (no pool yet)'
          : 'holds'
        : problems.join('; ');
    return { name, ok: problems.length === 0, expected: c.invariant.holds, actual };
  }
  const pool = poolViews(machine).find((p) => p.name === c.pool);
  if (pool === undefined)
    return { name, ok: true, expected: name, actual: `no pool '${c.pool}' (holds: nothing to be wrong yet)` };
  switch (c.kind) {
    case 'pool_mode':
      return { name, ok: pool.mode === c.mode, expected: c.mode, actual: pool.mode };
    case 'needs_check':
      return { name, ok: pool.needsCheck === c.value, expected: String(c.value), actual: String(pool.needsCheck) };
    case 'used_data_blocks':
      return {
        name,
        ok: compare(pool.usedDataBlocks, c.op, c.value),
        expected: `${c.op} ${c.value}`,
        actual: String(pool.usedDataBlocks),
      };
  }
}

export interface BisectSide {
  readonly position: number;
  readonly runtime: LabRuntime;
  readonly check: CheckResult;
}

export type BisectOutcome =
  /** `length` is the position searched up to. */
  | { readonly kind: 'holds'; readonly length: number; readonly statesLooked: number }
  | {
      readonly kind: 'found';
      readonly length: number;
      readonly good: BisectSide;
      readonly bad: BisectSide;
      readonly statesLooked: number;
    };

/** Finds the last good and first bad positions of a branch, up to `end` (default: its end). */
export async function bisect(h: History, branch: string, check: BisectCheck, end?: number): Promise<BisectOutcome> {
  const length = end ?? (await h.length(branch));
  let looked = 0;
  const at = async (position: number): Promise<BisectSide> => {
    looked++;
    const runtime = await h.stateAt(branch, position);
    return { position, runtime, check: evaluateCheck(check, runtime.shell.machine) };
  };
  let bad = await at(length);
  if (bad.check.ok) return { kind: 'holds', length, statesLooked: looked };
  // Position 0 is the fresh lab, where every check holds (see above), so it needs no replay.
  let good: BisectSide | null = null;
  let lo = 0;
  let hi = length;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const side = await at(mid);
    if (side.check.ok) {
      good = side;
      lo = mid;
    } else {
      bad = side;
      hi = mid;
    }
  }
  good ??= await at(lo);
  return { kind: 'found', length, good, bad, statesLooked: looked };
}

/** The pools of a state, one line each, for the side-by-side view. */
export function poolLines(runtime: LabRuntime): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of poolViews(runtime.shell.machine, true)) out.set(p.name, summarizePool(p));
  return out;
}

function summarizePool(p: PoolView): string {
  return (
    p.statusLine ??
    `mode ${p.mode}, data ${p.usedDataBlocks}/${p.totalDataBlocks}${p.needsCheck ? ', needs_check' : ''} (no live table)`
  );
}
