/**
 * thin_restore as thin-provisioning-tools 1.1.0 (debian13) runs it (src/thin/restore.rs and
 * src/thin/xml.rs of v1.1.0). It checks the input and output paths first (the output must hold
 * ten metadata blocks), then reads the XML event by event into its Restorer, which builds each
 * device's mapping tree as it goes and writes the superblock only when `</superblock>` closes: an
 * input that fails before that leaves the output as it was, which the lab reproduces by writing
 * nothing. Unlike 0.9.0 it keeps `mapped_blocks` as the XML gives it (no recount), writes version
 * 2 with needs_check clear, and takes the overrides `--transaction-id` (the larger wins) and
 * `--data-block-size` (unchecked). Every error is one line, status 64.
 *
 * Shared subtrees are built as 1.1.0 builds them: a `<def>`'s leaves once, each `<ref>` in a device
 * taking them whole or copying their values (metadata-writer-1x.ts), with push_nodes's own order
 * check. What the lab does not model is refused by name: a `<def>` or `<ref>` without a name (1.1.0
 * panics), a device id given twice (1.1.0 keeps the second and leaks the first's tree), `--nr-data-blocks` above the
 * XML's count (1.1.0 then writes a space map root larger than its bitmaps), a live output, and
 * what quick_xml itself refuses (xml-events-1x.ts).
 */
import type { DeviceDetails } from '../model/metadata.js';
import { rustUintError } from './clap.js';
import type { BuiltSuperblock } from './metadata-output.js';
import {
  defLeaves1x,
  type Entry1x,
  type Mapping1x,
  OutOfMetadataSpace1x,
  type Section1x,
  writeSections1x,
  writtenBeforeFailure1x,
} from './metadata-writer-1x.js';
import { BLOCK_SIZE } from '../format/layout.js';
import { INVALID_LOG_LEVEL_1X, LOG_INFO, logLevel1x } from './log-level-1x.js';
import { FAILURE_1X } from './release.js';
import { openInput1x, outputTarget, readInputBytes, type ToolEnv, writeMetadataBytes } from './tool-io.js';
import { type XmlEvent1x, xmlEvents1x } from './xml-events-1x.js';

/** A status of 1: the lab has no 1.1.0 words for this run, and defineTool refuses it by name. */
const UNMODELLED = 1;

/** check_output_file: "minimal thin metadata size is 10 blocks, with one device" (utils.rs). */
export const MIN_OUTPUT_BYTES_1X = 40960;

/** An error 1.1.0 prints as one line; `Unmodelled` is a case the lab refuses. */
class Fatal extends Error {}
class Unmodelled extends Error {}

/** 1.1.0's checks of an output file (thin_restore, thin_repair): null when it may be written. */
export function outputProblem1x(env: ToolEnv, output: string): { message: string } | { unmodelled: true } | null {
  const out = outputTarget(env.ctx, output);
  if (!out.ok && out.why === 'missing') return { message: `Couldn't find output file '${output}'\n` };
  if (!out.ok && out.why === 'directory')
    return { message: 'Invalid output file: Not a block device or regular file\n' };
  if (!out.ok || out.held) return { unmodelled: true };
  if (!out.isBlock && out.sizeBytes < MIN_OUTPUT_BYTES_1X) return { message: 'Output file too small.\n' };
  return null;
}

type Attrs = ReadonlyMap<string, string>;

/** The attributes of `tag`, each known and parsed in the order written, then the required ones checked. */
function readAttrs(e: XmlEvent1x, tag: string, known: Record<string, 32 | 64 | 'string'>): Attrs {
  for (const [key, value] of e.attrs) {
    const kind = known[key];
    if (kind === undefined) throw new Fatal(`unknown attribute '${key}' in tag '${tag}'`);
    if (kind === 'string') {
      if (value.includes('&')) throw new Unmodelled('an escaped attribute value');
      continue;
    }
    const why = rustUintError(value, kind);
    if (why !== null) throw new Fatal(why);
  }
  return new Map(e.attrs);
}

