/**
 * The kernel's modules, as the oracle VM has them (fixtures/kernel/91-kernel-modules): which are
 * loaded, in which order, what each depends on and which device-mapper target types it registers.
 * A target type whose module is not loaded is refused by the model as an unknown type
 * (`Machine.unloadedTargetTypes`, kept in step here), `dmsetup targets` lists only loaded types,
 * and `lsmod`, `insmod`, `rmmod` and `modprobe` work on this list. The module files are real lab
 * files under /lib/modules (the VM's flat layout): `rm` one and it can no longer be loaded.
 */
import { Errno } from '../../model/errno.js';
import type { Machine } from '../../model/machine.js';

/** The part of the host's state this module keeps: the loaded modules, the most recently loaded first. */
export interface LoadedModules {
  modules: string[];
}

export interface KernelModule {
  readonly name: string;
  readonly sizeBytes: number;
  /** Modules whose symbols it uses: they must be loaded first and cannot go while it is loaded. */
  readonly deps: readonly string[];
  /** `dmsetup targets` lines for the target types it registers, in the order the kernel lists them. */
  readonly targets: ReadonlyArray<readonly [string, string]>;
}

/**
 * The oracle VM's modules, from its `lsmod` and `dmsetup targets` (fixtures/kernel/91) on Linux
 * 6.1; where 6.12's sizes and versions differ, `machine.kernel` has them (src/model/kernel-behaviour.ts).
 */
export const KERNEL_MODULES: readonly KernelModule[] = [
  {
    name: 'dm_mod',
    sizeBytes: 184320,
    deps: [],
    targets: [
      ['striped', 'v1.6.0'],
      ['linear', 'v1.4.0'],
      ['error', 'v1.5.0'],
    ],
  },
  { name: 'dm_bufio', sizeBytes: 40960, deps: ['dm_mod'], targets: [] },
  { name: 'crc32c_generic', sizeBytes: 16384, deps: [], targets: [] },
  { name: 'libcrc32c', sizeBytes: 16384, deps: [], targets: [] },
  { name: 'dm_persistent_data', sizeBytes: 114688, deps: ['libcrc32c', 'dm_bufio'], targets: [] },
  { name: 'dm_bio_prison', sizeBytes: 20480, deps: [], targets: [] },
  {
    name: 'dm_thin_pool',
    sizeBytes: 90112,
    deps: ['dm_mod', 'dm_persistent_data', 'dm_bio_prison'],
    targets: [
      ['thin-pool', 'v1.22.0'],
      ['thin', 'v1.22.0'],
    ],
  },
  { name: 'dm_zero', sizeBytes: 16384, deps: ['dm_mod'], targets: [['zero', 'v1.1.0']] },
  { name: 'dm_flakey', sizeBytes: 20480, deps: ['dm_mod'], targets: [['flakey', 'v1.5.0']] },
  { name: 'dm_delay', sizeBytes: 16384, deps: ['dm_mod'], targets: [['delay', 'v1.3.0']] },
  { name: 'dm_log_writes', sizeBytes: 24576, deps: ['dm_mod'], targets: [['log-writes', 'v1.1.0']] },
  { name: 'loop', sizeBytes: 32768, deps: [], targets: [] },
  { name: 'brd', sizeBytes: 20480, deps: [], targets: [] },
];

export function kernelModule(name: string): KernelModule | undefined {
  const n = name.replace(/-/g, '_');
  return KERNEL_MODULES.find((m) => m.name === n);
}

/** Where the VM keeps a module's file: /lib/modules/dm-thin-pool.ko for dm_thin_pool. */
export function moduleFile(module: KernelModule): string {
  return `/lib/modules/${module.name === 'crc32c_generic' ? module.name : module.name.replace(/_/g, '-')}.ko`;
}

/** The module a file path names, if it is one of the VM's module files. */
export function moduleAtPath(path: string): KernelModule | undefined {
  return KERNEL_MODULES.find((m) => moduleFile(m) === path);
}

/** The boot's load order, the VM's init script's (`insmod` of each in turn): lsmod lists the last first. */
export function bootModuleOrder(): string[] {
  return KERNEL_MODULES.map((m) => m.name);
}

/** Keeps the model's list of refused target types in step with the loaded modules. */
export function syncTargetTypes(machine: Machine, host: LoadedModules): void {
  machine.unloadedTargetTypes = KERNEL_MODULES.filter((m) => !host.modules.includes(m.name)).flatMap((m) =>
    m.targets.map(([type]) => type),
  );
}

