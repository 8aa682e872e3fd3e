/**
 * The target types the lab's device-mapper core knows, by the name tables spell them (the kernel's
 * dm_register_target list). Adding a target is a new file beside this one and a line here.
 */
import { delayTarget, type DelayTarget } from './delay.js';
import { errorTarget, type ErrorTarget } from './error.js';
import { flakeyTarget, type FlakeyTarget } from './flakey.js';
import { linearTarget, type LinearTarget } from './linear.js';
import type { TargetType } from './target-type.js';
import { thinPoolTarget, type ThinPoolTarget } from './thin-pool.js';
import { thinTarget, type ThinTarget } from './thin.js';
import { zeroTarget, type ZeroTarget } from './zero.js';

/**
 * A loaded target: plain data, each type's own record (checkpoints walk it field by field; see
 * target-type.ts). `type` says which TargetType it belongs to.
 */
export type Target = LinearTarget | ErrorTarget | ZeroTarget | FlakeyTarget | DelayTarget | ThinPoolTarget | ThinTarget;

let registry: ReadonlyMap<string, TargetType> | null = null;

/**
 * Every registered target type by name. Built on first use rather than when this module loads:
 * the target files use the dm core's device numbering (machine.ts), which uses this registry, and
 * whichever of them is imported first must not find the others half-loaded.
 */
export function targetTypes(): ReadonlyMap<string, TargetType> {
  registry ??= new Map<string, TargetType>(
    [linearTarget, errorTarget, zeroTarget, flakeyTarget, delayTarget, thinPoolTarget, thinTarget].map((t) => [
      t.name,
      t,
    ]),
  );
  return registry;
}

/** The type of a table line's target name, or undefined: the kernel's "unknown target type". */
export function targetType(name: string): TargetType | undefined {
  return targetTypes().get(name);
}

/** The behaviour of a live or loaded target: every record's type is registered. */
export function typeOf(target: Target): TargetType {
  return targetTypes().get(target.type)!;
}
