/**
 * A shell over a lab: the ash language of src/shell/ running the lab's commands (the registry of
 * src/lab/commands.ts) on the lab's machine and files. This object holds no state of its own that
 * a checkpoint needs: the lab (including the session's variables) is the checkpoint's root, and a
 * shell is made over a lab again after a restore.
 */

import type { CtrdState } from '../containerd/snapshotter.js';
import type { DockerState } from '../docker/docker-state.js';
import type { LvmState } from '../lvm/lvm-state.js';
import { Errno, strerror } from '../model/errno.js';
import type { Machine } from '../model/machine.js';
import type { FileProbe } from '../shell/builtins.js';
import type { CommandIo, Sink } from '../shell/io.js';
import { type ShellPort, ShellSession } from '../shell/session.js';
import type { Steps } from '../shell/wait.js';
import { COMMANDS } from './commands.js';
import { memoryFreeBytes, ramDisksBytes } from './fs-memory.js';
import { openOutputTarget, writeNoSpaceTimeout } from './command-output.js';
import type { LabFileSystem } from './fs.js';
import { Lab, type LabSetup } from './lab.js';
import { type CommandRegistry, runCommand, streamsInput } from './registry.js';
import { isLink, listDirectory } from './nodes.js';
import { fileKind, lookupPath, readPath } from './vfs.js';

/** The shell's way into the lab: commands through the registry, files through the VFS. */
export class LabPort implements ShellPort {
  constructor(
    private readonly lab: Lab,
    private readonly registry: CommandRegistry = COMMANDS,
  ) {
    // The files' writes count the RAM disks against the VM's memory too (one budget).
    lab.fs.memoryElsewhere = () => ramDisksBytes(lab.machine);
  }

  get machine(): Machine {
    return this.lab.machine;
  }

  get files(): FileProbe {
    return {
      kind: (path) => fileKind(this.lab, path),
      isLink: (path) => isLink(this.lab, path),
      sizeBytes: (path) => {
        const data = readPath(this.lab, path);
        return typeof data === 'string' ? 0 : data.length;
      },
      entries: (dir) => {
        const names = listDirectory(this.lab, dir);
        return Array.isArray(names) ? names : null;
      },
    };
  }

  command(name: string, args: readonly string[], io: CommandIo): Steps<number> | null {
    return runCommand(this.registry, this.lab, name, args, io);
  }

  streamsInput(name: string): boolean {
    return streamsInput(this.lab, name);
  }

  openOutput(path: string, append: boolean): Sink | string {
    const target = openOutputTarget(this.lab, path, append);
    switch (target.kind) {
      case 'discard':
        return { kind: 'null' };
      case 'param':
        return { kind: 'param', text: '' };
      case 'device':
        return `writing to a device with a redirection is not supported in the lab (use dd of=${path})`;
      case 'failed':
        // ash words ENOENT its own way (errmsg's "nonexistent directory"), every other errno as strerror.
        return target.errno === Errno.ENOENT ? 'nonexistent directory' : strerror(target.errno);
      case 'file':
        return { kind: 'file', file: target.file };
    }
  }

  readInput(path: string): Uint8Array | string {
    const data = readPath(this.lab, path);
    if (data === 'No such file or directory') return 'no such file';
    return data;
  }

  endlessInput(path: string): boolean {
    return lookupPath(this.lab, path).kind === 'zero';
  }

  holdOpen(path: string): (() => void) | null {
    const target = lookupPath(this.lab, path);
    if (target.kind !== 'block') return null;
    const machine = this.lab.machine;
    const dev = target.dev;
    machine.openBlock(dev);
    return () => machine.closeBlock(dev);
  }

  memoryFreeBytes(): number {
    return memoryFreeBytes(this.lab.fs, this.lab.machine);
  }

  closeParam(text: string): string | null {
    return writeNoSpaceTimeout(this.lab, text);
  }
}

export class LabShell extends ShellSession {
  readonly lab: Lab;

  /** A shell over a lab: a fresh one made from `setup`, or one that exists (restored from a checkpoint). */
  constructor(labOrSetup: Lab | LabSetup = {}) {
    const lab = labOrSetup instanceof Lab ? labOrSetup : new Lab(labOrSetup);
    super(new LabPort(lab), lab.session);
    this.lab = lab;
  }

  override get machine(): Machine {
    return this.lab.machine;
  }

  get fs(): LabFileSystem {
    return this.lab.fs;
  }

  get lvm(): LvmState {
    return this.lab.lvm;
  }

  get docker(): DockerState {
    return this.lab.docker;
  }

  get containerd(): CtrdState {
    return this.lab.containerd;
  }
}
