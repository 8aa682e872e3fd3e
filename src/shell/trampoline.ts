/**
 * Deep shell code without a deep JavaScript stack. The interpreter is written as generators that
 * delegate to each other (`yield*`), and resuming a chain of delegations walks the whole chain on
 * the native stack: a recursive shell function 200 calls deep used to end in V8's "Maximum call
 * stack size exceeded". So the interpreter's recursion points (every command it runs) do not
 * delegate: they yield a `Call` with the generator to run, and `trampoline` runs the generators on
 * an explicit stack of its own, handing each one's result (or exception) back to its caller. The
 * native stack then holds only the few generators between two calls, however deep the shell is.
 */
import type { Steps, Wait } from './wait.js';

/** A request to run a generator and resume the caller with its result. */
export class Call {
  constructor(readonly body: Run<unknown>) {}
}

/**
 * What the interpreter's generators are: they yield waits (passed up to whoever drives them) and
 * calls (run by the trampoline). The value sent back is a wait's outcome (a boolean) or a call's
 * result, which `call` casts back to its type.
 */
export type Run<T> = Generator<Wait | Call, T, boolean>;

/** Runs `body` through the trampoline: `return yield* call(this.runList(...))`. */
export function* call<T>(body: Run<T>): Run<T> {
  // The trampoline resumes this generator with `body`'s result: a T, whatever the declared type.
  return (yield new Call(body)) as unknown as T;
}

/** Raised when the explicit stack would outgrow `maxDepth`: the shell turns it into its message. */
export class DepthExceeded {
  constructor(readonly depth: number) {}
}

/**
 * Runs a generator of the interpreter and its calls on an explicit stack; yields only waits.
 * `maxDepth` bounds the stack (each frame is a few small objects), so that runaway recursion ends
 * with DepthExceeded raised in the generator that made the call, instead of exhausting memory.
 */
export function* trampoline<T>(root: Run<T>, maxDepth: number): Steps<T> {
  const stack: Run<unknown>[] = [root];
  let sent: { ok: true; value: unknown } | { ok: false; error: unknown } = { ok: true, value: undefined };
  for (;;) {
    const top = stack[stack.length - 1]!;
    let r: IteratorResult<Wait | Call, unknown>;
    try {
      r = sent.ok ? top.next(sent.value as boolean) : top.throw(sent.error);
    } catch (error) {
      stack.pop();
      if (stack.length === 0) throw error;
      sent = { ok: false, error };
      continue;
    }
    if (r.done === true) {
      stack.pop();
      if (stack.length === 0) return r.value as T;
      sent = { ok: true, value: r.value };
    } else if (r.value instanceof Call) {
      if (stack.length >= maxDepth) {
        // The callee never starts: close it, and raise the error where the call was made.
        r.value.body.return(undefined as never);
        sent = { ok: false, error: new DepthExceeded(stack.length) };
      } else {
        stack.push(r.value.body);
        sent = { ok: true, value: undefined };
      }
    } else {
      try {
        sent = { ok: true, value: yield r.value };
      } catch (error) {
        sent = { ok: false, error };
      }
    }
  }
}
