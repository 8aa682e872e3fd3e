/**
 * Which thin-provisioning-tools release a lab runs: 0.9.0 (the C++ tools, Debian 12) or 1.1.0 (the
 * Rust rewrite, Debian 13), from the machine's stack (src/model/stack.ts). The differences that are
 * plain data (version, failure status, the words for an input that cannot be opened) live here, so
 * that a tool asks for them instead of testing the stack itself.
 */
import { InvariantViolation } from '../model/assert.js';
import { STACK_VERSIONS, type StackId } from '../model/stack.js';

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
