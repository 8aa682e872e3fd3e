/**
 * What the CLI reads from the host for a lab (a script, a FILE placed at /files/<name>, an image
 * to attach, a scenario file) is read up to a bound. A read to the end would never end on
 * `/dev/zero` or an endless pipe: the process grew to gigabytes and died of V8's heap limit
 * (issue 17, defect 9: `thinlab sh /dev/zero`, `thinlab sh < /dev/zero`).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { VM_FREE_MEMORY_BYTES } from '../lab/fs.js';
import { UsageError } from './output.js';

/** A script is held as one string: far more than any real script, far less than V8's longest string. */
export const SCRIPT_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * A FILE or an image cannot be larger than the memory the oracle VM has free: the oracle copies it
 * into the VM's initramfs, which lives in that memory.
 */
export const HOST_FILE_LIMIT_BYTES = VM_FREE_MEMORY_BYTES;

const CHUNK_BYTES = 1024 * 1024;

/**
 * The bytes of `file` (a path, or 0 for standard input), or null when it holds more than
 * `limitBytes`: a regular file is measured first, anything else is read until it ends or passes
 * the limit. Errors of the file system (ENOENT, EISDIR ...) are thrown as they are.
 */
export function readBounded(file: string | 0, limitBytes: number): Buffer | null {
  const fd = file === 0 ? 0 : openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > limitBytes) return null;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, limitBytes + 1 - total));
      const n = readRetrying(fd, chunk);
      if (n === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limitBytes) return null;
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** readSync, waiting out EAGAIN: standard input may be a non-blocking pipe. */
function readRetrying(fd: number, into: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, into, 0, into.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/** How a limit reads in a message: `64 MiB`. */
export function mib(bytes: number): string {
  return `${Math.floor(bytes / (1024 * 1024))} MiB`;
}

/**
 * A host file for the lab (a FILE for /files, an image to attach), up to the memory the oracle VM
 * has free; `what` (`a FILE`, `an image`) names it in the refusal.
 */
export function readHostFile(path: string, what: string): Buffer {
  let bytes: Buffer | null;
  try {
    bytes = readBounded(path, HOST_FILE_LIMIT_BYTES);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (bytes === null)
    throw new UsageError(
      `not modelled: ${what} larger than ${mib(HOST_FILE_LIMIT_BYTES)} (${path}): the oracle VM has no more memory free to hold it`,
    );
  return bytes;
}
