/**
 * Folding events into a lab: a lab shell (its machine, files and variables) plus the lifecycle
 * machines that check every lifecycle change. `apply` runs one event and checks that the model
 * decided exactly what the event recorded; a difference means the lab is not deterministic, or
 * the log was written by a lab with other rules, and is reported with the event's position.
 */

import type { ImageAttached, LabEvent, ShellCommandRan } from '../events/lab-events.js';
import { attachImage } from '../lab/attach-image.js';
import { Lab, type LabSetup } from '../lab/lab.js';
import { LabShell } from '../lab/lab-shell-core.js';
import { Errno, strerror } from '../model/errno.js';
import { type BlockDev, LAB_WOULD_BLOCK } from '../model/machine.js';
import type { BranchInfo } from './branch-registry.js';
import { LifecycleTracker, summarize } from './lifecycle-tracker.js';

/** How a piece of a script file ran (absent from an event for a line run as at a prompt). */
type ScriptPieceMode = NonNullable<ShellCommandRan['data']['mode']>;

export class DivergenceError extends Error {
  override readonly name = 'DivergenceError';
  readonly code = 'REPLAY_DIVERGED';
}

/** A fresh lab for a history: the machine's size, its stack and deliberate model bugs (mutation suite only). */
export type LabOptions = Omit<LabSetup, 'files'>;

export class LabRuntime {
  /** The lab state: what a checkpoint holds. */
  readonly lab: Lab;
  /** The shell that runs the recorded commands over the lab. */
  readonly shell: LabShell;
  private readonly tracker = new LifecycleTracker();
  private lifecycleSeen = -1;

  constructor(lab: Lab = new Lab()) {
    this.lab = lab;
    const shell = new LabShell(lab);
    this.shell = shell;
    shell.machine.traceOperations = true;
    shell.machine.takeOperations();
    this.tracker.reset(summarize(shell.machine, shell.containerd));
    this.lifecycleSeen = shell.machine.lifecycleEpoch;
  }

  static fresh(options: LabOptions = {}): LabRuntime {
    return new LabRuntime(
      new Lab({
        ...(options.ramdiskKb === undefined ? {} : { ramdiskKb: options.ramdiskKb }),
        ...(options.mutations === undefined || options.mutations.length === 0 ? {} : { mutations: options.mutations }),
        ...(options.stack === undefined ? {} : { stack: options.stack }),
      }),
    );
  }

  /** A fresh lab for a branch: its machine's size, its stack and its deliberate bugs, as recorded. */
  static forBranch(info: Pick<BranchInfo, 'ramdiskKb' | 'stack' | 'mutations'>): LabRuntime {
    return LabRuntime.fresh({ ramdiskKb: info.ramdiskKb, stack: info.stack, mutations: info.mutations });
  }

  /**
   * Runs a shell command for the first time and returns the event that records it: a line as at a
   * prompt, or a piece of a script file (`mode`, recorded so that a replay runs it the same way).
   */
  runCommand(command: string, mode: ScriptPieceMode | 'line' = 'line'): LabEvent {
    const output = this.shell.runLine(command, mode);
    const status = Number(this.shell.lastStatus);
    this.checkLifecycle(command);
    const operations = this.shell.machine.takeOperations();
    return {
      type: 'ShellCommandRan',
      ...(mode === 'line'
        ? { version: 3, data: { command, output, status, operations } }
        : { version: 4, data: { command, output, status, operations, mode } }),
    };
  }

  /** Writes whole sectors of one byte straight to a device (no shell), as an event. */
  writeBlocks(device: string, sector: number, sectors: number, byte: number): LabEvent {
    const errno = this.doWrite(device, sector, sectors, byte);
    this.checkLifecycle(`write ${device}`);
    return { type: 'BlocksWritten', version: 1, data: { device, sector, sectors, byte, errno } };
  }

