/**
 * Every command the lab runs, by name, and the module that runs it: to find where a command
 * runs, find its name here. The order is the order `help` and the shell's "not supported" message
 * list them in. Everything else that needs the lab's command names derives them from this map.
 */
import { THIN_TOOLS_1X_ONLY } from '../shared/thin-tool-names.js';
import type { CommandIo } from '../shell/io.js';
import { DEVICE_COMMANDS } from './commands/devices.js';
import { type DomainId, domainModule, isDomainLoaded, provideDomain } from './domains.js';
import type { Lab } from './lab.js';
import { type CommandHandler, type CommandRegistry, knownElsewhere } from './registry.js';

/**
 * Each lazily loaded domain's registration module (src/lab/domains.ts): the devices (dmsetup, dd,
 * losetup ...) and help are always here; everything else is loaded by `loadDomains`.
 */
const LOADERS = {
  system: () => import('./commands/system.js'),
  host: () => import('./commands/host.js'),
  text: () => import('./commands/text.js'),
  files: () => import('./commands/files.js'),
  faults: () => import('./commands/faults.js'),
  'thin-tools': () => import('./commands/thin-tools.js'),
  lvm: () => import('./commands/lvm.js'),
  docker: () => import('./commands/docker.js'),
  containerd: () => import('./commands/containerd.js'),
} as const satisfies Record<DomainId, () => Promise<unknown>>;

type DomainModules = { [K in DomainId]: Awaited<ReturnType<(typeof LOADERS)[K]>> };

/** Loads the domains named (one already loaded costs nothing). */
export async function loadDomains(ids: Iterable<DomainId>): Promise<void> {
  const wanted = [...new Set(ids)].filter((id) => !isDomainLoaded(id));
  const modules = await Promise.all(wanted.map((id) => LOADERS[id]()));
  for (const [i, id] of wanted.entries()) provideDomain(id, modules[i]);
}

/** Hands the registry every domain's module at once, loaded by the caller (src/lab/all-domains.ts). */
export function provideDomains(modules: DomainModules): void {
  for (const id of Object.keys(modules) as DomainId[]) if (!isDomainLoaded(id)) provideDomain(id, modules[id]);
}

/**
 * A handler of a lazily loaded domain: it finds its domain's module when it runs, so that the
 * registry names every command without loading any domain.
 */
function lazy<K extends DomainId>(domain: K, pick: (m: DomainModules[K]) => CommandHandler): CommandHandler {
  const handler: CommandHandler = (lab, args, io) => pick(domainModule<DomainModules[K]>(domain))(lab, args, io);
  DOMAIN_OF_HANDLER.set(handler, domain);
  return handler;
}
const DOMAIN_OF_HANDLER = new Map<CommandHandler, DomainId>();

