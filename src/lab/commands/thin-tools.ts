/**
 * thin-provisioning-tools 0.9.0 (src/tools/): thin_check, thin_dump, thin_restore, thin_repair,
 * thin_ls, thin_delta, thin_rmap, thin_trim, thin_metadata_size. Registered by name in
 * src/lab/commands.ts; the tools keep their own table, which this follows.
 */
import { InvariantViolation } from '../../model/assert.js';
import type { DmDevice } from '../../model/machine.js';
import type { CommandIo } from '../../shell/io.js';
import type { Steps } from '../../shell/wait.js';
import { hasThinTool, runThinTool, THIN_TOOL_NAMES } from '../../tools/index.js';
import { FAILURE_1X, type ToolsRelease, toolsReleaseOf } from '../../tools/release.js';
import { notModelled } from '../command-errors.js';
import type { Lab } from '../lab.js';
import type { CommandHandler } from '../registry.js';

/** The handler for one thin tool; the name must be one of THIN_TOOL_NAMES. */
export function thinTool(name: string): CommandHandler {
  if (!THIN_TOOL_NAMES.includes(name))
    throw new InvariantViolation(`${name} is not one of the thin tools (${THIN_TOOL_NAMES.join(', ')})`);
  const run = (lab: Lab, args: readonly string[], io: CommandIo): number => {
    const status = runThinTool(name, lab, args, io);
    if (status === null) throw new InvariantViolation(`thin tool ${name} vanished from src/tools/index.ts`);
    return status;
  };
  return (lab, args, io) => {
    const suspended = suspendedLiveDevice(lab, args);
    return suspended === null ? run(lab, args, io) : afterResume(name, suspended, io, () => run(lab, args, io));
  };
}

/**
 * A held (live) device-mapper device named on a 1.1.0 tool's command line whose stack has a
 * suspended device, or null. 1.1.0's thin_check waits for that device's resume before it fails
 * to open the live metadata device (EBUSY), where 0.9.0 fails at once (fixtures/kernel/202).
 */
function suspendedLiveDevice(lab: Lab, args: readonly string[]): DmDevice | null {
  const m = lab.machine;
  if (toolsReleaseOf(m.stack) !== '1.1.0') return null;
  for (const arg of args) {
    const dev = arg.startsWith('/') ? m.resolve(arg) : null;
    if (dev === null || dev.kind !== 'dm' || dev.openCount === 0) continue;
    const suspended = m.suspendedInStack(dev);
    if (suspended !== null) return suspended;
  }
  return null;
}

/** Runs the tool once `dev` is resumed; only thin_check's wait was seen on the real system. */
function afterResume(name: string, dev: DmDevice, io: CommandIo, run: () => number): number | Steps<number> {
  if (name !== 'thin_check') {
    io.err(
      `thinlab: not modelled: ${name} 1.1.0 on a live device while device ${dev.name} in its stack is suspended ` +
        '(only thin_check was seen to wait for the resume)\n',
    );
    return 1;
  }
  return (function* (): Steps<number> {
    if (yield { kind: 'resume', dev }) return run();
    io.err(
      `thinlab: ${name}: waits for suspended device ${dev.name} to be resumed; nothing in the lab will resume it: ` +
        `a real ${name} would wait forever, thinlab stops waiting\n`,
    );
    return 1;
  })();
}

/** The stack-only tools (1.1.0's thin_migrate, cache_check ...) that the registry runs by the machine's stack. */
export { hasThinTool, runThinTool };

/**
 * The subcommands each release's pdata_tools lists in its usage, in its order (measured on the real
 * 0.9.0 and 1.1.0, fixtures/kernel/214). 0.9.0's lists cache and era tools the VM links no name to;
 * 1.1.0's lists era_repair and thin_shrink, which Debian 13 links no name to either.
 */
const PDATA_COMMANDS: Readonly<Record<ToolsRelease, readonly string[]>> = {
  '0.9.0': [
    'cache_check',
    'cache_dump',
    'cache_metadata_size',
    'cache_restore',
    'cache_repair',
    'cache_writeback',
    'era_check',
    'era_dump',
    'era_invalidate',
    'era_restore',
    'thin_check',
    'thin_delta',
    'thin_dump',
    'thin_ls',
    'thin_metadata_size',
    'thin_restore',
    'thin_repair',
    'thin_rmap',
    'thin_trim',
  ],
  '1.1.0': [
    'cache_check',
    'cache_dump',
    'cache_metadata_size',
    'cache_repair',
    'cache_restore',
    'cache_writeback',
    'era_check',
    'era_dump',
    'era_invalidate',
    'era_repair',
    'era_restore',
    'thin_check',
    'thin_delta',
    'thin_dump',
    'thin_ls',
    'thin_metadata_pack',
    'thin_metadata_size',
    'thin_metadata_unpack',
    'thin_migrate',
    'thin_repair',
    'thin_restore',
    'thin_rmap',
    'thin_shrink',
    'thin_trim',
  ],
};

/**
 * `pdata_tools COMMAND ARGS...`: the one binary every thin tool's name links to, run by its own
 * name. The command it names runs as if called by that name; none, or one it does not list,
 * prints its usage on standard error (0.9.0: `Unknown command 'X'` first, status 1; 1.1.0:
 * `unrecognised command` first, status 64). A listed command the lab has no tool for (0.9.0's
 * cache and era tools, 1.1.0's era_repair and thin_shrink) is refused by name.
 */
export function pdataTools(lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  const stack = lab.machine.stack;
  const release = toolsReleaseOf(stack);
  const [name, ...rest] = args;
  const listed = PDATA_COMMANDS[release];
  if (name === undefined || !listed.includes(name)) {
    const complaint =
      name === undefined ? '' : release === '0.9.0' ? `Unknown command '${name}'\n` : 'unrecognised command\n';
    io.err(`${complaint}Usage: <command> <args>\ncommands:\n${listed.map((c) => `  ${c}\n`).join('')}`);
    return release === '0.9.0' ? 1 : FAILURE_1X;
  }
  if (THIN_TOOL_NAMES.includes(name)) return thinTool(name)(lab, rest, io);
  if (hasThinTool(name, stack)) return run1xOnly(name, lab, rest, io);
  throw notModelled(`pdata_tools ${name} (the lab has no ${name} ${release})`);
}

function run1xOnly(name: string, lab: Lab, args: readonly string[], io: CommandIo): number {
  const status = runThinTool(name, lab, args, io);
  if (status === null)
    throw new InvariantViolation(`${name} is a thin tool of stack ${lab.machine.stack} that did not run`);
  return status;
}
