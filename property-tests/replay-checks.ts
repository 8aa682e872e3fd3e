/**
 * Invariants 7-9, checked at the end of a sequence rather than after every command: each replays
 * the whole log through the lab shell (tens of milliseconds, against microseconds for a command),
 * and a state reached in the middle of a sequence is also the end of a shorter sequence that the
 * generator produces too, so checking ends covers the same states over a campaign.
 *
 * (7) The sequence's shell lines, run as events through a fresh `LabRuntime`, reach the state
 *     the direct calls reached (the machine's state hash), so the log is the state.
 * (8) Rolling back to a position (a checkpoint of the lab there) and applying the rest of the
 *     events gives the same state hash as the straight replay, for sampled positions.
 * (9) The metadata image of the last commit, written in the on-disk format and read back, is the
 *     same image; the lab's thin_check finds it clean; and it reports damage put into any block
 *     the writer used.
 */
import { readMetadataAsKernel, readMetadataImage } from '../src/format/metadata-reader.js';
import { withRecountedRefcounts } from '../src/model/machine.js';
import { writeMetadataImage } from '../src/format/metadata-writer.js';
import type { LabEvent } from '../src/events/lab-events.js';
import type { Machine } from '../src/model/machine.js';
import type { MetadataImage } from '../src/model/metadata.js';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { restoreLab, snapshotLab, stateHash } from '../src/replay/lab-snapshot.js';
import type { Lab } from '../src/lab/lab.js';
import type { LabShell } from '../src/lab/lab-shell.js';
import { GEOMETRY, renderSequence, type Cmd } from './commands.js';
import { Violation } from './invariants.js';
import type { SequenceConfig, SequenceState } from './runner.js';

/** The state hash of a machine alone (the shell's variables and `$?` are not model state). */
export function machineHash(machine: Machine): string {
  return stateHash({ machine } as unknown as Lab);
}

export interface ReplayOptions {
  /** Positions (1-based, within the log) to roll back to and replay from; default: a few spread out. */
  readonly rollbackPositions?: readonly number[];
}

/** (7) and (8). */
export function checkReplay(
  config: SequenceConfig,
  ran: readonly Cmd[],
  state: SequenceState,
  options: ReplayOptions = {},
): void {
  const lines = renderSequence(config, ran).flat();
  const runtime = LabRuntime.fresh({
    ramdiskKb: GEOMETRY.ramdiskKb,
    ...(config.mutations === undefined ? {} : { mutations: config.mutations }),
    ...(config.stack === undefined ? {} : { stack: config.stack }),
  });
  const positions = new Set(
    options.rollbackPositions ?? [
      0,
      Math.floor(lines.length / 3),
      Math.floor((2 * lines.length) / 3),
      lines.length - 1,
    ],
  );
  const checkpoints = new Map<number, Uint8Array>();
  const events: LabEvent[] = [];
  if (positions.has(0)) checkpoints.set(0, snapshotLab(runtime.lab));
  lines.forEach((line, i) => {
    events.push(runtime.runCommand(line));
    if (positions.has(i + 1) && runtime.shell.quiescent) checkpoints.set(i + 1, snapshotLab(runtime.lab));
  });
  const live = machineHash(state.driver.machine);
  const replayed = machineHash(runtime.shell.machine);
  if (replayed !== live)
    throw new Violation(
      7,
      `replaying the ${lines.length} shell lines of the log does not reach the live state (hash ${replayed.slice(0, 12)} != ${live.slice(0, 12)})`,
      { kind: 'invariants' },
    );
  const end = stateHash(runtime.lab);
  for (const [position, bytes] of checkpoints) {
    const again = new LabRuntime(restoreLab(bytes));
    for (let i = position; i < events.length; i++) again.apply(events[i]!, `prop@${i + 1}`);
    const h = stateHash(again.lab);
    if (h !== end)
      throw new Violation(
        8,
        `rolling back to position ${position} and replaying the rest reaches another state (hash ${h.slice(0, 12)} != ${end.slice(0, 12)})`,
        null,
      );
  }
}