const table: Array<readonly [string, CommandHandler]> = [
  // Block devices and device-mapper: src/lab/commands/devices.ts
  ['dmsetup', DEVICE_COMMANDS.dmsetup],
  ['dd', DEVICE_COMMANDS.dd],
  ['blkdiscard', DEVICE_COMMANDS.blkdiscard],
  ['losetup', DEVICE_COMMANDS.losetup],
  ['truncate', DEVICE_COMMANDS.truncate],
  // The system: src/lab/commands/system.ts
  ['sync', lazy('system', (m) => m.SYSTEM_COMMANDS.sync)],
  ['sleep', lazy('system', (m) => m.SYSTEM_COMMANDS.sleep)],
  ['dmesg', lazy('system', (m) => m.SYSTEM_COMMANDS.dmesg)],
  ['rm', lazy('system', (m) => m.SYSTEM_COMMANDS.rm)],
  ['crash', lazy('system', (m) => m.SYSTEM_COMMANDS.crash)],
  ['journalctl', lazy('system', (m) => m.SYSTEM_COMMANDS.journalctl)],
  ['systemctl', lazy('system', (m) => m.SYSTEM_COMMANDS.systemctl)],
  ['thinlab', lazy('system', (m) => m.SYSTEM_COMMANDS.thinlab)],
  ['help', help],
  // The host: src/lab/commands/host.ts -> src/lab/host/
  ['lsmod', lazy('host', (m) => m.HOST_COMMANDS.lsmod)],
  ['insmod', lazy('host', (m) => m.HOST_COMMANDS.insmod)],
  ['rmmod', lazy('host', (m) => m.HOST_COMMANDS.rmmod)],
  ['modprobe', lazy('host', (m) => m.HOST_COMMANDS.modprobe)],
  ['blockdev', lazy('host', (m) => m.HOST_COMMANDS.blockdev)],
  ['reboot', lazy('host', (m) => m.HOST_COMMANDS.reboot)],
  ['boot', lazy('host', (m) => m.HOST_COMMANDS.boot)],
  ['apt-get', lazy('host', (m) => m.HOST_COMMANDS['apt-get'])],
  ['df', lazy('host', (m) => m.HOST_COMMANDS.df)],
  ['lsblk', lazy('host', (m) => m.HOST_COMMANDS.lsblk)],
  ['uname', lazy('host', (m) => m.HOST_COMMANDS.uname)],
  // Text tools: src/lab/commands/text.ts
  ['cat', lazy('text', (m) => m.TEXT_COMMANDS.cat)],
  ['md5sum', lazy('text', (m) => m.TEXT_COMMANDS.md5sum)],
  ['od', lazy('text', (m) => m.TEXT_COMMANDS.od)],
  ['head', lazy('text', (m) => m.TEXT_COMMANDS.head)],
  ['tail', lazy('text', (m) => m.TEXT_COMMANDS.tail)],
  ['grep', lazy('text', (m) => m.TEXT_COMMANDS.grep)],
  ['sed', lazy('text', (m) => m.TEXT_COMMANDS.sed)],
  ['wc', lazy('text', (m) => m.TEXT_COMMANDS.wc)],
  ['tr', lazy('text', (m) => m.TEXT_COMMANDS.tr)],
  ['cut', lazy('text', (m) => m.TEXT_COMMANDS.cut)],
  ['sort', lazy('text', (m) => m.TEXT_COMMANDS.sort)],
  ['uniq', lazy('text', (m) => m.TEXT_COMMANDS.uniq)],
  ['tee', lazy('text', (m) => m.TEXT_COMMANDS.tee)],
  ['basename', lazy('text', (m) => m.TEXT_COMMANDS.basename)],
  ['dirname', lazy('text', (m) => m.TEXT_COMMANDS.dirname)],
  ['nproc', lazy('text', (m) => m.TEXT_COMMANDS.nproc)],
  ['seq', lazy('text', (m) => m.TEXT_COMMANDS.seq)],
  ['yes', lazy('text', (m) => m.TEXT_COMMANDS.yes)],
  ['expr', lazy('text', (m) => m.TEXT_COMMANDS.expr)],
  ['tac', lazy('text', (m) => m.TEXT_COMMANDS.tac)],
  ['rev', lazy('text', (m) => m.TEXT_COMMANDS.rev)],
  ['fold', lazy('text', (m) => m.TEXT_COMMANDS.fold)],
  ['base64', lazy('text', (m) => m.TEXT_COMMANDS.base64)],
  // Files and time: src/lab/commands/files.ts; xargs runs the registry's commands: src/lab/xargs.ts
  ['ls', lazy('files', (m) => m.FILE_COMMANDS.ls)],
  ['stat', lazy('files', (m) => m.FILE_COMMANDS.stat)],
  ['date', lazy('files', (m) => m.FILE_COMMANDS.date)],
  ['awk', lazy('files', (m) => m.FILE_COMMANDS.awk)],
  ['xargs', lazy('files', (m) => (lab, args, io) => m.xargs(lab, args, io, COMMANDS))],
  ['env', lazy('files', (m) => (lab, args, io) => m.env(lab, args, io, COMMANDS))],
  ['which', lazy('files', (m) => (lab, args, io) => m.which(lab, args, io, COMMANDS))],
  ['mkdir', lazy('files', (m) => m.FILE_COMMANDS.mkdir)],
  ['rmdir', lazy('files', (m) => m.FILE_COMMANDS.rmdir)],
  ['touch', lazy('files', (m) => m.FILE_COMMANDS.touch)],
  ['mv', lazy('files', (m) => m.FILE_COMMANDS.mv)],
  ['cp', lazy('files', (m) => m.FILE_COMMANDS.cp)],
  ['sha1sum', lazy('files', (m) => m.FILE_COMMANDS.sha1sum)],
  ['sha256sum', lazy('files', (m) => m.FILE_COMMANDS.sha256sum)],
  ['sha512sum', lazy('files', (m) => m.FILE_COMMANDS.sha512sum)],
  ['cmp', lazy('files', (m) => m.FILE_COMMANDS.cmp)],
  ['diff', lazy('files', (m) => m.FILE_COMMANDS.diff)],
  ['readlink', lazy('files', (m) => m.FILE_COMMANDS.readlink)],
  ['realpath', lazy('files', (m) => m.FILE_COMMANDS.realpath)],
  ['hexdump', lazy('files', (m) => m.FILE_COMMANDS.hexdump)],
  ['xxd', lazy('files', (m) => m.FILE_COMMANDS.xxd)],
  // Faults: src/lab/commands/faults.ts
  ['fault', lazy('faults', (m) => m.FAULT_COMMANDS.fault)],
  // thin-provisioning-tools: src/lab/commands/thin-tools.ts -> src/tools/
  ['thin_check', lazy('thin-tools', (m) => m.thinTool('thin_check'))],
  ['thin_dump', lazy('thin-tools', (m) => m.thinTool('thin_dump'))],
  ['thin_restore', lazy('thin-tools', (m) => m.thinTool('thin_restore'))],
  ['thin_repair', lazy('thin-tools', (m) => m.thinTool('thin_repair'))],
  ['thin_ls', lazy('thin-tools', (m) => m.thinTool('thin_ls'))],
  ['thin_delta', lazy('thin-tools', (m) => m.thinTool('thin_delta'))],
  ['thin_rmap', lazy('thin-tools', (m) => m.thinTool('thin_rmap'))],
  ['thin_trim', lazy('thin-tools', (m) => m.thinTool('thin_trim'))],
  ['thin_metadata_size', lazy('thin-tools', (m) => m.thinTool('thin_metadata_size'))],
  ['pdata_tools', lazy('thin-tools', (m) => m.pdataTools)],
  // LVM2: src/lab/commands/lvm.ts -> src/lvm/lvm-workflows.ts (src/lvm/lvm-commands.ts and the repair workflows)
  ['pvcreate', lazy('lvm', (m) => m.LVM_COMMANDS.pvcreate)],
  ['vgcreate', lazy('lvm', (m) => m.LVM_COMMANDS.vgcreate)],
  ['vgextend', lazy('lvm', (m) => m.LVM_COMMANDS.vgextend)],
  ['vgchange', lazy('lvm', (m) => m.LVM_COMMANDS.vgchange)],
  ['vgremove', lazy('lvm', (m) => m.LVM_COMMANDS.vgremove)],
  ['lvcreate', lazy('lvm', (m) => m.LVM_COMMANDS.lvcreate)],
  ['lvconvert', lazy('lvm', (m) => m.LVM_COMMANDS.lvconvert)],
  ['lvextend', lazy('lvm', (m) => m.LVM_COMMANDS.lvextend)],
  ['lvresize', lazy('lvm', (m) => m.LVM_COMMANDS.lvresize)],
  ['lvchange', lazy('lvm', (m) => m.LVM_COMMANDS.lvchange)],
  ['lvremove', lazy('lvm', (m) => m.LVM_COMMANDS.lvremove)],
  ['lvs', lazy('lvm', (m) => m.LVM_COMMANDS.lvs)],
  ['vgs', lazy('lvm', (m) => m.LVM_COMMANDS.vgs)],
  ['pvs', lazy('lvm', (m) => m.LVM_COMMANDS.pvs)],
  ['lvrename', lazy('lvm', (m) => m.LVM_COMMANDS.lvrename)],
  ['vgrename', lazy('lvm', (m) => m.LVM_COMMANDS.vgrename)],
  ['vgcfgbackup', lazy('lvm', (m) => m.LVM_COMMANDS.vgcfgbackup)],
  ['vgcfgrestore', lazy('lvm', (m) => m.LVM_COMMANDS.vgcfgrestore)],
  ['lvdisplay', lazy('lvm', (m) => m.LVM_COMMANDS.lvdisplay)],
  ['vgdisplay', lazy('lvm', (m) => m.LVM_COMMANDS.vgdisplay)],
  ['pvdisplay', lazy('lvm', (m) => m.LVM_COMMANDS.pvdisplay)],
  ['lvm', lazy('lvm', (m) => m.lvmCommand)],
  ['pvremove', lazy('lvm', (m) => m.LVM_COMMANDS.pvremove)],
  ['vgreduce', lazy('lvm', (m) => m.LVM_COMMANDS.vgreduce)],
  ['lvreduce', lazy('lvm', (m) => m.LVM_COMMANDS.lvreduce)],
  // Docker: src/lab/commands/docker.ts -> src/docker/docker-commands.ts
  ['docker', lazy('docker', (m) => m.DOCKER_COMMANDS.docker)],
  ['dockerd', lazy('docker', (m) => m.DOCKER_COMMANDS.dockerd)],
  ['docker-fault', lazy('docker', (m) => m.DOCKER_COMMANDS['docker-fault'])],
  // containerd: src/lab/commands/containerd.ts -> src/containerd/containerd-commands.ts
  ['containerd', lazy('containerd', (m) => m.CONTAINERD_COMMANDS.containerd)],
  ['ctr', lazy('containerd', (m) => m.CONTAINERD_COMMANDS.ctr)],
  ['nerdctl', lazy('containerd', (m) => m.CONTAINERD_COMMANDS.nerdctl)],
  ['containerd-devices', lazy('containerd', (m) => m.CONTAINERD_COMMANDS['containerd-devices'])],
  ['containerd-fault', lazy('containerd', (m) => m.CONTAINERD_COMMANDS['containerd-fault'])],
];

export const COMMANDS: CommandRegistry = new Map(table);

/**
 * The domain of each command that is not always loaded, by name, with the thin tools only one
 * stack has (the registry runs those by the machine's stack, src/lab/registry.ts).
 */
export const COMMAND_DOMAINS: ReadonlyMap<string, DomainId> = new Map([
  ...table.flatMap(([name, handler]): Array<[string, DomainId]> => {
    const domain = DOMAIN_OF_HANDLER.get(handler);
    return domain === undefined ? [] : [[name, domain]];
  }),
  ...THIN_TOOLS_1X_ONLY.map((name): [string, DomainId] => [name, 'thin-tools']),
]);

/**
 * The domains whose commands a script's text names anywhere (as a command, an argument of xargs,
 * a word assigned to a variable): what a replay loads before it runs the script. A name it cannot
 * see (a function defined before, a word made by expansion) is found when the command runs.
 */
export function domainsNamedIn(text: string): Set<DomainId> {
  const out = new Set<DomainId>();
  for (const word of text.match(/[A-Za-z0-9_.-]+/g) ?? []) {
    const domain = COMMAND_DOMAINS.get(word);
    if (domain !== undefined) out.add(domain);
  }
  return out;
}

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