/** check_attr: the attribute, or 1.1.0's complaint (whose quote after the tag is missing in 1.1.0). */
function need(attrs: Attrs, tag: string, name: string): string {
  const v = attrs.get(name);
  if (v === undefined) throw new Fatal(`missing attribute '${name}' for tag '${tag}`);
  return v;
}

const num = (attrs: Attrs, tag: string, name: string): number => Number(need(attrs, tag, name));

const SB_ATTRS = {
  uuid: 'string',
  time: 32,
  transaction: 64,
  flags: 32,
  version: 32,
  data_block_size: 32,
  nr_data_blocks: 64,
  metadata_snap: 64,
} as const;
const DEVICE_ATTRS = { dev_id: 32, mapped_blocks: 64, transaction: 64, creation_time: 32, snap_time: 32 } as const;
const SINGLE_ATTRS = { origin_block: 64, data_block: 64, time: 32 } as const;
const RANGE_ATTRS = { origin_begin: 64, data_begin: 64, time: 32, length: 64 } as const;

interface Restored {
  sb: BuiltSuperblock;
  sections: readonly Section1x[];
}

/** The `<def>` or `<device>` the Restorer is in. */
interface OpenSection {
  /** The def's name, or the device's id and details. */
  readonly def: string | null;
  readonly device: { id: number; details: DeviceDetails } | null;
  readonly entries: Entry1x[];
  /** The builder's last_key (-1 for none): the last mapping's, or what the last `<ref>` left. */
  lastKey: number;
}

/** A `<def>` as a `<ref>` sees it: how many leaves, the first key of the first and of the last. */
interface DefLeaves {
  readonly count: number;
  readonly firstKey: number;
  readonly lastKey: number;
}

/** How far the Restorer got: what a failure leaves written depends on it. */
interface Progress {
  /** What it finalised (written at `</superblock>`). */
  finalized: Restored | null;
  /** The superblock it began, the defs and devices it read whole, in order, and the one it was in. */
  sb: BuiltSuperblock | null;
  readonly sections: Section1x[];
  readonly deviceIds: Set<number>;
  readonly defs: Map<string, DefLeaves>;
  current: OpenSection | null;
  /** The error came from a push of a mapping (its key's order, its data block's bound). */
  failedInPush: boolean;
}

/** The Restorer of 1.1.0 over the events: how far it got, and the error it stopped at, if any. */
function restoreEvents(
  events: readonly XmlEvent1x[],
  onDevice: (id: number) => void,
): { progress: Progress; error: Error | null } {
  const progress: Progress = {
    finalized: null,
    sb: null,
    sections: [],
    deviceIds: new Set(),
    defs: new Map(),
    current: null,
    failedInPush: false,
  };
  try {
    readEvents(events, progress, onDevice);
    return {
      progress,
      error: progress.finalized === null ? new Fatal('incomplete source metadata') : null,
    };
  } catch (e) {
    if (e instanceof Fatal || e instanceof Unmodelled) return { progress, error: e };
    throw e;
  }
}

