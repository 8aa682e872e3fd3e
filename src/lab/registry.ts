/**
 * The lab's command registry: a map from a command's name to the handler that runs it, and the
 * one runner that every command goes through. The names and their handlers are listed in one file,
 * src/lab/commands.ts; every list of names (the shell's "not supported" message, `help`, the
 * applets the VM has that the lab does not model) is computed from that map, never kept by hand.
 */

import type { runDeletionWorker } from '../docker/deviceset.js';
import type { runMonitor } from '../lvm/monitor.js';
import { InvariantViolation } from '../model/assert.js';
import type { Machine } from '../model/machine.js';
import type { StackId } from '../model/stack.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { THIN_TOOLS_1X_ONLY } from '../shared/thin-tool-names.js';
import type { hasThinTool, runThinTool } from '../tools/index.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxUsage } from './busybox-options.js';
import { failureStatus } from './command-errors.js';
import { type DomainId, domainModule } from './domains.js';

// What the runner uses of three domains, which their registration modules in commands/ re-export:
// the types only, so that the domains load when a history needs them (src/lab/domains.ts).
type ThinToolsDomain = { hasThinTool: typeof hasThinTool; runThinTool: typeof runThinTool };
type LvmDomain = { runMonitor: typeof runMonitor };
type DockerDomain = { runDeletionWorker: typeof runDeletionWorker };
import { packagedProgram } from './host/programs.js';
import { NOT_MODELLED_REASONS, VM_COMMANDS } from './known-commands.js';
import type { Lab } from './lab.js';

/**
 * Runs one command over the lab: an exit status, or steps when the command may wait on the
 * simulated clock (dd, sleep). Expected failures are thrown as CommandFailed or PowerLoss, which
 * the runner prints; anything else thrown is a bug and crashes.
 */
export type CommandHandler = (lab: Lab, args: readonly string[], io: CommandIo) => number | Steps<number>;

export type CommandRegistry = ReadonlyMap<string, CommandHandler>;

/**
 * The commands that take their standard input whole (`io.stdin`): in a pipeline they run once
 * their writer can be run to its end (src/shell/pipeline.ts). Every other command either streams
 * its input (CommandIo.read: cat, head, tail, md5sum, wc, tr, od, cut, grep, sed, sort, dd) or never reads it, and runs at once.
 * A command that reads `io.stdin` must be listed here: the shell stops with an error naming it
 * when one that is not listed reads a pipe whose writer is still running.
 */
export const WHOLE_INPUT_COMMANDS: ReadonlySet<string> = new Set(['dmsetup', 'docker']);

/** Whether the command `name` runs streams its standard input or never reads it. */
export function streamsInput(lab: Lab, name: string): boolean {
  return !WHOLE_INPUT_COMMANDS.has(packagedProgram(lab.fs, name)?.name ?? name);
}

/** The status sh gives a command it cannot run. */
const NOT_RUNNABLE_STATUS = 127;

/** The VM's commands that the lab does not model: what the shell answers "not supported" for. */
export function knownElsewhere(registry: CommandRegistry): ReadonlySet<string> {
  return new Set([...VM_COMMANDS].filter((name) => !registry.has(name)));
}

/** What the lab prints for a command the VM has but the lab does not run: refused by name, never run in silence. */
export function notSupportedMessage(registry: CommandRegistry, name: string): string {
  const reason = Object.hasOwn(NOT_MODELLED_REASONS, name) ? ` (${NOT_MODELLED_REASONS[name]})` : '';
  return `thinlab: not modelled: ${name}${reason} (supported: ${[...registry.keys()].join(', ')}, and the shell's builtins)\n`;
}

/**
 * Runs `name` with the registry: null when neither the lab nor the VM has such a command (the
 * shell then prints `name: not found`). What runs beside the script (dmeventd, dockerd's deletion
 * worker) gets its turn when the command ends, and a command whose I/O went through a delay
 * (dm-delay, a slow commit) ends that much later on the clock.
 */
export function runCommand(
  registry: CommandRegistry,
  lab: Lab,
  name: string,
  args: readonly string[],
  io: CommandIo,
): Steps<number> | null {
  const program = packagedProgram(lab.fs, name);
  // A packaged program runs only while its file is there (`rm /usr/sbin/thin_check`: not found).
  if (program !== null && !program.present) return null;
  const handler = registry.get(program?.name ?? name) ?? stackOnlyThinTool(lab, name);
  let result: number | Steps<number>;
  if (handler !== undefined && isAppletHelp(name, args)) result = appletHelp(lab, name, io);
  else if (handler !== undefined) result = runGuarded(handler, lab, args, io);
  else if (knownElsewhere(registry).has(name) || name.includes('/')) {
    io.err(notSupportedMessage(registry, name));
    result = NOT_RUNNABLE_STATUS;
  } else return null;
  if (typeof result !== 'number') return thenBackgroundDaemons(lab, result);
  backgroundDaemons(lab);
  return lab.machine.ioDelayOwedMs > 0 ? waitingForIoDelay(lab.machine, finished(result)) : finished(result);
}

