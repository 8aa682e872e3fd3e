/**
 * thin-provisioning-tools 0.9.0 (src/tools/): thin_check, thin_dump, thin_restore, thin_repair,
 * thin_ls, thin_delta, thin_rmap, thin_trim, thin_metadata_size. Registered by name in
 * src/lab/commands.ts; the tools keep their own table, which this follows.
 */
import { InvariantViolation } from '../../model/assert.js';
import type { DmDevice } from '../../model/machine.js';
import type { CommandIo } from '../../shell/io.js';
import type { Steps } from '../../shell/wait.js';
import { runThinTool, THIN_TOOL_NAMES } from '../../tools/index.js';
import { toolsReleaseOf } from '../../tools/release.js';
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
export { hasThinTool, runThinTool } from '../../tools/index.js';
