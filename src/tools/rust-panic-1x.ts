/**
 * A panic of thin-provisioning-tools 1.1.0 (written in Rust): where the lab models a bug of the
 * real tool that ends in a panic, it ends the same way, with Rust's panic text on standard error
 * and status 101, as Debian 13's binary does. The text is the one the real binary prints without
 * RUST_BACKTRACE (the lab's machine does not set it); the blank line before it is the real tool's
 * too (its report writes a newline on standard error as the panic unwinds past it).
 */

/** The exit status of a Rust program that panicked. */
export const PANIC_STATUS = 101;

/** The text a panic at `location` (file:line:column) with `message` prints on standard error. */
export function panicText(location: string, message: string): string {
  return `\nthread 'main' panicked at ${location}:\n${message}\nnote: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace\n`;
}