/**
 * `APPLET --help` and nothing else: busybox prints the applet's usage before the applet runs, and
 * exits 0 (appletlib.c, run_applet_no_and_exit), for every applet whose usage the lab keeps.
 */
function isAppletHelp(name: string, args: readonly string[]): boolean {
  return args.length === 1 && args[0] === '--help' && Object.hasOwn(BUSYBOX_USAGE, name);
}

function appletHelp(lab: Lab, name: string, io: CommandIo): number {
  io.err(`${busyboxBanner(lab.machine.stack)}${busyboxUsage(lab.machine.stack, name)}`);
  return 0;
}

/**
 * The thin tools only one stack has (1.1.0's thin_migrate, cache_check ... on debian13) are not in
 * the registry, so that debian12's lists of commands stay as they were; the machine's stack says
 * whether the name is a command there at all.
 */
function stackOnlyThinTool(lab: Lab, name: string): CommandHandler | undefined {
  if (!isStackOnlyThinTool(name, lab.machine.stack)) return undefined;
  return (l, args, io) => {
    const status = domainModule<ThinToolsDomain>('thin-tools').runThinTool(name, l, args, io);
    if (status === null)
      throw new InvariantViolation(`${name} is a thin tool of stack ${l.machine.stack} that did not run`);
    return status;
  };
}

/**
 * Whether `name` is a thin tool of the machine's stack that the registry does not list: one of
 * 1.1.0's own names on a stack whose tools are 1.1.0 (the tools' module says so, once loaded; the
 * names alone decide, so that a name that is no tool does not load the tools).
 */
function isStackOnlyThinTool(name: string, stack: StackId): boolean {
  if (!(THIN_TOOLS_1X_ONLY as readonly string[]).includes(name)) return false;
  return domainModule<ThinToolsDomain>('thin-tools').hasThinTool(name, stack);
}

/** Runs a handler; an expected failure (CommandFailed, PowerLoss) becomes its output and exit status. */
function runGuarded(handler: CommandHandler, lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  try {
    const result = handler(lab, [...args], io);
    return typeof result === 'number' ? result : guardedSteps(result, io);
  } catch (e) {
    return failureStatus(e, io);
  }
}

/**
 * A command that runs as a generator throws its expected failures once the shell runs it, after
 * runGuarded has returned: they are caught here too. Without it `xargs -x` (refused by name while
 * reading its options, inside its generator) escaped the shell as a JavaScript exception (issue
 * 17's shell campaign, seed 17 line 23843).
 */
function* guardedSteps(steps: Steps<number>, io: CommandIo): Steps<number> {
  try {
    return yield* steps;
  } catch (e) {
    return failureStatus(e, io);
  }
}

/** A command whose I/O went through a delay (dm-delay, a slow commit) ends that much later. */
export function* waitingForIoDelay(machine: Machine, steps: Steps<number>): Steps<number> {
  const status = yield* steps;
  const owed = machine.ioDelayOwedMs;
  machine.ioDelayOwedMs = 0;
  if (owed > 0) yield { kind: 'sleep', untilMs: machine.nowMs + owed };
  return status;
}

// biome-ignore lint/correctness/useYield: a command that never waits is still a Steps generator, which ends at once.
function* finished(status: number): Steps<number> {
  return status;
}

function* thenBackgroundDaemons(lab: Lab, steps: Steps<number>): Steps<number> {
  const status = yield* steps;
  backgroundDaemons(lab);
  return status;
}

/**
 * The domains a lab's state needs whatever commands run next: LVM's while it has a volume group
 * (dmeventd looks after every command, `thinlab at` shows the volumes), Docker's while dockerd
 * runs (its deletion worker). A replay loads these with those its events name.
 */
export function domainsForState(lab: Lab): DomainId[] {
  const out: DomainId[] = [];
  if (lab.lvm.vgs.length > 0) out.push('lvm');
  if (lab.docker.running) out.push('docker');
  return out;
}

/**
 * What runs beside the script when a command ends: dmeventd watching the LVM thin pools
 * (src/lvm/monitor.ts) and dockerd's deferred-deletion worker (src/docker/deviceset.ts).
 */
function backgroundDaemons(lab: Lab): void {
  // Without a volume group dmeventd has no pool to look at: it only notes the time of its look
  // (monitor.ts does the same when it finds no thin pool), and LVM's code need not be loaded.
  if (lab.lvm.vgs.length === 0) lab.lvm.monitorLastMs = lab.machine.nowMs;
  else domainModule<LvmDomain>('lvm').runMonitor(lab);
  // A stopped dockerd deletes nothing (deviceset.ts returns at once), so Docker's code is needed only while it runs.
  if (lab.docker.running) domainModule<DockerDomain>('docker').runDeletionWorker(lab);
}
