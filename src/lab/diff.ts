/**
 * busybox 1.35's `diff [-abBdiNqrTstw] [-L LABEL] [-S FILE] [-U LINES] FILE1 FILE2` over the lab's
 * files (editors/diff.c): unified output only, its own hunks (src/lab/diff-match.ts,
 * src/lab/diff-hunks.ts), `Files A and B differ` for binary files and with `-q`, directories
 * compared name by name (`-r` into subdirectories). Exit status 0 the same, 1 different, 2 a file
 * that cannot be found. Checked against the host's busybox 1.35.0 case by case (src/lab/diff.test.ts).
 * busybox holds the two files' line tables (about 40 bytes a line) and reads the files again as it
 * prints; the lab holds the files' bytes too, and counts the tables against the VM's memory.
 */
import { concatBytes } from '../shared/bytes.js';
import { OutOfMemory } from '../shell/memory.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs } from './busybox-options.js';
import { notModelled } from './command-errors.js';
import type { ShellContext } from './context.js';
import { type Emit, type HunkOptions, unifiedDiff } from './diff-hunks.js';
import { commandMemoryBytes } from './line-filters.js';
import { listDirectory, nodeInfo, normalize } from './nodes.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { consume, pathChunks } from './text-streams.js';
import { fileKind } from './vfs.js';

/** getopt32's `abdiL:*NqrsS:tTU:+wupBE`: -u is the default, -p and -E are accepted and do nothing. */
const FLAGS = 'abdiLNqrsStTUwupBE';

const LONG_OPTIONS = [
  'ignore-case',
  'ignore-tab-expansion',
  'ignore-space-change',
  'ignore-all-space',
  'ignore-blank-lines',
  'text',
  'unified',
  'label',
  'show-c-function',
  'brief',
  'expand-tabs',
  'initial-tab',
  'recursive',
  'new-file',
  'report-identical-files',
  'starting-file',
  'minimal',
];

/** What busybox's line table costs a line: struct line (16 bytes) and its offset in ix (8), both files, and J. */
const TABLE_BYTES_PER_LINE = 40;

interface DiffOptions extends HunkOptions {
  readonly text: boolean;
  readonly newFile: boolean;
  readonly recursive: boolean;
  readonly reportSame: boolean;
  readonly labels: readonly [string | null, string | null];
  readonly start: string | null;
}

/** A run's state: what goes out, and the exit status busybox ORs into. */
interface Run {
  readonly ctx: ShellContext;
  readonly io: CommandIo;
  readonly o: DiffOptions;
  out: string;
  status: number;
  /** False once standard output's reader has gone. */
  taken: boolean;
}

const emitter =
  (run: Run): Emit =>
  (text) => {
    run.out += text;
    if (run.out.length < 8192) return run.taken;
    run.taken = run.io.out(run.out) !== false && run.taken;
    run.out = '';
    return run.taken;
  };

function options(ctx: ShellContext, args: readonly string[]): { o: DiffOptions; files: string[] } | string {
  const parsed = busyboxArgs(ctx.machine.stack, 'diff', args, FLAGS, '', {
    valued: 'LSU',
    numeric: 'U',
    longOptions: LONG_OPTIONS,
  });
  if ('error' in parsed) return parsed.error;
  if (parsed.operands.length !== 2) return `${busyboxBanner(ctx.machine.stack)}${BUSYBOX_USAGE.diff}`;
  const f = (c: string): boolean => parsed.flags.has(c);
  // The first -L labels the old file, the last of the others the new one.
  const labels = parsed.lists.get('L') ?? [];
  const o: DiffOptions = {
    ignoreSpaceChange: f('b'),
    ignoreAllSpace: f('w'),
    ignoreCase: f('i'),
    minimal: f('d'),
    context: parsed.values.has('U') ? Number(parsed.values.get('U')) : 3,
    ignoreBlankLines: f('B'),
    brief: f('q'),
    expandTabs: f('t'),
    initialTab: f('T'),
    text: f('a'),
    newFile: f('N'),
    recursive: f('r'),
    reportSame: f('s'),
    labels: [labels[0] ?? null, labels.length > 1 ? labels[labels.length - 1]! : null],
    start: parsed.values.get('S') ?? null,
  };
  return { o, files: parsed.operands };
}

type Kind = 'file' | 'dir' | 'block' | 'char' | null;

/** What stat finds at a path (`-` is standard input, a pipe or a file, never a directory here). */
function kindOf(ctx: ShellContext, path: string): Kind {
  if (path === '-') return 'file';
  const info = nodeInfo(ctx, path);
  if (info === 'not modelled') throw notModelled(`diff of ${path} (the lab does not know what is there)`);
  if (info?.type === 'l') throw notModelled(`diff through the symbolic link ${path}`);
  return fileKind(ctx, path);
}

