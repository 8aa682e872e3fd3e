/**
 * Programs and module files are real lab files: Debian's packages put them in place when the lab
 * starts, `rm` removes them, and then the shell cannot find the program (`sh: thin_check: not
 * found`) and LVM cannot run it (`/usr/sbin/thin_check: execvp failed: No such file or directory`).
 * `apt-get install PACKAGE` puts a package's files back.
 */
import { latin1Bytes } from '../../shared/bytes.js';
import type { LabFileSystem } from '../fs.js';
import { KERNEL_BEHAVIOUR } from '../../model/kernel-behaviour.js';
import type { StackId } from '../../model/stack.js';
import { KERNEL_MODULES, moduleFile } from './kernel-modules.js';
import { THIN_TOOLS_090 } from '../../shared/thin-tool-names.js';

/** The thin-provisioning-tools commands the lab runs, and where Debian's package installs them. */
const THIN_TOOLS = THIN_TOOLS_090;

/** Each packaged program the registry runs, by command name, with its path. */
export const PROGRAM_PATHS: ReadonlyMap<string, string> = new Map(THIN_TOOLS.map((t) => [t, `/usr/sbin/${t}`]));

export interface Package {
  readonly version: string;
  readonly files: readonly string[];
}

/**
 * The Debian packages whose files the lab holds on a stack: their name, version and files. The
 * kernel's package is named after the stack's kernel release (linux-image-6.1.0-57-amd64 on
 * debian12, linux-image-6.12.117+deb13-amd64 on debian13).
 */
export function packagesOf(stack: StackId): ReadonlyMap<string, Package> {
  const kernel = KERNEL_BEHAVIOUR[stack];
  return new Map([
    ['thin-provisioning-tools', { version: '0.9.0-2', files: [...PROGRAM_PATHS.values(), '/usr/sbin/pdata_tools'] }],
    [`linux-image-${kernel.release}`, { version: kernel.packageVersion, files: KERNEL_MODULES.map(moduleFile) }],
  ]);
}

/** An executable's contents: the ELF magic is enough for a file that is only ever run by name. */
const ELF_MAGIC = latin1Bytes('\x7fELF');

/** Puts a package's files in place (at the lab's start, and for apt-get install). */
export function installPackageFiles(fs: LabFileSystem, stack: StackId, name: string): boolean {
  const pkg = packagesOf(stack).get(name);
  if (pkg === undefined) return false;
  for (const path of pkg.files) fs.provide(path, ELF_MAGIC);
  return true;
}

/**
 * The program a command name or path runs, when it is one of the packaged programs: the command's
 * name and whether its file is there. Null for commands that are not files in the lab.
 */
export function packagedProgram(fs: LabFileSystem, nameOrPath: string): { name: string; present: boolean } | null {
  const wanted = usrMerged(nameOrPath);
  for (const [name, path] of PROGRAM_PATHS) {
    if (wanted === name || wanted === path) return { name, present: fs.get(path) !== undefined };
  }
  return null;
}

/** Debian 12 is usr-merged: /sbin and /bin are links to /usr/sbin and /usr/bin. */
export function usrMerged(path: string): string {
  return path.replace(/^\/(s?bin)\//, '/usr/$1/');
}
