/**
 * The system around the devices: sync, sleep, dmesg, journalctl, rm, crash (the lab's power
 * loss), systemctl (which sends each unit to its daemon's domain) and `thinlab why`. Registered by
 * name in src/lab/commands.ts.
 */
import type { CommandIo } from '../../shell/io.js';
import type { Steps } from '../../shell/wait.js';
import { NOT_MODELLED_STATUS, notModelled } from '../command-errors.js';
import type { Lab } from '../lab.js';
import { busyboxArgs } from '../busybox-options.js';
import { busyboxBanner } from '../busybox-banner.js';
import type { CommandHandler } from '../registry.js';
import { removePath } from '../vfs.js';
import { domainModule } from '../domains.js';
import type * as ContainerdDomain from './containerd.js';
import type * as DockerDomain from './docker.js';

// Docker's and containerd's code is reached through their domains (src/lab/domains.ts), so that a
// history that only sleeps, syncs and reads dmesg does not load them; a command here that needs
// them (rm of their directories, crash, systemctl, thinlab why) has them loaded by then.
const docker = () => domainModule<typeof DockerDomain>('docker');
const containerd = () => domainModule<typeof ContainerdDomain>('containerd');

export const SYSTEM_COMMANDS = {
  sync: () => 0,
  sleep,
  dmesg,
  rm,
  crash,
  journalctl,
  systemctl,
  thinlab,
} satisfies Record<string, CommandHandler>;

/** sleep SECONDS: waits on the simulated clock (a background job is parked meanwhile). */
function* sleep(lab: Lab, args: readonly string[], io: CommandIo): Steps<number> {
  const seconds = Number(args[0]);
  if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0) {
    io.err(`sleep: invalid number '${args[0] ?? ''}'\n`);
    return 1;
  }
  yield { kind: 'sleep', untilMs: lab.machine.nowMs + Math.round(seconds * 1000) };
  return 0;
}

function dmesg(lab: Lab, args: readonly string[], io: CommandIo): number {
  const clear = args.includes('-c') || args.includes('-C');
  const print = !args.includes('-C');
  const unknown = args.find((a) => !['-c', '-C'].includes(a));
  if (unknown !== undefined) {
    io.err(`dmesg: unrecognized option '${unknown}' (the lab supports -c and -C)\n`);
    return 1;
  }
  if (print) {
    let text = '';
    for (const { timeMs, text: line } of lab.machine.kernelLog) {
      const s = Math.floor(timeMs / 1000);
      const us = (timeMs % 1000) * 1000;
      text += `[${String(s).padStart(5, ' ')}.${String(us).padStart(6, '0')}] ${line}\n`;
    }
    io.out(text);
  }
  if (clear) lab.machine.kernelLog.length = 0;
  return 0;
}

/** Docker's files live in the lab's Docker state: removing /var/lib/docker (or all in it) wipes them. */
const DOCKER_ROOT = /^\/var\/lib\/docker(\/|\/\*)?$/;

/** busybox's usage text for rm (after its banner), printed when it is given nothing to remove. */
const RM_USAGE = `Usage: rm [-irf] FILE...\n\nRemove (unlink) FILEs\n\n\t-i\tAlways prompt before removing\n\t-f\tNever prompt\n\t-R,-r\tRecurse\n`;

/**
 * busybox rm [-f] [-r] PATH...: a missing path is an error unless -f. Docker's and containerd's
 * directories hold their state: removing them deletes it (src/docker, src/containerd); a path the
 * lab keeps no state for is refused by name.
 */
function rm(lab: Lab, args: readonly string[], io: CommandIo): number {
  // -i prompts on the terminal the lab does not have: refused by name, not removed without asking.
  const parsed = busyboxArgs(lab.machine.stack, 'rm', args, 'frR', 'i');
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  const force = parsed.flags.has('f');
  const recursive = parsed.flags.has('r') || parsed.flags.has('R');
  const paths = parsed.operands;
  if (paths.length === 0 && !force) {
    io.err(busyboxBanner(lab.machine.stack) + RM_USAGE);
    return 1;
  }
  let status = 0;
  for (const p of paths) {
    if (DOCKER_ROOT.test(p)) continue;
    const ctrd = containerd().removeContainerdState(containerd().ctrdContext(lab), p);
    if (ctrd === 'not modelled') {
      io.err(
        `thinlab: not modelled: removing ${p} (the lab keeps containerd's state as /var/lib/containerd and the snapshotter's root_path)\n`,
      );
      status = NOT_MODELLED_STATUS;
      continue;
    }
    if (ctrd !== null && !recursive) {
      io.err(`rm: can't remove '${p}': Is a directory\n`);
      status = 1;
      continue;
    }
    if (ctrd !== null) continue;
    const failure = removePath(lab, p, recursive);
    if (failure === null || (force && failure === 'No such file or directory')) continue;
    if (failure.startsWith('thinlab:')) {
      io.err(`${failure}\n`);
      status = NOT_MODELLED_STATUS;
      continue;
    }
    io.err(`rm: can't remove '${p}': ${failure}\n`);
    status = status || 1;
  }
  if (args.some((a) => DOCKER_ROOT.test(a))) return docker().wipeDockerRoot(lab.docker, io, lab.fs) || status;
  return status;
}

