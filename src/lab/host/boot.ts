/**
 * Shutdown and boot of the lab's host, in the order a Debian 12 host with systemd does them, so
 * that "the pool did not come back after a reboot" can be rehearsed:
 *
 * 1. shutdown (`reboot` only; `crash` loses power instead): systemd stops docker.service, then
 *    containerd.service, and the device-mapper devices are taken down (a pool commits its
 *    metadata as it goes), then the power goes;
 * 2. the kernel starts and loads the modules the oracle VM loads, in its order, skipping one whose
 *    file is missing or that a `blacklist NAME` line under /etc/modprobe.d names
 *    (systemd-modules-load applies kmod's blacklist); devtmpfs makes every device node again;
 * 3. LVM auto-activates every volume group (`vgchange -aay`), which runs thin_check on each thin
 *    pool's metadata first and leaves a pool inactive when the check fails;
 * 4. systemd starts the enabled units, containerd before docker (docker.service is
 *    After=containerd.service), with their journal lines.
 *
 * Everything runs on the simulated clock and is deterministic; the boot is one recorded command.
 */
import { containerdSystemctl } from '../../containerd/containerd-commands.js';
import { stopDaemon } from '../../docker/daemon.js';
import { forgetDaemonMemory } from '../../docker/deviceset.js';
import { runLvmCommand } from '../../lvm/lvm-commands.js';
import { latin1Text } from '../../shared/bytes.js';
import type { CommandIo } from '../../shell/io.js';
import { failureStatus } from '../command-errors.js';
import { ctrdContext } from '../commands/containerd.js';
import { DOCKER_COMMANDS, daemonContext } from '../commands/docker.js';
import { type Lab, SCRIPT_START_MS } from '../lab.js';
import { bootModuleOrder, kernelModule, loadModule, moduleFile, syncTargetTypes } from './kernel-modules.js';

/** The systemd units the lab runs, in boot order, with their descriptions (Debian 12's unit files). */
export const UNITS: ReadonlyArray<readonly [string, string]> = [
  ['containerd', 'containerd container runtime'],
  ['docker', 'Docker Application Container Engine'],
];

/** The pid systemd-modules-load has in the lab's journal (deterministic, like everything else). */
const MODULES_LOAD_PID = 212;

function journal(lab: Lab, unit: string, text: string): void {
  lab.host.journal.push({ unit, text });
  // A daemon's unit lines go to its own log too, where `journalctl -u UNIT` reads them.
  if (unit === 'docker') lab.docker.log.push(text);
  if (unit === 'containerd') lab.containerd.log.push(text);
}

function capture(): { io: CommandIo; lines: () => string[] } {
  let text = '';
  const io: CommandIo = {
    stdin: new Uint8Array(0),
    out: (b) => {
      text += typeof b === 'string' ? b : latin1Text(b);
    },
    err: (t) => {
      text += t;
    },
  };
  return { io, lines: () => text.split('\n').filter((l) => l !== '') };
}

/** `reboot`: a clean shutdown, then a boot. */
export function reboot(lab: Lab): void {
  shutdown(lab);
  lab.machine.crash();
  bootHost(lab);
}

/** systemd's shutdown: docker, then containerd, then every device-mapper device, top ones first. */
function shutdown(lab: Lab): void {
  if (lab.docker.running) {
    journal(lab, 'docker', 'systemd[1]: Stopping docker.service - Docker Application Container Engine...');
    stopDaemon(daemonContext(lab));
    journal(lab, 'docker', 'systemd[1]: Stopped docker.service - Docker Application Container Engine.');
  }
  forgetDaemonMemory(lab.docker);
  if (lab.containerd.running) {
    journal(lab, 'containerd', 'systemd[1]: Stopping containerd.service - containerd container runtime...');
    containerdSystemctl(ctrdContext(lab), ['stop', 'containerd'], capture().io);
    journal(lab, 'containerd', 'systemd[1]: Stopped containerd.service - containerd container runtime.');
  }
  // systemd-shutdown detaches the device-mapper devices: those nobody holds open first, until none is left.
  for (let removed = true; removed; ) {
    removed = false;
    for (const dev of lab.machine.deviceList()) {
      if (dev.openCount === 0 && lab.machine.remove(dev).ok) removed = true;
    }
  }
}