  advanceClock(ms: number): LabEvent {
    this.shell.machine.advance(ms);
    this.checkLifecycle('clock');
    return { type: 'ClockAdvanced', version: 1, data: { ms } };
  }

  /** Places a host image on a RAM disk (src/lab/attach-image.ts), as an event. */
  attachImage(data: ImageAttached['data']): LabEvent {
    attachImage(this.lab, data.device, data.file, data.sizeBytes, data.runs);
    this.checkLifecycle(`attach ${data.device}`);
    return { type: 'ImageAttached', version: 1, data };
  }

  /** Replays one recorded event; returns what it printed (the recorded output). */
  apply(event: LabEvent, where: string): string {
    switch (event.type) {
      case 'ShellCommandRan': {
        const output = this.shell.runLine(event.data.command, event.data.mode ?? 'line');
        if (output !== event.data.output) {
          throw new DivergenceError(
            `${where}: '${event.data.command}' printed something else on replay than when it was recorded`,
          );
        }
        const operations = this.shell.machine.takeOperations();
        if (event.data.operations !== undefined && operations.join('\n') !== event.data.operations.join('\n')) {
          throw new DivergenceError(
            `${where}: '${event.data.command}' did other device-mapper operations on replay than when it was recorded`,
          );
        }
        this.checkLifecycle(event.data.command);
        return event.data.output;
      }
      case 'BlocksWritten': {
        const errno = this.doWrite(event.data.device, event.data.sector, event.data.sectors, event.data.byte);
        if (errno !== event.data.errno) {
          throw new DivergenceError(
            `${where}: write to ${event.data.device} ended with ${strerror(errno)} on replay, ${strerror(event.data.errno)} when recorded`,
          );
        }
        this.checkLifecycle(`write ${event.data.device}`);
        return '';
      }
      case 'ClockAdvanced':
        this.shell.machine.advance(event.data.ms);
        this.checkLifecycle('clock');
        return '';
      case 'ImageAttached':
        this.attachImage(event.data);
        return '';
      default:
        return '';
    }
  }

  lifecycleStates(): { pools: Record<string, string>; thins: Record<string, string> } {
    return this.tracker.states();
  }

  /** Devices by path, valid while the machine's lifecycle epoch stays the same. */
  private readonly resolved = new Map<string, BlockDev | null>();
  private resolvedEpoch = -1;
  /** Sectors of one byte, shared between writes: the pool and the stores copy what they keep. */
  private readonly fills = new Map<number, Uint32Array>();

  private doWrite(device: string, sector: number, sectors: number, byte: number): number {
    const m = this.shell.machine;
    if (this.resolvedEpoch !== m.lifecycleEpoch) {
      this.resolved.clear();
      this.resolvedEpoch = m.lifecycleEpoch;
    }
    let dev = this.resolved.get(device);
    if (dev === undefined) {
      dev = m.resolveDevice(device);
      this.resolved.set(device, dev);
    }
    if (dev === null) return Errno.ENXIO;
    if (sector + sectors > m.sizeSectors(dev)) return Errno.ENOSPC;
    const key = sectors * 256 + byte;
    let tokens = this.fills.get(key);
    if (tokens === undefined) {
      tokens = new Uint32Array(sectors).fill(byte);
      if (this.fills.size < 64) this.fills.set(key, tokens);
    }
    const ticket = m.writeSectors(dev, sector, tokens);
    if (!ticket.done) m.runUntil(Number.POSITIVE_INFINITY, () => ticket.done);
    return ticket.done ? ticket.errno : LAB_WOULD_BLOCK;
  }

  /** Feeds the lifecycle machines only when something lifecycle-relevant may have changed. */
  private checkLifecycle(what: string): void {
    const epoch = this.shell.machine.lifecycleEpoch;
    if (epoch === this.lifecycleSeen) return;
    this.lifecycleSeen = epoch;
    this.tracker.advance(summarize(this.shell.machine, this.shell.containerd), what);
  }
}