/** Reads an input whole: busybox reads it twice (hashing, then printing), the lab keeps it. */
function* readAll(chunks: Chunks): Steps<Uint8Array | string> {
  const parts: Uint8Array[] = [];
  const error = yield* consume(chunks, (c) => {
    parts.push(c);
    return true;
  });
  return error ?? concatBytes(parts);
}

/** busybox's diffreg: whether the two inputs differ, and the diff printed when they are text. */
function* diffFiles(run: Run, paths: readonly [string, string]): Steps<'same' | 'differ' | 'binary'> {
  const bytes: Uint8Array[] = [];
  for (const path of paths) {
    let chunks: Chunks | string = path === '-' ? stdinChunks(run.io) : pathChunks(run.ctx, path);
    // -N: a file that is not there reads as /dev/null.
    if (typeof chunks === 'string' && run.o.newFile && kindOf(run.ctx, path) === null)
      chunks = pathChunks(run.ctx, '/dev/null');
    const read = typeof chunks === 'string' ? chunks : yield* readAll(chunks);
    if (typeof read === 'string') {
      if (read.startsWith('thinlab: ')) throw notModelled(read.slice('thinlab: not modelled: '.length));
      // open_or_warn's warning; busybox goes on as if the files were the same.
      run.io.err(`diff: can't open '${path}': ${read}\n`);
      return 'same';
    }
    bytes.push(read);
  }
  const [a, b] = bytes as [Uint8Array, Uint8Array];
  const common = Math.min(a.length, b.length);
  let differ = a.length !== b.length;
  let binary = false;
  for (let k = 0; k < common; k++) {
    if (a[k] === 0 || b[k] === 0) binary = true;
    if (a[k] !== b[k]) differ = true;
  }
  if (!differ) return 'same';
  if (binary && !run.o.text) return 'binary';
  chargeTable(run, a, b);
  const names = [run.o.labels[0] ?? paths[0], run.o.labels[1] ?? paths[1]] as const;
  return unifiedDiff([a, b], names, run.o, emitter(run)) ? 'differ' : 'same';
}

/** The line tables against the VM's memory, and the work against the shell's step budget. */
function chargeTable(run: Run, a: Uint8Array, b: Uint8Array): void {
  let lines = 2;
  for (const f of [a, b]) for (let k = f.indexOf(10); k >= 0; k = f.indexOf(10, k + 1)) lines++;
  const needed = lines * TABLE_BYTES_PER_LINE;
  const left = commandMemoryBytes(run.ctx);
  if (needed > left) throw new OutOfMemory("diff's line tables", needed, left);
  run.io.chargeSteps?.(Math.ceil(lines / 1024));
}

/** print_status: what is said of a compared pair besides the diff itself. */
function printStatus(run: Run, status: 'same' | 'differ' | 'binary', names: readonly [string, string]): void {
  if (status !== 'same') run.status |= 1;
  const emit = emitter(run);
  if (status === 'binary' || (status === 'differ' && run.o.brief)) emit(`Files ${names[0]} and ${names[1]} differ\n`);
  if (status === 'same' && run.o.reportSame) emit(`Files ${names[0]} and ${names[1]} are identical\n`);
}

/** concat_path_file: a slash between unless the directory ends with one. */
function joinPath(dir: string, name: string): string {
  return `${dir}${dir.endsWith('/') ? '' : '/'}${name.replace(/^\/+/, '')}`;
}

export function* diff(ctx: ShellContext, args: readonly string[], io: CommandIo): Steps<number> {
  const parsed = options(ctx, args);
  if (typeof parsed === 'string') {
    io.err(parsed.startsWith('BusyBox') ? parsed : parsed.startsWith('diff: ') ? parsed : `diff: ${parsed}`);
    return 1;
  }
  const run: Run = { ctx, io, o: parsed.o, out: '', status: 0, taken: true };
  const status = yield* diffMain(run, parsed.files as [string, string]);
  if (run.out !== '' && run.taken) io.out(run.out);
  return status;
}

