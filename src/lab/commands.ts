/**
 * Every command the lab runs, by name, and the module that runs it: to find where a command
 * runs, find its name here. The order is the order `help` and the shell's "not supported" message
 * list them in. Everything else that needs the lab's command names derives them from this map.
 */
import type { CommandIo } from '../shell/io.js';
import { CONTAINERD_COMMANDS } from './commands/containerd.js';
import { DEVICE_COMMANDS } from './commands/devices.js';
import { DOCKER_COMMANDS } from './commands/docker.js';
import { FAULT_COMMANDS } from './commands/faults.js';
import { FILE_COMMANDS } from './commands/files.js';
import { HOST_COMMANDS } from './commands/host.js';
import { LVM_COMMANDS } from './commands/lvm.js';
import { SYSTEM_COMMANDS } from './commands/system.js';
import { TEXT_COMMANDS } from './commands/text.js';
import { thinTool } from './commands/thin-tools.js';
import type { Lab } from './lab.js';
import { type CommandHandler, type CommandRegistry, knownElsewhere } from './registry.js';
import { xargs } from './xargs.js';

const table: Array<readonly [string, CommandHandler]> = [
  // Block devices and device-mapper: src/lab/commands/devices.ts
  ['dmsetup', DEVICE_COMMANDS.dmsetup],
  ['dd', DEVICE_COMMANDS.dd],
  ['blkdiscard', DEVICE_COMMANDS.blkdiscard],
  ['losetup', DEVICE_COMMANDS.losetup],
  ['truncate', DEVICE_COMMANDS.truncate],
  // The system: src/lab/commands/system.ts
  ['sync', SYSTEM_COMMANDS.sync],
  ['sleep', SYSTEM_COMMANDS.sleep],
  ['dmesg', SYSTEM_COMMANDS.dmesg],
  ['rm', SYSTEM_COMMANDS.rm],
  ['crash', SYSTEM_COMMANDS.crash],
  ['journalctl', SYSTEM_COMMANDS.journalctl],
  ['systemctl', SYSTEM_COMMANDS.systemctl],
  ['thinlab', SYSTEM_COMMANDS.thinlab],
  ['help', help],
  // The host: src/lab/commands/host.ts -> src/lab/host/
  ['lsmod', HOST_COMMANDS.lsmod],
  ['insmod', HOST_COMMANDS.insmod],
  ['rmmod', HOST_COMMANDS.rmmod],
  ['modprobe', HOST_COMMANDS.modprobe],
  ['blockdev', HOST_COMMANDS.blockdev],
  ['reboot', HOST_COMMANDS.reboot],
  ['boot', HOST_COMMANDS.boot],
  ['apt-get', HOST_COMMANDS['apt-get']],
  ['df', HOST_COMMANDS.df],
  ['lsblk', HOST_COMMANDS.lsblk],
  ['uname', HOST_COMMANDS.uname],
  // Text tools: src/lab/commands/text.ts
  ['cat', TEXT_COMMANDS.cat],
  ['md5sum', TEXT_COMMANDS.md5sum],
  ['od', TEXT_COMMANDS.od],
  ['head', TEXT_COMMANDS.head],
  ['tail', TEXT_COMMANDS.tail],
  ['grep', TEXT_COMMANDS.grep],
  ['sed', TEXT_COMMANDS.sed],
  ['wc', TEXT_COMMANDS.wc],
  ['tr', TEXT_COMMANDS.tr],
  ['cut', TEXT_COMMANDS.cut],
  ['sort', TEXT_COMMANDS.sort],
  ['seq', TEXT_COMMANDS.seq],
  ['yes', TEXT_COMMANDS.yes],
  // Files and time: src/lab/commands/files.ts; xargs runs the registry's commands: src/lab/xargs.ts
  ['ls', FILE_COMMANDS.ls],
  ['stat', FILE_COMMANDS.stat],
  ['date', FILE_COMMANDS.date],
  ['awk', FILE_COMMANDS.awk],
  ['xargs', (lab, args, io) => xargs(lab, args, io, COMMANDS)],
  // Faults: src/lab/commands/faults.ts
  ['fault', FAULT_COMMANDS.fault],
  // thin-provisioning-tools: src/lab/commands/thin-tools.ts -> src/tools/
  ['thin_check', thinTool('thin_check')],
  ['thin_dump', thinTool('thin_dump')],
  ['thin_restore', thinTool('thin_restore')],
  ['thin_repair', thinTool('thin_repair')],
  ['thin_ls', thinTool('thin_ls')],
  ['thin_delta', thinTool('thin_delta')],
  ['thin_rmap', thinTool('thin_rmap')],
  ['thin_trim', thinTool('thin_trim')],
  ['thin_metadata_size', thinTool('thin_metadata_size')],
  // LVM2: src/lab/commands/lvm.ts -> src/lvm/lvm-workflows.ts (src/lvm/lvm-commands.ts and the repair workflows)
  ['pvcreate', LVM_COMMANDS.pvcreate],
  ['vgcreate', LVM_COMMANDS.vgcreate],
  ['vgextend', LVM_COMMANDS.vgextend],
  ['vgchange', LVM_COMMANDS.vgchange],
  ['vgremove', LVM_COMMANDS.vgremove],
  ['lvcreate', LVM_COMMANDS.lvcreate],
  ['lvconvert', LVM_COMMANDS.lvconvert],
  ['lvextend', LVM_COMMANDS.lvextend],
  ['lvresize', LVM_COMMANDS.lvresize],
  ['lvchange', LVM_COMMANDS.lvchange],
  ['lvremove', LVM_COMMANDS.lvremove],
  ['lvs', LVM_COMMANDS.lvs],
  ['vgs', LVM_COMMANDS.vgs],
  ['pvs', LVM_COMMANDS.pvs],
  ['lvrename', LVM_COMMANDS.lvrename],
  ['vgrename', LVM_COMMANDS.vgrename],
  ['vgcfgbackup', LVM_COMMANDS.vgcfgbackup],
  ['vgcfgrestore', LVM_COMMANDS.vgcfgrestore],
  // Docker: src/lab/commands/docker.ts -> src/docker/docker-commands.ts
  ['docker', DOCKER_COMMANDS.docker],
  ['dockerd', DOCKER_COMMANDS.dockerd],
  ['docker-fault', DOCKER_COMMANDS['docker-fault']],
  // containerd: src/lab/commands/containerd.ts -> src/containerd/containerd-commands.ts
  ['containerd', CONTAINERD_COMMANDS.containerd],
  ['ctr', CONTAINERD_COMMANDS.ctr],
  ['nerdctl', CONTAINERD_COMMANDS.nerdctl],
  ['containerd-devices', CONTAINERD_COMMANDS['containerd-devices']],
  ['containerd-fault', CONTAINERD_COMMANDS['containerd-fault']],
];

export const COMMANDS: CommandRegistry = new Map(table);

/** The VM's commands the lab does not model (busybox applets it has no use for). */
export const KNOWN_ELSEWHERE: ReadonlySet<string> = knownElsewhere(COMMANDS);

/** `help`: the lab's commands, as busybox ash's help lists its builtins (eight to a line). */
function help(_lab: Lab, _args: readonly string[], io: CommandIo): number {
  const names = [...COMMANDS.keys()];
  let text = "Lab commands (besides the shell's builtins):\n------------------\n";
  for (let i = 0; i < names.length; i += 8) text += `\t${names.slice(i, i + 8).join(' ')}\n`;
  io.out(text);
  return 0;
}
