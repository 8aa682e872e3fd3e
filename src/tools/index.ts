/**
 * The thin-provisioning-tools commands of the lab shell, by name. The lab's registry
 * (src/lab/commands.ts) runs each one through `runThinTool`; null means the name is not one of these tools.
 */
import type { ShellContext } from '../lab/context.js';
import type { CommandIo } from '../shell/io.js';
import { pathPositions, type ThinTool } from './define-tool.js';
import type { ArgPosition } from './getopt.js';
import { thinCheck } from './thin-check.js';
import { thinDelta } from './thin-delta.js';
import { thinDump } from './thin-dump.js';
import { thinLs } from './thin-ls.js';
import { thinMetadataSize } from './thin-metadata-size.js';
import { thinRepair } from './thin-repair.js';
import { thinRestore } from './thin-restore.js';
import { thinRmap } from './thin-rmap.js';
import { thinTrim } from './thin-trim.js';

const TOOLS: Record<string, ThinTool> = {
  thin_check: thinCheck,
  thin_dump: thinDump,
  thin_restore: thinRestore,
  thin_repair: thinRepair,
  thin_ls: thinLs,
  thin_delta: thinDelta,
  thin_rmap: thinRmap,
  thin_trim: thinTrim,
  thin_metadata_size: thinMetadataSize,
};

export const THIN_TOOL_NAMES: readonly string[] = Object.keys(TOOLS);

export function runThinTool(name: string, ctx: ShellContext, args: readonly string[], io: CommandIo): number | null {
  const tool = TOOLS[name];
  return tool === undefined ? null : tool({ ctx, io }, args);
}

/**
 * Which of `args` name files for tool `name` (see `pathPositions`); null when the tool would refuse
 * the command line first, undefined when `name` is not a thin tool.
 */
export function thinToolPathPositions(name: string, args: readonly string[]): ArgPosition[] | null | undefined {
  const tool = TOOLS[name];
  return tool === undefined ? undefined : pathPositions(tool.definition, args);
}