/** The boot after a power loss or a shutdown: kernel, modules, device nodes, LVM, systemd units. */
export function bootHost(lab: Lab): void {
  const host = lab.host;
  host.boots++;
  host.crashed = false;
  lab.docker.running = false;
  lab.containerd.running = false;
  const m = lab.machine;
  // The kernel log starts again, with the lines the VM's kernel logs while it boots.
  m.kernelLog.length = 0;
  const bootMs = m.nowMs;
  for (const [ms, text] of m.kernel.bootLog) m.kernelLog.push({ timeMs: bootMs + ms, text });
  m.advance(SCRIPT_START_MS);
  host.removedNodes = [];
  loadBootModules(lab);
  autoActivateLvm(lab);
  startUnits(lab);
}

/** blacklist NAME (and `install NAME /bin/false`) lines of /etc/modprobe.d/*.conf. */
function blacklistedModules(lab: Lab): Set<string> {
  const names = new Set<string>();
  for (const path of lab.fs.list('/etc/modprobe.d/')) {
    if (!path.endsWith('.conf')) continue;
    const f = lab.fs.get(path)!;
    for (const line of latin1Text(f.readBytes(0, f.sizeBytes)).split('\n')) {
      const m = /^\s*(?:blacklist\s+(\S+)|install\s+(\S+)\s+\/bin\/(?:false|true))\s*$/.exec(line);
      if (m !== null) names.add((m[1] ?? m[2]!).replace(/-/g, '_'));
    }
  }
  return names;
}

function loadBootModules(lab: Lab): void {
  const host = lab.host;
  host.modules = [];
  const blacklisted = blacklistedModules(lab);
  const unit = 'systemd-modules-load';
  for (const name of bootModuleOrder()) {
    const module = kernelModule(name)!;
    if (blacklisted.has(name)) {
      journal(lab, unit, `systemd-modules-load[${MODULES_LOAD_PID}]: Module '${name}' is deny-listed (by kmod)`);
    } else if (lab.fs.get(moduleFile(module)) === undefined) {
      journal(lab, unit, `systemd-modules-load[${MODULES_LOAD_PID}]: Failed to find module '${name}'`);
    } else if (loadModule(lab.machine, host, module) !== 0) {
      journal(
        lab,
        unit,
        `systemd-modules-load[${MODULES_LOAD_PID}]: Failed to insert module '${name}': Unknown symbol in module, or unknown parameter (see dmesg)`,
      );
    }
  }
  syncTargetTypes(lab.machine, host);
}

/** udev's LVM rule activates each volume group as it appears: `vgchange -aay VG`, logged under lvm-activate-VG. */
function autoActivateLvm(lab: Lab): void {
  for (const vg of lab.lvm.vgs) for (const lv of vg.lvs) lv.active = false;
  for (const vg of lab.lvm.vgs) {
    const unit = `lvm-activate-${vg.name}`;
    const out = capture();
    const status = runLvmCommand(lab, 'vgchange', ['-aay', vg.name], out.io);
    for (const line of out.lines()) journal(lab, unit, `lvm[${300 + lab.lvm.vgs.indexOf(vg)}]: ${line}`);
    if (status !== 0)
      journal(
        lab,
        unit,
        `systemd[1]: ${unit}.service: Main process exited, code=exited, status=${status}/NOTINSTALLED`,
      );
  }
}

function startUnits(lab: Lab): void {
  for (const [unit, description] of UNITS) {
    if (!lab.host.enabledUnits.includes(unit)) continue;
    journal(lab, unit, `systemd[1]: Starting ${unit}.service - ${description}...`);
    const out = capture();
    let status: number;
    try {
      status =
        unit === 'docker'
          ? DOCKER_COMMANDS.systemctl(lab, ['start', unit], out.io)
          : containerdSystemctl(ctrdContext(lab), ['start', unit], out.io);
    } catch (e) {
      // A configuration the lab does not model: the unit fails, and the journal says why.
      status = failureStatus(e, out.io);
      for (const line of out.lines()) journal(lab, unit, line);
    }
    if (status === 0) {
      journal(lab, unit, `systemd[1]: Started ${unit}.service - ${description}.`);
      continue;
    }
    journal(lab, unit, `systemd[1]: ${unit}.service: Main process exited, code=exited, status=1/FAILURE`);
    journal(lab, unit, `systemd[1]: ${unit}.service: Failed with result 'exit-code'.`);
    journal(lab, unit, `systemd[1]: Failed to start ${unit}.service - ${description}.`);
  }
}
