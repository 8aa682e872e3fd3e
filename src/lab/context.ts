/**
 * What every lab command sees: the machine, the file system, standard input, and writers for
 * standard output and standard error (which the shell interleaves in order, as a terminal would).
 * How a path resolves to a file, a device or a kernel file is src/lab/vfs.ts.
 */
import type { Machine } from '../model/machine.js';
import type { LabFileSystem } from './fs.js';

export interface CommandIo {
  readonly stdin: Uint8Array;
  out(bytes: Uint8Array | string): void;
  err(text: string): void;
}

export interface ShellContext {
  readonly machine: Machine;
  readonly fs: LabFileSystem;
}
