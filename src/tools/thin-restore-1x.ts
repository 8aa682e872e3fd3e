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
 * What the lab does not model is refused by name: shared subtrees (`<def>`, `<ref>`), a device id
 * given twice (1.1.0 keeps the second and leaks the first's tree), `--nr-data-blocks` above the
 * XML's count (1.1.0 then writes a space map root larger than its bitmaps), a live output, and
 * what quick_xml itself refuses (xml-events-1x.ts).
 */
import type { DeviceDetails } from '../model/metadata.js';
import { rustUintError } from './clap.js';
import type { BuiltDevice, BuiltSuperblock } from './metadata-output.js';
import { OutOfMetadataSpace1x, writeMetadata1x } from './metadata-writer-1x.js';
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
  devices: Map<number, BuiltDevice>;
}

/**
 * The Restorer of 1.1.0 over the events: what it finalised (written at `</superblock>`), and the
 * error it stopped at, if any (a second superblock fails after the first was written).
 */
function restoreEvents(
  events: readonly XmlEvent1x[],
  onDevice: (id: number) => void,
): { finalized: Restored | null; error: Error | null } {
  const state: { finalized: Restored | null } = { finalized: null };
  try {
    readEvents(events, state, onDevice);
    return {
      finalized: state.finalized,
      error: state.finalized === null ? new Fatal('incomplete source metadata') : null,
    };
  } catch (e) {
    if (e instanceof Fatal || e instanceof Unmodelled) return { finalized: state.finalized, error: e };
    throw e;
  }
}

function readEvents(
  events: readonly XmlEvent1x[],
  state: { finalized: Restored | null },
  onDevice: (id: number) => void,
): void {
  let sb: BuiltSuperblock | null = null;
  let section: 'none' | 'superblock' | 'device' | 'finalized' = 'none';
  const devices = new Map<number, BuiltDevice>();
  let current: { id: number; dev: BuiltDevice; lastKey: number } | null = null;
  const map = (thinBegin: number, dataBegin: number, length: number, time: number): void => {
    if (current === null) throw new Fatal('Mapping tags must appear within a <def> or <device> tag.');
    for (let i = 0; i < length; i++) {
      // The builder checks the key's order before it counts the data block in the space map.
      if (thinBegin + i <= current.lastKey) throw new Fatal('keys out of order');
      if (dataBegin + i >= sb!.nrDataBlocks) throw new Fatal('block out of bounds');
      current.lastKey = thinBegin + i;
      current.dev.mappings.push({ vblock: thinBegin + i, dataBlock: dataBegin + i, time });
    }
  };
  for (const e of events) {
    if (e.kind === 'other') throw new Fatal(`unsupported element at byte ${e.endByte}`);
    if (e.name === 'def' || e.name === 'ref') throw new Unmodelled('shared subtrees (<def> and <ref>)');
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
      sb = { time, transactionId, flags: 0, version: 2, dataBlockSize, nrDataBlocks };
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
      current = { id, dev: { details, mappings: [] }, lastKey: -1 };
      section = 'device';
    } else if (e.kind === 'start') {
      throw new Fatal(`unknown start tag at byte ${e.endByte}`);
    } else if (e.kind === 'end' && e.name === 'device') {
      if (devices.has(current!.id)) throw new Unmodelled('a device id given twice');
      devices.set(current!.id, current!.dev);
      current = null;
      section = 'superblock';
    } else if (e.kind === 'end' && e.name === 'superblock') {
      if (sb === null) throw new Fatal('missing superblock');
      if (section !== 'superblock') throw new Unmodelled('</superblock> inside a device');
      // In the order read: 1.1.0 writes each device's leaves as it reads it (metadata-writer-1x.ts).
      state.finalized = { sb, devices: new Map(devices) };
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
  const { finalized, error } = restoreEvents(events.events, (id) => devices.push(id));
  if (error instanceof Unmodelled) return UNMODELLED;
  const lines = level >= LOG_INFO ? devices.map((id) => `building btree for device ${id}\n`) : [];
  if (finalized !== null) {
    const status = writeRestored(env, output, finalized, overrides, lines);
    if (status !== 0 || error === null) return status;
  } else env.io.err(lines.join(''));
  return fail(`${error!.message}\n`);
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
  const devices = [...restored.devices].map(([id, d]) => ({
    id,
    details: d.details,
    entries: [{ mappings: d.mappings }],
  }));
  try {
    const { bytes } = writeMetadata1x(Math.floor(size.sizeBytes / BLOCK_SIZE), sb, devices);
    writeMetadataBytes(env.ctx, output, bytes);
    env.io.err(lines.join(''));
    return 0;
  } catch (e) {
    if (!(e instanceof OutOfMetadataSpace1x)) throw e;
    // 1.1.0 fails as it allocates; the blocks it wrote before reach the output all the same (its
    // WriteBatcher flushes them when dropped), each over what the output held.
    const before = readInputBytes(env.ctx, output, false);
    if (!before.ok) return UNMODELLED;
    const image = Uint8Array.from(before.bytes);
    for (const [b, bytes] of e.written) image.set(bytes, b * BLOCK_SIZE);
    writeMetadataBytes(env.ctx, output, image);
    // 1.1.0 writes each device's nodes as it reads the device, so the lines stop at the one it failed in.
    env.io.err(`${lines.slice(0, e.devicesBegun).join('')}out of metadata space\n`);
    return FAILURE_1X;
  }
}
