/**
 * The VM's kernel and its base initramfs, built once per stack and kernel from the unpacked
 * packages (vm-packages.ts) and kept in the cache: busybox, the device-mapper and thin tools, LVM
 * and the libraries they load, the kernel modules (decompressed: busybox's insmod takes plain
 * .ko), LVM's configuration and /init. A run adds only its script and files (vm-run.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConformError } from './conform-error.js';
import { type CpioEntry, writeCpio } from './cpio.js';
import { runHost } from './host-run.js';
import { initScript } from './vm-init.js';
import { PATTERN_BYTES, PATTERN_LETTERS, VM_LVM_CONF, VM_MODULES, VM_PROGRAMS, type VmStack } from './vm-stacks.js';

export interface VmImage {
  readonly kernelPath: string;
  readonly initramfsPath: string;
  readonly kernelRelease: string;
}

const LIB_DIRS = ['lib', 'usr/lib'];
const BIN_DIRS = ['sbin', 'usr/sbin', 'bin', 'usr/bin'];

function firstExisting(paths: readonly string[]): string | null {
  return paths.find((p) => existsSync(p)) ?? null;
}

/** The one kernel release the unpacked kernel package holds modules for. */
function kernelRelease(sysroot: string): { release: string; modulesDir: string } {
  for (const lib of LIB_DIRS) {
    const dir = join(sysroot, lib, 'modules');
    if (!existsSync(dir)) continue;
    const releases = readdirSync(dir);
    if (releases.length === 1) return { release: releases[0]!, modulesDir: join(dir, releases[0]!) };
  }
  throw new ConformError(
    'image-failed',
    `no kernel modules under ${sysroot}/lib/modules: delete ${sysroot} and run again`,
  );
}

/** Every file below `dir`, depth first, as paths relative to it. */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const st = lstatSync(join(dir, name));
    if (st.isDirectory()) out.push(...walk(join(dir, name), rel));
    else out.push(rel);
  }
  return out;
}

/** A file or symlink of the sysroot as an entry at `path` in the image. */
function entryFor(source: string, path: string): CpioEntry {
  const st = lstatSync(source);
  if (st.isSymbolicLink()) return { kind: 'symlink', path, target: readlinkSync(source) };
  return { kind: 'file', path, data: readFileSync(source), executable: (st.mode & 0o111) !== 0 };
}

/**
 * The shared libraries (and the dynamic loader), at /usr/lib and /usr/lib64 of a merged-/usr
 * image, so that absolute links into /lib resolve in the VM as they did in the package.
 */
function libraryEntries(sysroot: string): CpioEntry[] {
  const entries = new Map<string, CpioEntry>();
  for (const [from, to] of [
    ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'],
    ['usr/lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'],
    ['lib64', 'usr/lib64'],
    ['usr/lib64', 'usr/lib64'],
  ] as const) {
    const dir = join(sysroot, from);
    if (!existsSync(dir)) continue;
    for (const rel of walk(dir)) {
      // Character set converters are for iconv, which nothing in the VM uses.
      if (rel.startsWith('gconv/') || entries.has(`${to}/${rel}`)) continue;
      entries.set(`${to}/${rel}`, entryFor(join(dir, rel), `${to}/${rel}`));
    }
  }
  return [...entries.values()];
}

/** The programs at /sbin, with the links the packages make to them (thin_check -> pdata_tools, lvcreate -> lvm). */
function programEntries(sysroot: string): CpioEntry[] {
  const entries: CpioEntry[] = [];
  for (const name of VM_PROGRAMS) {
    const found = firstExisting(BIN_DIRS.map((d) => join(sysroot, d, name)));
    if (found === null) throw new ConformError('image-failed', `the unpacked packages have no ${name} (${sysroot})`);
    entries.push({ kind: 'file', path: `sbin/${name}`, data: readFileSync(found), executable: true });
  }
  const linked = new Set<string>(VM_PROGRAMS);
  for (const dir of ['sbin', 'usr/sbin']) {
    const full = join(sysroot, dir);
    if (!existsSync(full)) continue;
    for (const name of readdirSync(full).sort()) {
      const path = join(full, name);
      if (linked.has(name) || !lstatSync(path).isSymbolicLink()) continue;
      const target = basename(readlinkSync(path));
      if (!(VM_PROGRAMS as readonly string[]).includes(target)) continue;
      entries.push({ kind: 'symlink', path: `sbin/${name}`, target });
      linked.add(name);
    }
  }
  return entries;
}

/** A module's file in the kernel tree, by its name with - or _. */
function findModule(files: readonly string[], name: string): string | null {
  const spellings = new Set([name, name.replaceAll('-', '_'), name.replaceAll('_', '-')]);
  return (
    files.find((f) => spellings.has(basename(f).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '')) && /\.ko(\.|$)/.test(f)) ?? null
  );
}