function crash(lab: Lab, args: readonly string[]): number {
  if (args.length > 0)
    throw notModelled(`crash ${args.join(' ')} (the lab's crash takes no arguments: power is lost at once)`);
  lab.machine.crash();
  // The host is down until `boot` (src/lab/host/boot.ts) brings it up the way systemd does.
  lab.host.crashed = true;
  lab.containerd.running = false;
  // The daemon dies with the machine: a start after the power loss runs its recovery.
  docker().forgetDaemonMemory(lab.docker);
  return 0;
}

/**
 * systemctl VERB UNIT: docker's and containerd's units go to their domains. A unit that was
 * started is enabled (Debian's packages enable theirs), and `enable`/`disable` say it outright:
 * the boot (src/lab/host/boot.ts) starts the enabled ones.
 */
function systemctl(lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  const [verb, unitArg] = args;
  const unit = (unitArg ?? '').replace(/\.service$/, '');
  const known = unit === 'docker' || unit === 'containerd';
  if ((verb === 'enable' || verb === 'disable') && known) {
    const enabled = lab.host.enabledUnits.filter((u) => u !== unit);
    lab.host.enabledUnits = verb === 'enable' ? [...enabled, unit] : enabled;
    return 0;
  }
  if ((verb === 'start' || verb === 'restart') && known && !lab.host.enabledUnits.includes(unit))
    lab.host.enabledUnits.push(unit);
  return (containerd().isContainerdUnit(args) ? containerd().CONTAINERD_COMMANDS : docker().DOCKER_COMMANDS).systemctl(
    lab,
    args,
    io,
  );
}

/** The lines a unit logged: the daemons' own logs, dmeventd's, and the boots' journal for the rest. */
function unitLines(lab: Lab, unit: string): readonly string[] {
  if (unit.startsWith('dm-event') || unit.startsWith('lvm2-monitor')) return lab.lvm.monitorLog;
  if (unit.startsWith('docker')) return lab.docker.log;
  if (unit.startsWith('containerd')) return lab.containerd.log;
  const name = unit.replace(/\.service$/, '');
  return lab.host.journal.filter((e) => e.unit === name).map((e) => e.text);
}

/** journalctl -u UNIT: what a unit logged; journalctl -b: the boots' journal. */
function journalctl(lab: Lab, args: readonly string[], io: CommandIo): number {
  if (args.length === 1 && args[0] === '-b') {
    const lines = lab.host.journal.map((e) => e.text);
    io.out(lines.length === 0 ? '-- No entries --\n' : lines.map((l) => `${l}\n`).join(''));
    return 0;
  }
  const unit = args[args.indexOf('-u') + 1];
  if (!args.includes('-u') || unit === undefined || args.length !== 2) {
    io.err(`thinlab: not modelled: journalctl ${args.join(' ')} (the lab runs journalctl -u UNIT and journalctl -b)\n`);
    return 2;
  }
  const lines = unitLines(lab, unit);
  io.out(lines.length === 0 ? '-- No entries --\n' : lines.map((l) => `${l}\n`).join(''));
  return 0;
}

/** `thinlab why NAME` inside a script: the same explanation as the CLI's, at this point. */
function thinlab(lab: Lab, args: readonly string[], io: CommandIo): number {
  if (args[0] !== 'why' || args[1] === undefined) {
    io.err('thinlab: inside the lab shell only `thinlab why IMAGE|CONTAINER` runs\n');
    return 2;
  }
  const r = docker().describeProvenance(lab.machine, lab.docker, args[1]);
  if (r.ok) io.out(r.text);
  else io.err(`${r.text}\n`);
  return r.ok ? 0 : 1;
}