function readEvents(events: readonly XmlEvent1x[], p: Progress, onDevice: (id: number) => void): void {
  let section: Section = 'none';
  const map = (thinBegin: number, dataBegin: number, length: number, time: number): void => {
    const current = p.current;
    if (current === null) throw new Fatal('Mapping tags must appear within a <def> or <device> tag.');
    for (let i = 0; i < length; i++) {
      // The builder checks the key's order before it counts the data block in the space map.
      p.failedInPush = true;
      if (thinBegin + i <= current.lastKey) throw new Fatal('keys out of order');
      if (dataBegin + i >= p.sb!.nrDataBlocks) throw new Fatal('block out of bounds');
      p.failedInPush = false;
      current.lastKey = thinBegin + i;
      mappingsOf(current).push({ vblock: thinBegin + i, dataBlock: dataBegin + i, time });
    }
  };
  for (const e of events) {
    if (e.kind === 'other') throw new Fatal(`unsupported element at byte ${e.endByte}`);
    const shared = sharedEvent(e, p, section);
    if (shared !== null) {
      section = shared;
      continue;
    }
    if (e.kind === 'start' && e.name === 'superblock') {
      const a = readAttrs(e, 'superblock', SB_ATTRS);
      for (const name of ['uuid', 'time', 'transaction', 'data_block_size', 'nr_data_blocks'])
        need(a, 'superblock', name);
      if (section !== 'none') throw new Fatal('duplicated superblock');
      const dataBlockSize = num(a, 'superblock', 'data_block_size');
      if (dataBlockSize < 128 || dataBlockSize > 2097152 || (dataBlockSize & 0x7f) !== 0)
        throw new Fatal('invalid data block size');
      const time = num(a, 'superblock', 'time');
      const transactionId = BigInt(need(a, 'superblock', 'transaction'));
      const nrDataBlocks = num(a, 'superblock', 'nr_data_blocks');
      p.sb = { time, transactionId, flags: 0, version: 2, dataBlockSize, nrDataBlocks };
      section = 'superblock';
    } else if (e.kind === 'start' && e.name === 'device') {
      const a = readAttrs(e, 'device', DEVICE_ATTRS);
      const n = (name: string): number => num(a, 'device', name);
      // Checked in 1.1.0's order: dev_id first.
      const id = n('dev_id');
      const details: DeviceDetails = {
        mappedBlocks: n('mapped_blocks'),
        transactionId: BigInt(need(a, 'device', 'transaction')),
        creationTime: n('creation_time'),
        snapshottedTime: n('snap_time'),
      };
      if (section !== 'superblock') throw new Fatal('missing superblock');
      onDevice(id);
      p.current = { def: null, device: { id, details }, entries: [], lastKey: -1 };
      section = 'device';
    } else if (e.kind === 'start') {
      throw new Fatal(`unknown start tag at byte ${e.endByte}`);
    } else if (e.kind === 'end' && e.name === 'device') {
      const { device, entries } = p.current!;
      if (p.deviceIds.has(device!.id)) throw new Unmodelled('a device id given twice');
      p.deviceIds.add(device!.id);
      p.sections.push({ device: { ...device!, entries } });
      p.current = null;
      section = 'superblock';
    } else if (e.kind === 'end' && e.name === 'superblock') {
      if (p.sb === null) throw new Fatal('missing superblock');
      if (section !== 'superblock') throw new Unmodelled('</superblock> inside a device');
      // In the order read: 1.1.0 writes each device's leaves as it reads it (metadata-writer-1x.ts).
      p.finalized = { sb: p.sb, sections: [...p.sections] };
      section = 'finalized';
    } else if (e.kind === 'end') {
      throw new Fatal(`unknown end tag at byte ${e.endByte}`);
    } else if (e.name === 'single_mapping') {
      const a = readAttrs(e, 'single_mapping', SINGLE_ATTRS);
      const n = (name: string): number => num(a, 'single_mapping', name);
      map(n('origin_block'), n('data_block'), 1, n('time'));
    } else if (e.name === 'range_mapping') {
      const a = readAttrs(e, 'range_mapping', RANGE_ATTRS);
      const n = (name: string): number => num(a, 'range_mapping', name);
      map(n('origin_begin'), n('data_begin'), n('length'), n('time'));
    } else {
      throw new Fatal(`unknown empty element at byte ${e.endByte}`);
    }
  }
}

type Section = 'none' | 'superblock' | 'device' | 'def' | 'finalized';

