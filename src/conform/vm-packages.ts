/**
 * Debian's packages for a stack's VM, fetched once into the cache and unpacked there, never
 * installed: apt works on a private sources list, package lists, archive folder and an empty dpkg
 * status, so the host's own packages and configuration are neither used nor touched. The kernel is
 * the one the stack's linux-image-amd64 names on the day.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackId } from '../model/stack.js';
import { ConformError } from './conform-error.js';
import { runHost } from './host-run.js';
import { KERNEL_METAPACKAGE, VM_PACKAGES, VM_STACKS } from './vm-stacks.js';

export interface PackageSource {
  /** The Debian archive, e.g. http://deb.debian.org/debian. */
  readonly mirror: string;
  /** Its security archive, where a stable kernel's updates are. */
  readonly securityMirror: string;
}

export const DEFAULT_SOURCE: PackageSource = {
  mirror: 'http://deb.debian.org/debian',
  securityMirror: 'http://deb.debian.org/debian-security',
};

export interface Sysroot {
  readonly dir: string;
  readonly kernelPackage: string;
}

/** The apt sources of a suite: the release, its updates and its security updates. */
export function sourcesList(suite: string, source: PackageSource): string {
  return [
    `deb ${source.mirror} ${suite} main`,
    `deb ${source.mirror} ${suite}-updates main`,
    `deb ${source.securityMirror} ${suite}-security main`,
    '',
  ].join('\n');
}

/** apt's options for a private state under `dir` (amd64 packages whatever the host's architecture). */
function aptOptions(dir: string, asRoot: boolean): string[] {
  const o = (k: string, v: string) => ['-o', `${k}=${v}`];
  return [
    ...o('Dir::Etc::sourcelist', join(dir, 'sources.list')),
    ...o('Dir::Etc::sourceparts', '/nonexistent'),
    ...o('Dir::State::Lists', join(dir, 'lists')),
    ...o('Dir::State::status', join(dir, 'status')),
    ...o('Dir::Cache', join(dir, 'apt-cache')),
    ...o('Dir::Cache::archives', join(dir, 'archives')),
    ...o('APT::Architecture', 'amd64'),
    ...o('APT::Architectures', 'amd64'),
    // As root, apt would hand its downloads to the _apt user, who cannot write a user's cache.
    ...(asRoot ? o('APT::Sandbox::User', 'root') : []),
  ];
}

/** The kernel package a `apt-cache depends linux-image-amd64` names (linux-image-6.1.0-57-amd64). */
export function kernelPackageOf(dependsOutput: string): string | null {
  return /Depends: (linux-image-[0-9][^\s]*)/.exec(dependsOutput)?.[1] ?? null;
}

/** The package names of `apt-cache depends --recurse`: its unindented lines, virtual ones (<name>) left out. */
export function packagesOf(recurseOutput: string): string[] {
  const names = recurseOutput.split('\n').filter((l) => l !== '' && !l.startsWith(' ') && !l.startsWith('<'));
  return [...new Set(names)].sort();
}

const READY = 'sysroot.json';

/** Whether the packages of a stack are in the cache already (nothing to fetch). */
export function sysrootCached(stackDir: string): boolean {
  return existsSync(join(stackDir, READY));
}

/**
 * The unpacked packages of `stack` under `stackDir`, fetching them when the cache has none. A
 * half-built cache (interrupted download) has no READY file and is built again from scratch.
 */
export function ensureSysroot(
  stack: StackId,
  stackDir: string,
  source: PackageSource,
  asRoot: boolean,
  progress: (line: string) => void,
): Sysroot {
  const ready = join(stackDir, READY);
  const dir = join(stackDir, 'sysroot');
  if (existsSync(ready))
    return { dir, kernelPackage: (JSON.parse(readFileSync(ready, 'utf8')) as Sysroot).kernelPackage };
  progress(`fetching Debian ${VM_STACKS[stack].suite}'s kernel and tools into ${stackDir} (once)`);
  try {
    return fetchAndUnpack(stack, stackDir, source, asRoot);
  } catch (e) {
    if (!(e instanceof ConformError) || e.code !== 'fetch-failed') throw e;
    throw new ConformError(
      'fetch-failed',
      `${e.message}\n  (the packages come from ${source.mirror} and ${source.securityMirror}: check the network, or give another archive with --mirror URL)`,
    );
  }
}

function fetchAndUnpack(stack: StackId, stackDir: string, source: PackageSource, asRoot: boolean): Sysroot {
  const dir = join(stackDir, 'sysroot');
  const ready = join(stackDir, READY);
  rmSync(stackDir, { recursive: true, force: true });
  for (const d of ['lists/partial', 'archives/partial', 'apt-cache', 'debs', 'sysroot'])
    mkdirSync(join(stackDir, d), { recursive: true });
  writeFileSync(join(stackDir, 'sources.list'), sourcesList(VM_STACKS[stack].suite, source));
  writeFileSync(join(stackDir, 'status'), '');
  const apt = aptOptions(stackDir, asRoot);
  runHost('fetch-failed', 'apt-get', [...apt, '-qq', 'update']);
  const kernelPackage = kernelPackageOf(
    runHost('fetch-failed', 'apt-cache', [...apt, 'depends', KERNEL_METAPACKAGE]).toString(),
  );
  if (kernelPackage === null)
    throw new ConformError(
      'fetch-failed',
      `${KERNEL_METAPACKAGE} in ${VM_STACKS[stack].suite} names no kernel package`,
    );
  const recurse = [
    'depends',
    '--recurse',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
  ];
  const packages = packagesOf(runHost('fetch-failed', 'apt-cache', [...apt, ...recurse, ...VM_PACKAGES]).toString());
  const debs = join(stackDir, 'debs');
  runHost('fetch-failed', 'apt-get', [...apt, '-qq', 'download', kernelPackage, ...packages], { cwd: debs });
  for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb')))
    runHost('image-failed', 'dpkg-deb', ['-x', join(debs, deb), dir]);
  for (const d of ['debs', 'archives', 'apt-cache']) rmSync(join(stackDir, d), { recursive: true, force: true });
  writeFileSync(ready, JSON.stringify({ dir, kernelPackage }));
  return { dir, kernelPackage };
}

/**
 * This machine's own Debian archives, when it is a Debian machine with apt (a local mirror or a
 * proxy is then used for the VM's packages too); the default archives otherwise.
 */
export function hostDebianSource(): PackageSource {
  let uris: string[] = [];
  try {
    uris = runHost('fetch-failed', 'apt-get', ['indextargets', '--format', '$(REPO_URI)']).toString().split('\n');
  } catch {
    return DEFAULT_SOURCE;
  }
  const debian = uris.map((u) => u.trim().replace(/\/+$/, '')).filter((u) => /\/debian(-security)?$/.test(u));
  return {
    mirror: debian.find((u) => u.endsWith('/debian')) ?? DEFAULT_SOURCE.mirror,
    securityMirror: debian.find((u) => u.endsWith('/debian-security')) ?? DEFAULT_SOURCE.securityMirror,
  };
}
