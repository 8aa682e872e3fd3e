/**
 * The lab: a machine shaped like the oracle VM, with the state of everything that runs on it (LVM,
 * Docker, containerd), its files, and the shell session's variables. This object is the root of a
 * checkpoint (src/replay/lab-snapshot.ts walks the graph from here), so it holds plain data and
 * model objects only; what runs commands over it is the registry (src/lab/registry.ts), and what
 * runs scripts is the shell (src/lab/lab-shell.ts over src/shell/).
 */

import { type CtrdState, newCtrdState } from '../containerd/snapshotter.js';
import { type DockerState, newDockerState } from '../docker/docker-state.js';
import { type LvmState, newLvmState } from '../lvm/lvm-state.js';
import { Machine } from '../model/machine.js';
import type { ModelMutation } from '../model/mutations.js';
import type { StackId } from '../model/stack.js';
import { vmEnvironment } from '../shell/interp.js';
import { newSessionState, type SessionState } from '../shell/session.js';
import type { ShellContext } from './context.js';
import { LabFileSystem } from './fs.js';
import { type HostState, newHostState } from './host/host-state.js';
import { installPackageFiles, packagesOf } from './host/programs.js';

export const DEFAULT_RAMDISK_KB = 65536;

/** Simulated time when the script starts (the VM has booted). */
export const SCRIPT_START_MS = 5_000;

export interface LabSetup {
  readonly ramdiskKb?: number;
  /** Files to place under /files before the script runs (name -> bytes), as the oracle does. */
  readonly files?: ReadonlyMap<string, Uint8Array>;
  /** Deliberate model bugs for the mutation suite (src/model/mutations.ts); none in normal use. */
  readonly mutations?: readonly ModelMutation[];
  /** The shell's step budget per top-level command (docs/shell.md, "Limits"); the default is generous. */
  readonly maxSteps?: number;
  /** The software stack to reproduce (src/model/stack.ts); debian12 unless said. */
  readonly stack?: StackId;
}

export class Lab implements ShellContext {
  /** Makes the type nominal (a LabShell has the same fields); declared only, so not in checkpoints. */
  declare private readonly labBrand: never;
  readonly machine: Machine;
  readonly fs: LabFileSystem;
  /** LVM's volumes and the monitor's log (src/lvm). */
  readonly lvm: LvmState = newLvmState();
  /** Docker's files and daemon (src/docker). */
  readonly docker: DockerState = newDockerState();
  /** containerd and its devmapper snapshotter (src/containerd). */
  readonly containerd: CtrdState = newCtrdState();
  /** The host around the pool: kernel modules, device nodes, systemd units (src/lab/host). */
  readonly host: HostState = newHostState();
  /** The shell session's variables, functions and line count: a checkpoint restores them too. */
  readonly session: SessionState;

  constructor(setup: LabSetup = {}) {
    this.machine = new Machine({
      ramdiskKb: setup.ramdiskKb ?? DEFAULT_RAMDISK_KB,
      ...(setup.mutations === undefined ? {} : { mutations: setup.mutations }),
      ...(setup.stack === undefined ? {} : { stack: setup.stack }),
    });
    this.fs = new LabFileSystem(this.machine.dictionary);
    for (const name of packagesOf(this.machine.stack).keys()) installPackageFiles(this.fs, this.machine.stack, name);
    // The VM's script starts with the environment its init gave it (HOME, TERM, ramdisk_kb ...).
    this.session = newSessionState(setup.maxSteps, vmEnvironment(setup.ramdiskKb ?? DEFAULT_RAMDISK_KB));
    // The lines the oracle VM's kernel logged about device-mapper while it booted (they differ per kernel).
    for (const [ms, text] of this.machine.kernel.bootLog) this.machine.kernelLog.push({ timeMs: ms, text });
    this.machine.advance(SCRIPT_START_MS);
    for (const [name, bytes] of setup.files ?? []) this.fs.provide(`/files/${name}`, bytes);
  }
}
