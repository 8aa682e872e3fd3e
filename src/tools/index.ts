/**
 * The thin-provisioning-tools commands of the lab shell, by name, for each release: 0.9.0's nine
 * on debian12, 1.1.0's on debian13 (the same tools with their 1.1.0 form, the three 1.1.0 added,
 * and the cache_* and era_* names Debian 13's package links to pdata_tools). The lab's registry
 * (src/lab/commands.ts) registers every name once and runs it through `runThinTool`; a name the
 * machine's release does not have is not there at all (`sh: thin_migrate: not found` on debian12),
 * which `hasThinTool` tells the registry.
 */
import type { ShellContext } from '../lab/context.js';
import { DEFAULT_STACK, type StackId } from '../model/stack.js';
import type { CommandIo } from '../shell/io.js';
import { clapPathPositions } from './clap.js';
import { cacheCheck, cacheDump, eraCheck, eraDump, REFUSED_CACHE_ERA_TOOLS } from './cache-era.js';
import { NOT_MODELLED_STATUS, notModelled1x, pathPositions, type ThinTool } from './define-tool.js';
import type { ArgPosition } from './getopt.js';
import { type ToolsRelease, toolsReleaseOf } from './release.js';
import { thinCheck } from './thin-check.js';
import { thinDelta } from './thin-delta.js';
import { thinDump } from './thin-dump.js';
import { thinLs } from './thin-ls.js';
import { thinMetadataSize } from './thin-metadata-size.js';
import { thinRepair } from './thin-repair.js';
import { thinRestore } from './thin-restore.js';
import { thinRmap } from './thin-rmap.js';
import { thinTrim } from './thin-trim.js';
import { thinMetadataPack, thinMetadataUnpack, thinMigrate } from './tools-1x-only.js';

const TOOLS_090: Readonly<Record<string, ThinTool>> = {
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

/** A tool of 1.1.0 the lab refuses whole, by name (the cache and era tools it does not model). */
function refusedTool(name: string): (ctx: ShellContext, args: readonly string[], io: CommandIo) => number {
  return (_ctx, _args, io) => {
    io.err(notModelled1x(name, 'the lab has no dm-cache or dm-era metadata for it to work on'));
    return NOT_MODELLED_STATUS;
  };
}

const TOOLS_1X: Readonly<Record<string, ThinTool>> = {
  ...TOOLS_090,
  thin_metadata_pack: thinMetadataPack,
  thin_metadata_unpack: thinMetadataUnpack,
  thin_migrate: thinMigrate,
  cache_check: cacheCheck,
  cache_dump: cacheDump,
  era_check: eraCheck,
  era_dump: eraDump,
};

const REFUSED_1X: ReadonlyMap<string, ReturnType<typeof refusedTool>> = new Map(
  REFUSED_CACHE_ERA_TOOLS.map((name) => [name, refusedTool(name)]),
);

const TOOLS: Readonly<Record<ToolsRelease, Readonly<Record<string, ThinTool>>>> = {
  '0.9.0': TOOLS_090,
  '1.1.0': TOOLS_1X,
};

/** The thin tools of 0.9.0, which the registry lists (the others exist on debian13 only, see `hasThinTool`). */
export const THIN_TOOL_NAMES: readonly string[] = Object.keys(TOOLS_090);

/** Whether the stack's release has a command of this name (false for a name that is no thin tool). */
export function hasThinTool(name: string, stack: StackId): boolean {
  const release = toolsReleaseOf(stack);
  return TOOLS[release][name] !== undefined || (release === '1.1.0' && REFUSED_1X.has(name));
}

export function runThinTool(name: string, ctx: ShellContext, args: readonly string[], io: CommandIo): number | null {
  const release = toolsReleaseOf(ctx.machine.stack);
  const tool = TOOLS[release][name];
  if (tool !== undefined) return tool({ ctx, io }, args);
  const refused = release === '1.1.0' ? REFUSED_1X.get(name) : undefined;
  return refused === undefined ? null : refused(ctx, args, io);
}

/**
 * Which of `args` name files for tool `name` on the stack's release (`pathPositions` for 0.9.0,
 * `clapPathPositions` for 1.1.0); null when the tool would refuse the command line first,
 * undefined when `name` is not a thin tool of that release.
 */
export function thinToolPathPositions(
  name: string,
  args: readonly string[],
  stack: StackId = DEFAULT_STACK,
): ArgPosition[] | null | undefined {
  const release = toolsReleaseOf(stack);
  const tool = TOOLS[release][name];
  if (tool === undefined) return REFUSED_1X.has(name) && release === '1.1.0' ? [] : undefined;
  const v1 = tool.definition.v1;
  if (release === '0.9.0' || v1 === undefined) return pathPositions(tool.definition, args);
  return clapPathPositions(name, v1.cli, args);
}
