/**
 * busybox 1.35's `readlink [-fnv] FILE` and `realpath FILE...` (coreutils/readlink.c,
 * coreutils/realpath.c) over the lab's nodes: glibc's realpath walked a component at a time
 * through what `stat` knows (src/lab/nodes.ts), with busybox's coreutils-like fallback for a last
 * component that is not there (`readlink -f /tmp/new` prints `/tmp/new` when /tmp is there). The
 * lab's shell always runs in `/`. A path through a part of the VM's tree the lab does not know is
 * refused by name rather than resolved wrong. Checked against the host's busybox 1.35.0
 * (src/lab/links.test.ts).
 */
import type { CommandIo } from '../shell/io.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs, busyboxUsage } from './busybox-options.js';
import { notModelled } from './command-errors.js';
import type { ShellContext } from './context.js';
import { type NodeInfo, nodeInfo, normalize } from './nodes.js';

/** glibc's errors, as strerror words them. */
const ENOENT = 'No such file or directory';
const ENOTDIR = 'Not a directory';
const ELOOP = 'Symbolic link loop';

/** glibc follows at most this many symbolic links in one path (MAXSYMLINKS). */
const MAX_LINKS = 40;

type Resolved = { readonly path: string } | { readonly error: string };

/** What a path is, as far as resolving goes: what `stat` knows (LVM's `/dev/VG/LV` links among it). */
function stat(ctx: ShellContext, name: string): Pick<NodeInfo, 'type' | 'target'> | null {
  const path = normalize(name);
  const info = nodeInfo(ctx, path);
  if (info === 'not modelled') throw notModelled(`resolving ${path} (the lab does not know what is there)`);
  return info;
}

/** glibc's realpath: every component must be there; a symbolic link is followed where it is met. */
export function realpathOf(ctx: ShellContext, path: string): Resolved {
  if (path === '') return { error: ENOENT };
  let rest = path;
  let done = '';
  let links = 0;
  while (rest !== '') {
    const slash = rest.indexOf('/');
    const comp = slash < 0 ? rest : rest.slice(0, slash);
    rest = slash < 0 ? '' : rest.slice(slash + 1);
    if (comp === '' || comp === '.') continue;
    if (comp === '..') {
      done = done.slice(0, done.lastIndexOf('/'));
      continue;
    }
    const next = `${done}/${comp}`;
    const info = stat(ctx, next);
    if (info === null) return { error: ENOENT };
    if (info.type === 'l') {
      if (++links > MAX_LINKS) return { error: ELOOP };
      const target = info.target!;
      if (target.startsWith('/')) done = '';
      rest = rest === '' ? target : `${target}/${rest}`;
      continue;
    }
    // A component that is no directory may only be the last (a trailing slash counts as more).
    if (info.type !== 'd' && slash >= 0) return { error: ENOTDIR };
    done = next;
  }
  return { path: done === '' ? '/' : done };
}

/**
 * xmalloc_realpath_coreutils: realpath, or, when only the last component is missing, the
 * resolved directory with that name after it (a name with no slash at all still fails).
 */
export function realpathCoreutils(ctx: ShellContext, path: string): Resolved {
  const strict = realpathOf(ctx, path);
  if ('path' in strict || strict.error !== ENOENT) return strict;
  const trimmed = path.replace(/^\/+(?=\/)/, '').replace(/(?<=.)\/+$/, '');
  const last = trimmed.lastIndexOf('/');
  if (last === 0) return { path: trimmed };
  if (last < 0) return strict;
  const dir = realpathOf(ctx, trimmed.slice(0, last));
  if (!('path' in dir)) return dir;
  return { path: `${dir.path === '/' ? '' : dir.path}/${trimmed.slice(last + 1)}` };
}

export function readlink(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  // getopt32's `fnvsq`: -s and -q are accepted and do nothing (the errors are quiet anyway).
  const parsed = busyboxArgs(ctx.machine.stack, 'readlink', args, 'fnvsq', '');
  if ('error' in parsed) {
    io.err(parsed.error);
    return 1;
  }
  if (parsed.operands.length !== 1) {
    io.err(`${busyboxBanner(ctx.machine.stack)}${busyboxUsage(ctx.machine.stack, 'readlink')}`);
    return 1;
  }
  const name = parsed.operands[0]!;
  const verbose = parsed.flags.has('v');
  let out: string;
  if (parsed.flags.has('f')) {
    const r = realpathCoreutils(ctx, name);
    if (!('path' in r)) return 1;
    out = r.path;
  } else {
    const info = stat(ctx, name.startsWith('/') ? name : `/${name}`);
    if (info === null || info.type !== 'l') {
      if (verbose) io.err(`readlink: ${name}: cannot read link: ${info === null ? ENOENT : 'not a symlink'}\n`);
      return 1;
    }
    out = info.target!;
  }
  io.out(parsed.flags.has('n') ? out : `${out}\n`);
  return 0;
}

/** realpath reads no options: every argument is a file. */
export function realpath(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  if (args.length === 0) {
    io.err(`${busyboxBanner(ctx.machine.stack)}${BUSYBOX_USAGE.realpath}`);
    return 1;
  }
  let status = 0;
  for (const a of args) {
    const r = realpathCoreutils(ctx, a);
    if ('path' in r) io.out(`${r.path}\n`);
    else {
      io.err(`realpath: ${a}: ${r.error}\n`);
      status = 1;
    }
  }
  return status;
}