function moduleBytes(path: string): Uint8Array {
  if (path.endsWith('.ko.xz')) return runHost('image-failed', 'xz', ['-dc', path]);
  if (path.endsWith('.ko.zst')) return runHost('image-failed', 'zstd', ['-dcq', path]);
  if (path.endsWith('.ko.gz')) return runHost('image-failed', 'gzip', ['-dc', path]);
  return readFileSync(path);
}

function moduleEntries(modulesDir: string): CpioEntry[] {
  const files = walk(join(modulesDir, 'kernel')).map((f) => join(modulesDir, 'kernel', f));
  const entries: CpioEntry[] = [];
  for (const name of VM_MODULES) {
    const file = findModule(files, name);
    // A module the kernel package does not ship is built into its kernel.
    if (file !== null)
      entries.push({ kind: 'file', path: `usr/lib/modules/${name}.ko`, data: moduleBytes(file), executable: false });
  }
  return entries;
}

function skeleton(stack: VmStack): CpioEntry[] {
  const dirs = [
    'bin',
    'sbin',
    'dev',
    'proc',
    'sys',
    'tmp',
    'run',
    'etc',
    'etc/lvm',
    'usr',
    'usr/lib',
    'usr/lib64',
    'usr/lib/modules',
  ];
  return [
    ...dirs.map((path): CpioEntry => ({ kind: 'dir', path })),
    { kind: 'symlink', path: 'lib', target: 'usr/lib' },
    { kind: 'symlink', path: 'lib64', target: 'usr/lib64' },
    { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
    // Made here rather than by /init: 32 MiB written by busybox under software emulation cost seconds a run.
    ...PATTERN_LETTERS.map(
      (letter): CpioEntry => ({
        kind: 'file',
        path: `patterns/${letter}`,
        data: new Uint8Array(PATTERN_BYTES).fill(letter.charCodeAt(0)),
        executable: false,
      }),
    ),
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'etc/lvm/lvm.conf', data: new TextEncoder().encode(VM_LVM_CONF), executable: false },
    { kind: 'file', path: 'init', data: new TextEncoder().encode(initScript(stack)), executable: true },
  ];
}

/** Parent folders first: the kernel's unpacker makes no folder on its own. */
function withParents(entries: readonly CpioEntry[]): CpioEntry[] {
  const dirs = new Set(entries.filter((e) => e.kind === 'dir').map((e) => e.path));
  const out: CpioEntry[] = [];
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let n = 1; n < parts.length; n++) {
      const parent = parts.slice(0, n).join('/');
      if (!dirs.has(parent)) {
        dirs.add(parent);
        out.push({ kind: 'dir', path: parent });
      }
    }
    out.push(e);
  }
  return out;
}

/** Raised when this module changes what it puts in the image, so that cached images are built again. */
const IMAGE_LAYOUT_VERSION = 2;

/** What the image is made of besides the packages: a change to /init or to the lists builds it again. */
function layoutHash(stack: VmStack): string {
  const text = [
    IMAGE_LAYOUT_VERSION,
    initScript(stack),
    VM_LVM_CONF,
    VM_MODULES.join(' '),
    VM_PROGRAMS.join(' '),
    PATTERN_BYTES,
  ].join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** The kernel and base initramfs of a stack's VM, built into `stackDir` unless already there. */
export function ensureImage(
  sysroot: string,
  stackDir: string,
  stack: VmStack,
  hooks: { progress: (line: string) => void; beforeBuild: () => void },
): VmImage {
  const { release, modulesDir } = kernelRelease(sysroot);
  const kernelPath = join(sysroot, 'boot', `vmlinuz-${release}`);
  if (!existsSync(kernelPath)) throw new ConformError('image-failed', `the kernel package has no ${kernelPath}`);
  const initramfsPath = join(stackDir, `initramfs-${release}-${layoutHash(stack)}.cpio.gz`);
  if (!existsSync(initramfsPath)) {
    hooks.beforeBuild();
    hooks.progress(`building the VM image for ${release} (once)`);
    const busybox = firstExisting(['bin/busybox', 'usr/bin/busybox'].map((p) => join(sysroot, p)));
    if (busybox === null) throw new ConformError('image-failed', `the unpacked packages have no busybox (${sysroot})`);
    const entries = [
      ...skeleton(stack),
      { kind: 'file', path: 'bin/busybox', data: readFileSync(busybox), executable: true } as const,
      ...programEntries(sysroot),
      ...libraryEntries(sysroot),
      ...moduleEntries(modulesDir),
    ];
    writeFileSync(initramfsPath, gzipSync(writeCpio(withParents(entries)), { level: 1 }));
    // Images of an older kernel or layout are never used again: they would only fill the cache.
    for (const old of readdirSync(stackDir))
      if (/^initramfs-.*\.cpio\.gz$/.test(old) && join(stackDir, old) !== initramfsPath) rmSync(join(stackDir, old));
  }
  return { kernelPath, initramfsPath, kernelRelease: release };
}
