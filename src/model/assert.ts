/** Raised only for broken invariants: a bug in the lab, never a user error. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

export function unreachable(value: never, what: string): never {
  throw new InvariantViolation(`unreachable ${what}: ${String(value)}`);
}