function* diffMain(run: Run, files: [string, string]): Steps<number> {
  const { ctx, io, o } = run;
  const kinds: Kind[] = [];
  // What stat found: a path that is not there is /dev/null with -N, else the end (status 2).
  const identity: string[] = [];
  for (const f of files) {
    let kind = kindOf(ctx, f);
    let id = f === '-' ? '-' : normalize(f);
    if (kind === null && o.newFile) [kind, id] = ['char', '/dev/null'];
    if (kind === null) {
      io.err(`diff: can't stat '${f}': No such file or directory\n`);
      return 2;
    }
    kinds.push(kind);
    identity.push(id);
  }
  const stdin = files.includes('-');
  if (stdin && kinds.includes('dir')) {
    io.err("diff: can't compare stdin to a directory\n");
    return 1;
  }
  // The same file twice (the same inode): nothing to compare, nothing said, even with -s.
  if (identity[0] === identity[1]) return 0;
  if (kinds[0] === 'dir' && kinds[1] === 'dir') {
    yield* diffDirectories(run, files);
    return run.status;
  }
  if (kinds.includes('dir')) {
    // A directory and a file: the file of the same name in the directory.
    const dir = kinds[1] === 'dir' ? 1 : 0;
    const other = files[1 - dir]!;
    const inside = joinPath(files[dir]!, other.slice(other.lastIndexOf('/') + 1));
    if (kindOf(ctx, inside) === null) {
      // Past the operands' own stat, busybox's dying status is back to 1.
      io.err(`diff: can't stat '${inside}': No such file or directory\n`);
      return 1;
    }
    files[dir] = inside;
  }
  printStatus(run, yield* diffFiles(run, files), files);
  return run.status;
}

/**
 * The names under a directory, relative to it, sorted by strcmp: without -r, its files and
 * subdirectories; with -r, the files under it (a subdirectory the other side lacks is not entered
 * without -N, and makes the status 1).
 */
function dirList(run: Run, root: string, other: string): string[] {
  const names: string[] = [];
  const walk = (rel: string): void => {
    const here = rel === '' ? root : joinPath(root, rel);
    const entries = listDirectory(run.ctx, here);
    if (entries === 'not modelled')
      throw notModelled(`diff of the directory ${here} (the lab does not know all it holds)`);
    for (const e of entries ?? []) {
      const name = rel === '' ? e : `${rel}/${e}`;
      if (kindOf(run.ctx, joinPath(root, name)) !== 'dir') names.push(name);
      else if (!run.o.recursive) names.push(name);
      else if (run.o.newFile || kindOf(run.ctx, joinPath(other, name)) === 'dir') walk(name);
      else run.status |= 1;
    }
  };
  walk('');
  // A byte a character (latin1), so comparing code units is strcmp.
  const sorted = names.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return run.o.start === null ? sorted : sorted.filter((n) => n >= run.o.start!);
}

/** The words busybox uses for a pair it does not compare. */
function skipped(full: readonly [string, string], kinds: readonly Kind[]): string | null {
  const regular = (k: Kind): boolean => k === 'file' || k === 'dir';
  if (kinds[0] === 'dir' && kinds[1] === 'dir') return `Common subdirectories: ${full[0]} and ${full[1]}\n`;
  for (const k of [0, 1]) {
    if (!regular(kinds[k]!)) return `File ${full[k]} is not a regular file or directory and was skipped\n`;
  }
  if (kinds[0] === kinds[1]) return null;
  const what = (k: Kind): string => (k === 'dir' ? 'directory' : 'regular file');
  return `File ${full[0]} is a ${what(kinds[0]!)} while file ${full[1]} is a ${what(kinds[1]!)}\n`;
}

/** diffdir: both listings walked side by side, a name on one side only said (or, with -N, compared with nothing). */
function* diffDirectories(run: Run, roots: readonly [string, string]): Steps<void> {
  const lists = [dirList(run, roots[0], roots[1]), dirList(run, roots[1], roots[0])] as const;
  const at = [0, 0];
  const emit = emitter(run);
  for (;;) {
    const dp = [lists[0][at[0]!], lists[1][at[1]!]] as const;
    if (dp[0] === undefined && dp[1] === undefined) return;
    const pos = dp[0] === undefined ? 1 : dp[1] === undefined ? -1 : dp[0] < dp[1] ? -1 : dp[0] > dp[1] ? 1 : 0;
    const k = pos > 0 ? 1 : 0;
    if (pos !== 0 && !run.o.newFile) {
      emit(`Only in ${roots[k]}: ${dp[k]}\n`);
      run.status |= 1;
    } else {
      const name = dp[k]!;
      const full = [joinPath(roots[0], name), joinPath(roots[1], name)] as const;
      // With -N the side without the name reads /dev/null, with the other side's stat.
      const paths = [0, 1].map((i) => (pos === 0 || i === k ? full[i]! : '/dev/null')) as [string, string];
      const kinds = [0, 1].map((i) => kindOf(run.ctx, full[pos === 0 || i === k ? i : k]!));
      const said = skipped(full, kinds);
      if (said !== null) emit(said);
      else printStatus(run, yield* diffFiles(run, paths), full);
    }
    at[k]!++;
    if (pos === 0) at[1 - k]!++;
    if (!run.taken) return;
  }
}
