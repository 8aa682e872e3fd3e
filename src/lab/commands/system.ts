/**
 * The system around the devices: sync, sleep, dmesg, journalctl, rm, crash (the lab's power
 * loss), systemctl (which sends each unit to its daemon's domain) and `thinlab why`. Registered by
 * name in src/lab/commands.ts.
 */
import { isContainerdUnit } from '../../containerd/containerd-commands.js';
import { wipeDockerRoot } from '../../docker/daemon.js';
import { forgetDaemonMemory } from '../../docker/deviceset.js';
import { describeProvenance } from '../../docker/provenance.js';
import type { Steps } from '../../shell/wait.js';
import type { CommandIo } from '../../shell/io.js';
import type { Lab } from '../lab.js';
import type { CommandHandler } from '../registry.js';
import { BUSYBOX_BANNER } from '../loop-commands.js';
import { removePath } from '../vfs.js';
import { CONTAINERD_COMMANDS } from './containerd.js';
import { DOCKER_COMMANDS } from './docker.js';

export const SYSTEM_COMMANDS = {
  sync: () => 0,
  sleep,
  dmesg,
  rm,
  crash,
  journalctl,
  systemctl: (lab, args, io) =>
    (isContainerdUnit(args) ? CONTAINERD_COMMANDS.systemctl : DOCKER_COMMANDS.systemctl)(lab, args, io),
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

/** busybox 1.35's usage text for rm, printed when it is given nothing to remove. */
const RM_USAGE = `${BUSYBOX_BANNER}Usage: rm [-irf] FILE...\n\nRemove (unlink) FILEs\n\n\t-i\tAlways prompt before removing\n\t-f\tNever prompt\n\t-R,-r\tRecurse\n`;

/** busybox rm [-f] [-r] PATH...: a missing path is an error unless -f. */
function rm(lab: Lab, args: readonly string[], io: CommandIo): number {
  const flags = args.filter((a) => a.startsWith('-') && a !== '-').join('');
  const force = flags.includes('f');
  const recursive = flags.includes('r') || flags.includes('R');
  const paths = args.filter((a) => !a.startsWith('-') || a === '-');
  if (paths.length === 0 && !force) {
    io.err(RM_USAGE);
    return 1;
  }
  let status = 0;
  for (const p of paths) {
    if (DOCKER_ROOT.test(p)) continue;
    const failure = removePath(lab, p, recursive);
    if (failure === null || (force && failure !== 'Is a directory')) continue;
    io.err(`rm: can't remove '${p}': ${failure}\n`);
    status = 1;
  }
  if (args.some((a) => DOCKER_ROOT.test(a))) return wipeDockerRoot(lab.docker, io, lab.fs) || status;
  return status;
}

function crash(lab: Lab): number {
  lab.machine.crash();
  // The daemon dies with the machine: a start after the power loss runs its recovery.
  forgetDaemonMemory(lab.docker);
  return 0;
}

/** journalctl -u UNIT: what the background daemons logged (dmeventd: `dm-event`). */
function journalctl(lab: Lab, args: readonly string[], io: CommandIo): number {
  const unit = args[args.indexOf('-u') + 1];
  if (!args.includes('-u') || unit === undefined) {
    io.err('journalctl: the lab keeps only daemon logs: journalctl -u dm-event\n');
    return 1;
  }
  const lines =
    unit.startsWith('dm-event') || unit.startsWith('lvm2-monitor')
      ? lab.lvm.monitorLog
      : unit.startsWith('docker')
        ? lab.docker.log
        : unit.startsWith('containerd')
          ? lab.containerd.log
          : null;
  if (lines === null) {
    io.out('-- No entries --\n');
    return 0;
  }
  io.out(lines.length === 0 ? '-- No entries --\n' : lines.map((l) => `${l}\n`).join(''));
  return 0;
}

/** `thinlab why NAME` inside a script: the same explanation as the CLI's, at this point. */
function thinlab(lab: Lab, args: readonly string[], io: CommandIo): number {
  if (args[0] !== 'why' || args[1] === undefined) {
    io.err('thinlab: inside the lab shell only `thinlab why IMAGE|CONTAINER` runs\n');
    return 2;
  }
  const r = describeProvenance(lab.machine, lab.docker, args[1]);
  if (r.ok) io.out(r.text);
  else io.err(`${r.text}\n`);
  return r.ok ? 0 : 1;
}