/** def_shared_b, def_shared_e and ref_shared: the section after `e`, or null when `e` is none of theirs. */
function sharedEvent(e: XmlEvent1x, p: Progress, section: Section): Section | null {
  if (e.kind === 'start' && e.name === 'def') {
    const name = nameOf(e, 'def');
    if (section !== 'superblock') throw new Fatal('missing superblock');
    p.current = { def: name, device: null, entries: [], lastKey: -1 };
    return 'def';
  }
  if (e.kind === 'end' && e.name === 'def') {
    // quick_xml checks end names: this closes the <def> begun above, which holds only mappings.
    const mappings = p.current!.entries.flatMap((x) => ('mappings' in x ? x.mappings : []));
    p.defs.set(p.current!.def!, { ...defLeaves1x(mappings), firstKey: mappings[0]?.vblock ?? 0 });
    p.sections.push({ def: { id: p.current!.def!, mappings } });
    p.current = null;
    return 'superblock';
  }
  if (e.kind === 'empty' && e.name === 'ref') {
    refShared(p, nameOf(e, 'ref'));
    return section;
  }
  return null;
}

/** The mappings entry a mapping is pushed to: the last one, or a new one after a `<ref>`. */
function mappingsOf(current: OpenSection): Mapping1x[] {
  const last = current.entries.at(-1);
  if (last !== undefined && 'mappings' in last) return last.mappings as Mapping1x[];
  const mappings: Mapping1x[] = [];
  current.entries.push({ mappings });
  return mappings;
}

/** parse_def: the `name` of a `<def>` or `<ref>`; 1.1.0 unwraps it, so a missing one panics. */
function nameOf(e: XmlEvent1x, tag: 'def' | 'ref'): string {
  const name = readAttrs(e, tag, { name: 'string' }).get('name');
  if (name === undefined) throw new Unmodelled(`a <${tag}> without a name (1.1.0 panics)`);
  return name;
}

/**
 * ref_shared and push_nodes: a def's leaves go into the device. A def of one leaf pushed first
 * may be the device's root and is taken without a check; otherwise the first key of its first
 * leaf must follow the last key pushed, and the first key of its last leaf becomes that key.
 */
function refShared(p: Progress, name: string): void {
  const current = p.current;
  if (current?.device == null) throw new Fatal('<ref> tags may only occur within <device> sections.');
  const def = p.defs.get(name);
  if (def === undefined) throw new Fatal(`Couldn't find sub tree '${name}'.`);
  const maybeRoot = def.count === 1 && current.entries.length === 0;
  if (!maybeRoot && current.lastKey >= 0 && def.firstKey <= current.lastKey) throw new Fatal('keys out of order');
  current.entries.push({ ref: name });
  if (!maybeRoot) current.lastKey = def.lastKey;
}

/**
 * thin_restore 1.1.0 from `input` to `output`, with the overrides given and the hidden -v given
 * `verbose` times; the exit status. At Info (-v and more; it has no debug lines) the Restorer says
 * `building btree for device N` as each `<device>` opens, before its mappings are read.
 */
export function restore1x(
  env: ToolEnv,
  input: string,
  output: string,
  overrides: ReadonlyMap<string, string>,
  verbose = 0,
): number {
  const fail = (message: string): number => {
    env.io.err(message);
    return FAILURE_1X;
  };
  const level = logLevel1x(verbose);
  if (level === null) return fail(INVALID_LOG_LEVEL_1X);
  const opened = openInput1x(env.ctx, input, false);
  if (!opened.ok) return fail(opened.message);
  const problem = outputProblem1x(env, output);
  if (problem !== null) return 'message' in problem ? fail(problem.message) : UNMODELLED;
  const events = xmlEvents1x(new TextDecoder('latin1').decode(opened.bytes));
  if (!('ok' in events)) return UNMODELLED;
  const devices: number[] = [];
  const { progress, error } = restoreEvents(events.events, (id) => devices.push(id));
  if (error instanceof Unmodelled) return UNMODELLED;
  const lines = level >= LOG_INFO ? devices.map((id) => `building btree for device ${id}\n`) : [];
  if (progress.finalized !== null) {
    const status = writeRestored(env, output, progress.finalized, overrides, lines);
    if (status !== 0 || error === null) return status;
    return fail(`${error.message}\n`);
  }
  return writeBeforeFailure(env, output, progress, lines, error!);
}

