/**
 * busybox 1.35's md5_sha1_sum applets as the lab runs them: sha1sum, sha256sum and sha512sum print
 * each input's digest, computed as it streams (a device is never held whole), and `-c` checks the
 * lines of a list (`HASH  NAME` or `HASH *NAME`), with `-s` (silent) and `-w` (warn of lines that are
 * neither). Texts and counting are busybox's (coreutils/md5_sha1_sum.c), checked case by case
 * against the host's busybox 1.35.0 (src/lab/checksums.test.ts) and on the VM (fixtures/kernel/211).
 */
import { createHash } from 'node:crypto';
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE, busyboxArgs } from './busybox-options.js';
import type { ShellContext } from './context.js';
import { type Chunks, stdinChunks } from './stdin-chunks.js';
import { consume, pathChunks } from './text-streams.js';

/** The digests the applets compute, by applet name: node's name for each. */
export const DIGEST_ALGORITHMS = { md5sum: 'md5', sha1sum: 'sha1', sha256sum: 'sha256', sha512sum: 'sha512' } as const;
export type DigestTool = keyof typeof DIGEST_ALGORITHMS;

/**
 * One input's digest in hex; null when it could not be opened or read, which is said at once in
 * busybox's words (`can't open 'FILE': ...`, `can't read 'FILE': ...`). A lab refusal (a read it
 * does not model) is no failed open: it keeps the `NAME: ` form.
 */
export function* digestOf(ctx: ShellContext, io: CommandIo, tool: DigestTool, name: string): Steps<string | null> {
  const chunks = name === '-' ? stdinChunks(io) : pathChunks(ctx, name);
  const said = (verb: string, why: string): null => {
    io.err(why.startsWith('thinlab: ') ? `${tool}: ${name}: ${why}\n` : `${tool}: can't ${verb} '${name}': ${why}\n`);
    return null;
  };
  if (typeof chunks === 'string') {
    // busybox opens a directory fine and fails on its first read (EISDIR).
    return chunks === 'Is a directory' ? said('read', chunks) : said('open', chunks);
  }
  const hash = createHash(DIGEST_ALGORITHMS[tool]);
  const error = yield* consume(chunks, (c) => {
    hash.update(c);
    return true;
  });
  return error === null ? hash.digest('hex') : said('read', error);
}

/** `TOOL [-c[sw]] [FILE]...`; -b and -t (binary, text) are accepted and ignored, as busybox does. */
export function digestCommand(tool: DigestTool) {
  return function* (ctx: ShellContext, argv: readonly string[], io: CommandIo): Steps<number> {
    const parsed = busyboxArgs(ctx.machine.stack, tool, argv, 'btcsw', '');
    if ('error' in parsed) {
      io.err(parsed.error);
      return 1;
    }
    const check = parsed.flags.has('c');
    // -s and -w only mean something with -c: busybox shows its usage for them alone.
    if (!check && (parsed.flags.has('s') || parsed.flags.has('w'))) {
      io.err(`${busyboxBanner(ctx.machine.stack)}${BUSYBOX_USAGE[tool]}`);
      return 1;
    }
    const names = parsed.operands.length === 0 ? ['-'] : parsed.operands;
    let status = 0;
    for (const name of names) {
      if (check) {
        status = (yield* checkList(ctx, io, tool, name, parsed.flags)) || status;
        continue;
      }
      const digest = yield* digestOf(ctx, io, tool, name);
      if (digest === null) status = 1;
      else io.out(`${digest}  ${name}\n`);
    }
    return status;
  };
}

/**
 * The lines of an input, each given to `each` as it is complete (a list is read as it streams);
 * `each` answers a file to hash for the line, and `hashed` takes its digest. Lines that name none
 * (a binary file's NUL-ended runs, millions of them in a metadata image) cost no step each.
 */
function* eachLine(
  chunks: Chunks,
  each: (line: string) => string | null,
  hashed: (name: string) => Steps<void>,
): Steps<string | null> {
  let pending = '';
  for (;;) {
    const c = yield* chunks();
    if (typeof c === 'string') return c;
    if (c === null) break;
    // busybox reads a line as a C string: a NUL byte ends it as a newline does.
    const lines = (pending + latin1Text(c)).split(/[\n\0]/);
    pending = lines.pop()!;
    for (const line of lines) {
      const name = each(line);
      if (name !== null) yield* hashed(name);
    }
  }
  const last = pending === '' ? null : each(pending);
  if (last !== null) yield* hashed(last);
  return null;
}

/** `-c LIST`: each line's file hashed and compared; the summary warning when any failed. */
function* checkList(
  ctx: ShellContext,
  io: CommandIo,
  tool: DigestTool,
  list: string,
  flags: ReadonlySet<string>,
): Steps<number> {
  const chunks = list === '-' ? stdinChunks(io) : pathChunks(ctx, list);
  if (typeof chunks === 'string') {
    io.err(`${tool}: ${list}: ${chunks}\n`);
    return 1;
  }
  const silent = flags.has('s');
  let total = 0;
  let failed = 0;
  let expected = '';
  const each = (line: string): string | null => {
    total++;
    let at = line.indexOf('  ');
    if (at < 0) at = line.indexOf(' *');
    if (at < 0) {
      if (flags.has('w')) io.err(`${tool}: invalid format\n`);
      failed++;
      return null;
    }
    expected = line.slice(0, at);
    return line.slice(at + 2);
  };
  const error = yield* eachLine(chunks, each, function* (name) {
    const digest = yield* digestOf(ctx, io, tool, name);
    const ok = digest !== null && digest === expected;
    if (!ok) failed++;
    if (!silent) io.out(`${name}: ${ok ? 'OK' : 'FAILED'}\n`);
  });
  if (error !== null) io.err(`${tool}: ${list}: ${error}\n`);
  if (total === 0) {
    io.err(`${tool}: ${list}: no checksum lines found\n`);
    return 1;
  }
  if (failed > 0 && !silent) io.err(`${tool}: WARNING: ${failed} of ${total} computed checksums did NOT match\n`);
  return failed > 0 || error !== null ? 1 : 0;
}
