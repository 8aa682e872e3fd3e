/**
 * Which thin-provisioning-tools release a lab runs: 0.9.0 (the C++ tools, Debian 12) or 1.1.0 (the
 * Rust rewrite, Debian 13), from the machine's stack (src/model/stack.ts). The differences that are
 * plain data (version, failure status, the words for an input that cannot be opened) live here, so
 * that a tool asks for them instead of testing the stack itself.
 */
import { InvariantViolation } from '../model/assert.js';
import { STACK_VERSIONS, type StackId } from '../model/stack.js';
import type { ShellContext } from '../lab/context.js';
import { lookupPath } from '../lab/vfs.js';
import { readInputBytes } from './tool-io.js';

export type ToolsRelease = '0.9.0' | '1.1.0';

export function toolsReleaseOf(stack: StackId): ToolsRelease {
  const version = STACK_VERSIONS[stack].thinProvisioningTools;
  if (version !== '0.9.0' && version !== '1.1.0')
    throw new InvariantViolation(
      `stack ${stack} runs thin-provisioning-tools ${version}, which src/tools does not know`,
    );
  return version;
}

/**
 * 1.1.0 ends every failure of the tool itself with 64 (EX_USAGE, whatever went wrong) and a
 * refused command line with 2 (clap's); 0.9.0 ends both with 1. So under 1.1.0 a status of 1 can
 * only come from a path still worded as 0.9.0 words it (docs/tools.md).
 */
export const FAILURE_1X = 64;

/** An input 1.1.0 could open: its bytes, or the line (with its newline) it prints instead. */
export type Input1x =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly message: string };

/**
 * Opens an input as 1.1.0 does: it checks that the path exists and is a regular file or a block
 * device before opening it (exclusively, except for a metadata snapshot), then reads it.
 */
export function openInput1x(ctx: ShellContext, path: string, exclusive = true): Input1x {
  const notFileOrDevice: Input1x = { ok: false, message: `Not a block device or regular file '${path}'.\n` };
  const input = readInputBytes(ctx, path, exclusive);
  if (!input.ok) {
    if (input.why === 'missing') return { ok: false, message: `Couldn't find input file '${path}'\n` };
    if (input.why === 'directory') return notFileOrDevice;
    if (input.why === 'busy') return { ok: false, message: 'Device or resource busy (os error 16)\n' };
    return { ok: false, message: 'Input/output error (os error 5)\n' };
  }
  const kind = lookupPath(ctx, path.length > 1 ? path.replace(/\/+$/, '') : path).kind;
  return kind === 'file' || kind === 'block' ? { ok: true, bytes: input.bytes } : notFileOrDevice;
}