/** `dmsetup targets`: the loaded modules' target types, the most recently loaded module's first. */
export function targetsText(host: LoadedModules, versions: Readonly<Record<string, string>> = {}): string {
  return host.modules
    .flatMap((name) => kernelModule(name)?.targets ?? [])
    .map(([type, version]) => `${type.padEnd(16, ' ')} ${versions[type] ?? version}\n`)
    .join('');
}

/** The loaded modules that use `name`'s symbols, the most recently loaded first. */
function holders(host: LoadedModules, name: string): string[] {
  return host.modules.filter((m) => kernelModule(m)?.deps.includes(name) === true);
}

/**
 * A module's reference count as lsmod shows it: the modules using it, plus what holds it open
 * (a target instance of its types, an open RAM disk, a dm device), as the VM counted them.
 */
export function useCount(machine: Machine, host: LoadedModules, module: KernelModule): number {
  const m = machine;
  const tables = m.deviceList().flatMap((d) => [d.live, d.inactive].filter((t) => t !== null));
  const types = new Set(module.targets.map(([type]) => type));
  let own = tables.filter((t) => types.has(t.type)).length;
  if (module.name === 'brd') own = m.ramdisks.reduce((sum, r) => sum + r.openCount, 0);
  // A dm device holds dm_mod, and so does each opener of one (a thin holds its pool open): fixtures/kernel/91.
  if (module.name === 'dm_mod') own = m.deviceList().reduce((sum, d) => sum + 1 + d.openCount, 0);
  // crc32c_generic is held by the crypto API on behalf of libcrc32c, not by a symbol: lsmod shows 1 and no name.
  if (module.name === 'crc32c_generic') own = host.modules.includes('libcrc32c') ? 1 : 0;
  return holders(host, module.name).length + own;
}

/** busybox lsmod: /proc/modules as a table, with busybox's taint column header. */
export function lsmodText(machine: Machine, host: LoadedModules): string {
  let text = 'Module                  Size  Used by    Not tainted\n';
  for (const name of host.modules) {
    const module = kernelModule(name)!;
    const users = holders(host, name).join(',');
    const size = machine.kernel.moduleSizesBytes[name] ?? module.sizeBytes;
    text += `${name.padEnd(20, ' ')}${String(size).padStart(8, ' ')}${String(useCount(machine, host, module)).padStart(3, ' ')} ${users}\n`;
  }
  return text;
}

/** init_module: 0, or the errno the kernel refuses with (EEXIST when loaded, ENOENT for a missing dependency). */
export function loadModule(machine: Machine, host: LoadedModules, module: KernelModule): number {
  if (host.modules.includes(module.name)) return Errno.EEXIST;
  if (module.deps.some((d) => !host.modules.includes(d))) return Errno.ENOENT;
  host.modules.unshift(module.name);
  syncTargetTypes(machine, host);
  return 0;
}

/** delete_module: 0, ENOENT when not loaded, EAGAIN while anything uses it. */
export function unloadModule(machine: Machine, host: LoadedModules, module: KernelModule): number {
  if (!host.modules.includes(module.name)) return Errno.ENOENT;
  if (useCount(machine, host, module) > 0) return Errno.EAGAIN;
  host.modules.splice(host.modules.indexOf(module.name), 1);
  syncTargetTypes(machine, host);
  return 0;
}

/**
 * kmod's `modprobe NAME`: the module after its dependencies, from its file (`fileExists` says
 * whether a module file is there). 0, or 1 with kmod's message: a Debian host's modprobe, which
 * both the `modprobe` command and LVM's own exec of /sbin/modprobe run.
 */
export function modprobeLoad(
  machine: Machine,
  host: LoadedModules,
  fileExists: (path: string) => boolean,
  name: string,
): { status: number; message: string } {
  const notFound = {
    status: 1,
    message: `modprobe: FATAL: Module ${name} not found in directory /lib/modules/${machine.kernel.release}\n`,
  };
  const module = kernelModule(name);
  if (module === undefined) return notFound;
  for (const dep of module.deps) {
    const r = modprobeLoad(machine, host, fileExists, dep);
    if (r.status !== 0) return r;
  }
  if (host.modules.includes(module.name)) return { status: 0, message: '' };
  if (!fileExists(moduleFile(module))) return notFound;
  loadModule(machine, host, module);
  return { status: 0, message: '' };
}