/** (9) for the live pool's committed image: write -> read identity, thin_check clean, damage reported. */
export function checkImage(image: MetadataImage, damageSeed: number, newShell: () => LabShell): void {
  const bytes = writeMetadataImage(image, image.metadataNrBlocks);
  const read = readMetadataImage(bytes);
  if (!read.ok) throw new Violation(9, `the written metadata image does not read back: ${read.error}`, null);
  // Written in the kernel's layout, a snapshot's devices share leaves, whose data blocks the disk
  // counts once (lazily, as the kernel does): the identity is with what a pool opening these bytes
  // holds, which recounts one reference per mapping as the lab keeps them.
  const asKernel = readMetadataAsKernel(bytes);
  if (!asKernel.ok) throw new Violation(9, 'the written metadata image does not open as the kernel reads it', null);
  const opened = withRecountedRefcounts(read.image, asKernel.sharedNodes);
  const diff = imageDifference(image, opened);
  if (diff !== null) throw new Violation(9, `metadata image write -> read changed it: ${diff}`, null);
  const clean = thinCheckStatus(newShell(), bytes);
  if (clean.status !== 0)
    throw new Violation(9, `thin_check finds the committed metadata damaged: ${clean.output.trim()}`, null);
  // Damage: the superblock, and one other block the writer used, chosen by the seed.
  const used: number[] = [];
  for (let b = 1; b < image.metadataNrBlocks; b++) {
    const block = bytes.subarray(b * 4096, (b + 1) * 4096);
    if (block.some((x) => x !== 0)) used.push(b);
  }
  const targets = [0];
  if (used.length > 0) targets.push(used[damageSeed % used.length]!);
  for (const b of targets) {
    const damaged = Uint8Array.from(bytes);
    damaged[b * 4096 + 100] = damaged[b * 4096 + 100]! ^ 0x5a;
    const r = thinCheckStatus(newShell(), damaged);
    if (r.status === 0) throw new Violation(9, `thin_check does not report damage to metadata block ${b}`, null);
  }
}

function thinCheckStatus(shell: LabShell, bytes: Uint8Array): { status: number; output: string } {
  const f = shell.fs.openForWrite('/run/meta', true);
  if (typeof f === 'string') throw new Error(f);
  f.writeBytes(0, bytes);
  const output = shell.runLine('thin_check /run/meta 2>&1');
  return { status: Number(shell.lastStatus), output };
}

/** The first difference between two images in what the format stores, or null. */
export function imageDifference(a: MetadataImage, b: MetadataImage): string | null {
  if (a.time !== b.time) return `time ${a.time} != ${b.time}`;
  if (a.transactionId !== b.transactionId) return `transaction id ${a.transactionId} != ${b.transactionId}`;
  if (a.nrDataBlocks !== b.nrDataBlocks) return `data blocks ${a.nrDataBlocks} != ${b.nrDataBlocks}`;
  if (a.devices.size !== b.devices.size) return `${a.devices.size} devices != ${b.devices.size}`;
  for (const [id, d] of a.devices) {
    const e = b.devices.get(id);
    if (e === undefined) return `device ${id} missing`;
    for (const k of ['mappedBlocks', 'transactionId', 'creationTime', 'snapshottedTime'] as const) {
      if (d.details[k] !== e.details[k]) return `device ${id} ${k} ${d.details[k]} != ${e.details[k]}`;
    }
    const ma: string[] = [];
    const mb: string[] = [];
    d.table.forEach((vb, block, time) => ma.push(`${vb}:${block}@${time}`));
    e.table.forEach((vb, block, time) => mb.push(`${vb}:${block}@${time}`));
    if (ma.join(' ') !== mb.join(' ')) return `device ${id} mappings differ`;
  }
  for (let i = 0; i < a.nrDataBlocks; i++) {
    if ((a.refcounts[i] ?? 0) !== (b.refcounts[i] ?? 0))
      return `refcount of data block ${i}: ${a.refcounts[i]} != ${b.refcounts[i]}`;
  }
  return null;
}
