/**
 * The programs `thinlab conform` needs on the user's machine, and the Debian package of each, so
 * that a missing one is refused with the one apt command that installs it, before anything runs.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ConformError } from './conform-error.js';

export interface HostTool {
  readonly command: string;
  readonly debianPackage: string;
}

/** To run the VM. */
export const RUN_TOOLS: readonly HostTool[] = [{ command: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' }];

/** To fetch and unpack Debian's packages into the cache, once. */
export const FETCH_TOOLS: readonly HostTool[] = [
  { command: 'apt-get', debianPackage: 'apt' },
  { command: 'apt-cache', debianPackage: 'apt' },
  { command: 'dpkg-deb', debianPackage: 'dpkg' },
];

/** To decompress the kernel modules when the image is built (Debian 13's are .ko.xz). */
export const DECOMPRESS_TOOLS: readonly HostTool[] = [
  { command: 'xz', debianPackage: 'xz-utils' },
  { command: 'zstd', debianPackage: 'zstd' },
];

/** The full path of an executable `command` in one of `pathDirs`, or null. */
export function findCommand(command: string, pathDirs: readonly string[]): string | null {
  for (const dir of pathDirs) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder: try the next one.
    }
  }
  return null;
}

/** The message for the tools that are missing, with the apt command that installs them. */
export function missingToolsMessage(missing: readonly HostTool[]): string {
  const packages = [...new Set(missing.map((t) => t.debianPackage))];
  const names = missing.map((t) => t.command).join(', ');
  const noApt = missing.some((t) => t.command.startsWith('apt'));
  const how = noApt
    ? 'conform builds its VM from Debian packages with apt: run it on a Debian or Ubuntu machine (or in a Debian container)'
    : `install ${missing.length === 1 ? 'it' : 'them'} with: sudo apt-get update && sudo apt-get install --no-install-recommends ${packages.join(' ')}`;
  return `conform needs ${names} on this machine, which has not got ${missing.length === 1 ? 'it' : 'them'}; ${how}`;
}

/** Refuses, by name and with the apt command, when any of `tools` is not on the PATH. */
export function requireTools(tools: readonly HostTool[], pathDirs: readonly string[]): void {
  const missing = tools.filter((t) => findCommand(t.command, pathDirs) === null);
  if (missing.length > 0) throw new ConformError('missing-host-tools', missingToolsMessage(missing));
}