/**
 * A restore whose input failed before `</superblock>`: the nodes the Restorer wrote by then reach
 * the output all the same (its WriteBatcher flushes them when dropped), unless the blocks ran out
 * first, which is then the error 1.1.0 gives.
 */
function writeBeforeFailure(env: ToolEnv, output: string, p: Progress, lines: readonly string[], error: Error): number {
  if (p.sb === null) {
    env.io.err(`${lines.join('')}${error.message}\n`);
    return FAILURE_1X;
  }
  const size = outputTarget(env.ctx, output);
  if (!size.ok) return UNMODELLED;
  const open =
    p.current === null
      ? null
      : { shared: p.current.def !== null, entries: p.current.entries, failedInPush: p.failedInPush };
  try {
    const written = writtenBeforeFailure1x(Math.floor(size.sizeBytes / BLOCK_SIZE), p.sb, p.sections, open);
    if (!writeOver(env, output, written)) return UNMODELLED;
    env.io.err(`${lines.join('')}${error.message}\n`);
    return FAILURE_1X;
  } catch (e) {
    return outOfSpace(env, output, e, lines);
  }
}

/** The blocks written, each over what the output held; false where the output cannot be read back. */
function writeOver(env: ToolEnv, output: string, written: ReadonlyMap<number, Uint8Array>): boolean {
  if (written.size === 0) return true;
  const before = readInputBytes(env.ctx, output, false);
  if (!before.ok) return false;
  const image = Uint8Array.from(before.bytes);
  for (const [b, bytes] of written) image.set(bytes, b * BLOCK_SIZE);
  writeMetadataBytes(env.ctx, output, image);
  return true;
}

/**
 * 1.1.0 failed as it allocated: the blocks it wrote before stay, and the `building btree` lines
 * stop at the device it failed in (it writes each device's nodes as it reads the device).
 */
function outOfSpace(env: ToolEnv, output: string, e: unknown, lines: readonly string[]): number {
  if (!(e instanceof OutOfMetadataSpace1x)) throw e;
  if (!writeOver(env, output, e.written)) return UNMODELLED;
  env.io.err(`${lines.slice(0, e.devicesBegun).join('')}out of metadata space\n`);
  return FAILURE_1X;
}

/**
 * Writes what the restorer finalised, with the superblock overrides applied, and prints the info
 * `lines` the reading gave before its own words; the exit status.
 */
function writeRestored(
  env: ToolEnv,
  output: string,
  restored: Restored,
  overrides: ReadonlyMap<string, string>,
  lines: readonly string[],
): number {
  const sb = { ...restored.sb };
  const tid = overrides.get('transaction-id');
  if (tid !== undefined && BigInt(tid) > sb.transactionId) sb.transactionId = BigInt(tid);
  const blockSize = overrides.get('data-block-size');
  if (blockSize !== undefined) sb.dataBlockSize = Number(blockSize);
  const nrBlocks = overrides.get('nr-data-blocks');
  if (nrBlocks !== undefined && Number(nrBlocks) > sb.nrDataBlocks) return UNMODELLED;
  const size = outputTarget(env.ctx, output);
  if (!size.ok) return UNMODELLED;
  try {
    const { bytes } = writeSections1x(Math.floor(size.sizeBytes / BLOCK_SIZE), sb, restored.sections);
    writeMetadataBytes(env.ctx, output, bytes);
    env.io.err(lines.join(''));
    return 0;
  } catch (e) {
    return outOfSpace(env, output, e, lines);
  }
}
