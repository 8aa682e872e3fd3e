/**
 * thin-provisioning-tools 0.9.0 (src/tools/): thin_check, thin_dump, thin_restore, thin_repair,
 * thin_ls, thin_delta, thin_rmap, thin_trim, thin_metadata_size. Registered by name in
 * src/lab/commands.ts; the tools keep their own table, which this follows.
 */
import { InvariantViolation } from '../../model/assert.js';
import { runThinTool, THIN_TOOL_NAMES } from '../../tools/index.js';
import type { CommandHandler } from '../registry.js';

/** The handler for one thin tool; the name must be one of THIN_TOOL_NAMES. */
export function thinTool(name: string): CommandHandler {
  if (!THIN_TOOL_NAMES.includes(name))
    throw new InvariantViolation(`${name} is not one of the thin tools (${THIN_TOOL_NAMES.join(', ')})`);
  return (lab, args, io) => {
    const status = runThinTool(name, lab, args, io);
    if (status === null) throw new InvariantViolation(`thin tool ${name} vanished from src/tools/index.ts`);
    return status;
  };
}

/** The stack-only tools (1.1.0's thin_migrate, cache_check ...) that the registry runs by the machine's stack. */
export { hasThinTool, runThinTool } from '../../tools/index.js';
