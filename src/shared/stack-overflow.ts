/**
 * V8's RangeError for an exhausted stack. The shell's parser and arithmetic and the tools'
 * recursive readers turn it into their own message or a refusal by name; no other RangeError is
 * caught this way.
 */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && e.message.includes('call stack');
}
