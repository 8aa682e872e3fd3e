/**
 * Bisecting a recorded history: the first position at which a state expectation stops holding.
 * Like `git bisect`, it assumes the expectation holds up to some position and fails from the next
 * one on; it then needs about log2(n) states, each reached by `History.stateAt` from the nearest
 * checkpoint. The checks are src/replay/state-checks.ts's, where a check on a pool that is not
 * there fails and says it is missing. The search looks for the first position where the thing is
 * there and wrong: "not there" counts as not (yet) bad, so the fresh lab at position 0, where
 * nothing exists, is where the search starts without replaying anything. When the thing is missing
 * at the end, there is nothing to search: the answer is that failure, naming what is missing.
 */
import type { History } from '../replay/history.js';
import type { LabRuntime } from '../replay/lab-runtime.js';
import {
  CheckExprError,
  type CheckResult,
  describeCheck,
  evaluateCheck,
  type PoolView,
  parseCheckExpr,
  parseInvariantName,
  poolViews,
  type StateCheck,
} from '../replay/state-checks.js';

export type { Comparison } from '../replay/state-checks.js';
export { describeCheck, evaluateCheck, parseInvariantName };
export type BisectCheck = StateCheck;
export const BisectExprError = CheckExprError;
export const parseBisectExpr = parseCheckExpr;

export interface BisectSide {
  readonly position: number;
  readonly runtime: LabRuntime;
  readonly check: CheckResult;
}

export type BisectOutcome =
  /** `length` is the position searched up to. */
  | { readonly kind: 'holds'; readonly length: number; readonly statesLooked: number }
  /** What the check names is not there at `length`: the failure there is the answer. */
  | { readonly kind: 'missing'; readonly length: number; readonly bad: BisectSide; readonly statesLooked: number }
  | {
      readonly kind: 'found';
      readonly length: number;
      /**
       * The position before the first bad one: the last good, or (its check `missing`) a state
       * where the thing was not there yet, so the expectation never held before failing.
       */
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
  if (bad.check.missing === true) return { kind: 'missing', length, bad, statesLooked: looked };
  // Position 0 is the fresh lab, where nothing is there and so nothing is bad (see above).
  let good: BisectSide | null = null;
  let lo = 0;
  let hi = length;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const side = await at(mid);
    if (side.check.ok || side.check.missing === true) {
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
