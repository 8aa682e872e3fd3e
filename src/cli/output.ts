/**
 * What every command writes to, and the error a command throws for bad input. They live apart from
 * the commands so that loading them costs nothing: the CLI loads a command's modules only when
 * that command runs.
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress bars only then). */
  readonly interactive: boolean;
}

/** Bad input on the command line: one line on stderr, exit 2, nothing touched. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command's JSON result: one document, indented, ending with a newline. */
export function printJson(io: Output, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
