/**
 * An expected failure of the kernel side of `thinlab conform`: the machine lacks a program or a
 * package, a download failed, the VM did not reach the end of the script. The message says what to
 * do; the code is stable for scripts and --json.
 */
export type ConformErrorCode = 'missing-host-tools' | 'fetch-failed' | 'image-failed' | 'vm-failed' | 'vm-timeout';

export class ConformError extends Error {
  override readonly name = 'ConformError';
  constructor(
    readonly code: ConformErrorCode,
    message: string,
  ) {
    super(message);
  }
}
