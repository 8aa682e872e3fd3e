/** A program the lab's awk cannot parse or run (a syntax error, a division by zero): awk's own failure, status 1. */
export class AwkError extends Error {
  override readonly name = 'AwkError';
}
