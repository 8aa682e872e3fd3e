/**
 * The two formats thin_dump writes, XML and human_readable, as emitters that a dump feeds device by
 * device and mapping by mapping, for each release (0.9.0's and 1.1.0's differ in small ways).
 */
import { BLOCK_SIZE, SB } from '../format/layout.js';
import { type DetailsValue, type MappingRun, type RawSuperblock, RunMerger } from './metadata-view.js';
import type { ToolsRelease } from './release.js';

/** The superblock fields a dump's first line shows (a rebuilt superblock has these too). */
export type DumpedSuperblock = Pick<RawSuperblock, 'time' | 'transactionId' | 'flags' | 'version' | 'dataBlockSize'>;

/** A device's details as a dump prints them: 0.9.0 prints a u64 mapped_blocks past 2^53 whole. */
export type DumpedDetails = Omit<DetailsValue, 'mappedBlocks'> & { readonly mappedBlocks: number | bigint };

/** Writes the dump in one of the two formats, device by device, mapping by mapping. */
export interface Emitter {
  /** nrDataBlocks is a u64 read from the metadata: 0.9.0 prints it whole. */
  begin(sb: DumpedSuperblock, uuid: string, nrDataBlocks: number | bigint): void;
  beginDevice(id: number, d: DumpedDetails): void;
  /** A virtual block of 2^53 or more comes as a bigint (0.9.0 prints its u64 keys whole). */
  mapping(vblock: number | bigint, dataBlock: number, time: number): void;
  /** Writes out the mappings given so far (before anything else is printed, on either stream). */
  flushMappings(): void;
  /**
   * Writes out what is complete, leaving the run still being merged unwritten: 1.1.0 stops so
   * when a leaf fails in the middle of a dump.
   */
  flushComplete(): void;
  endDevice(): void;
  /** 1.1.0's shared runs of leaves (shared-runs-1x.ts): a def before the devices, a ref inside one. */
  beginDef(name: number): void;
  endDef(): void;
  ref(name: number): void;
  end(): void;
}

/** A run as the emitters print it: its first virtual block may be a u64 past 2^53. */
type DumpRun = Omit<MappingRun, 'vbegin'> & { readonly vbegin: number | bigint };

/** The last virtual block of a run. */
const lastOf = (r: DumpRun): number | bigint =>
  typeof r.vbegin === 'bigint' ? r.vbegin + BigInt(r.length - 1) : r.vbegin + r.length - 1;

/** Output is handed on in pieces of about this many characters, not a string per line or per dump. */
const OUTPUT_PIECE_CHARS = 1 << 16;

/**
 * The emitter of a format, from how it writes the fixed parts and a run of mappings. Lines are
 * gathered into pieces so that a dump of a million mappings makes neither a million writes nor
 * one string of the whole device.
 */
function emitter(
  out: (t: string) => void,
  parts: Omit<Emitter, 'mapping' | 'flushMappings' | 'flushComplete'> & { run(r: DumpRun): string },
): Emitter {
  let piece = '';
  const write = (t: string): void => {
    piece += t;
    if (piece.length >= OUTPUT_PIECE_CHARS) {
      out(piece);
      piece = '';
    }
  };
  const runs = new RunMerger(true, (r) => write(parts.run(r)));
  // Runs of wide virtual blocks are merged apart, in bigints, so that the common path's merger
  // keeps to numbers; keys come in order, so a wide run only follows the narrow ones.
  let wide: DumpRun & { vbegin: bigint } = { vbegin: 0n, dbegin: 0, length: 0, time: 0 };
  const flushWide = (): void => {
    if (wide.length > 0) write(parts.run(wide));
    wide = { vbegin: 0n, dbegin: 0, length: 0, time: 0 };
  };
  const addWide = (v: bigint, d: number, t: number): void => {
    runs.flush();
    const w = wide;
    if (w.length > 0 && v === w.vbegin + BigInt(w.length) && d === w.dbegin + w.length && t === w.time) {
      w.length++;
      return;
    }
    flushWide();
    wide = { vbegin: v, dbegin: d, length: 1, time: t };
  };
  const flushPiece = (): void => {
    if (piece !== '') out(piece);
    piece = '';
  };
  const flush = (): void => {
    runs.flush();
    flushWide();
    flushPiece();
  };
  return {
    begin: (sb, uuid, nr) => parts.begin(sb, uuid, nr),
    beginDevice: (id, d) => parts.beginDevice(id, d),
    mapping: (v, d, t) => {
      if (typeof v === 'number' && wide.length === 0) runs.add(v, d, t);
      else if (typeof v === 'bigint') addWide(v, d, t);
      else {
        flushWide();
        runs.add(v, d, t);
      }
    },
    flushMappings: flush,
    flushComplete: flushPiece,
    endDevice: () => parts.endDevice(),
    beginDef: (name) => parts.beginDef(name),
    endDef: () => parts.endDef(),
    ref: (name) => parts.ref(name),
    end: () => parts.end(),
  };
}

/**
 * The superblock's flags as a release dumps them: 0.9.0 the word as it is, 1.1.0 only its
 * needs_check bit (dump.rs to_superblock_ir reads the word into SuperblockFlags, which keeps
 * nothing else; seed 17 cases 7683, 8051, 8458, 8708, 8873: a flipped flags word of a held
 * superblock dumps as `flags="1"` or none).
 */
const dumpedFlags = (sb: DumpedSuperblock, release: ToolsRelease): number =>
  release === '1.1.0' ? sb.flags & 1 : sb.flags;

/**
 * The XML format. 1.1.0 writes `flags` only when it is not 0 and no newline after the closing
 * `</superblock>` (seen on the real 1.1.0, thin-tools-1x.test.ts); 0.9.0 writes both always.
 * 1.1.0's uuid is always empty, whatever the superblock's bytes (dump.rs to_superblock_ir; seed
 * 17 case 4556: a held snapshot's superblock with a byte in its uuid field), in both formats.
 */
export function xmlEmitter(out: (t: string) => void, release: ToolsRelease): Emitter {
  const v1 = release === '1.1.0';
  return emitter(out, {
    begin: (sb, uuid, nr) =>
      out(
        `<superblock uuid="${v1 ? '' : uuid}" time="${sb.time}" transaction="${sb.transactionId}"${v1 && dumpedFlags(sb, release) === 0 ? '' : ` flags="${dumpedFlags(sb, release)}"`} version="${sb.version}" data_block_size="${sb.dataBlockSize}" nr_data_blocks="${nr}">\n`,
      ),
    beginDevice: (id, d) =>
      out(
        `  <device dev_id="${id}" mapped_blocks="${d.mappedBlocks}" transaction="${d.transactionId}" creation_time="${d.creationTime}" snap_time="${d.snapshottedTime}">\n`,
      ),
    run: (r) =>
      r.length === 1
        ? `    <single_mapping origin_block="${r.vbegin}" data_block="${r.dbegin}" time="${r.time}"/>\n`
        : `    <range_mapping origin_begin="${r.vbegin}" data_begin="${r.dbegin}" length="${r.length}" time="${r.time}"/>\n`,
    endDevice: () => out('  </device>\n'),
    beginDef: (name) => out(`  <def name="${name}">\n`),
    endDef: () => out('  </def>\n'),
    ref: (name) => out(`    <ref name="${name}"/>\n`),
    end: () => out(v1 ? '</superblock>' : '</superblock>\n'),
  });
}

/** The human_readable format; 1.1.0 writes a single mapping as a range of one, `(5..5) -> (9..9), 0`. */
export function humanEmitter(out: (t: string) => void, release: ToolsRelease): Emitter {
  return emitter(out, {
    begin: (sb, uuid, nr) =>
      out(
        `begin superblock: "${release === '1.1.0' ? '' : uuid}", ${sb.time}, ${sb.transactionId}, ${dumpedFlags(sb, release)}, ${sb.version}, ${sb.dataBlockSize}, ${nr}\n`,
      ),
    beginDevice: (id, d) =>
      out(
        `device: ${id}\nmapped_blocks: ${d.mappedBlocks}\ntransaction: ${d.transactionId}\ncreation time: ${d.creationTime}\nsnap time: ${d.snapshottedTime}\n`,
      ),
    run: (r) =>
      r.length === 1 && release === '0.9.0'
        ? `    ${r.vbegin} -> ${r.dbegin}, ${r.time}\n`
        : `    (${r.vbegin}..${lastOf(r)}) -> (${r.dbegin}..${r.dbegin + r.length - 1}), ${r.time}\n`,
    endDevice: () => out('\n'),
    beginDef: (name) => out(`def: ${name}\n`),
    endDef: () => out('\n'),
    ref: (name) => out(`    ref: ${name}\n`),
    end: () => out('end superblock\n'),
  });
}

/** The superblock's uuid field as 0.9.0 prints it: its bytes up to the first NUL. */
export function uuidText(bytes: Uint8Array, block: number): string {
  let s = '';
  for (let i = block * BLOCK_SIZE + SB.uuid; i < block * BLOCK_SIZE + SB.uuid + 16 && bytes[i] !== 0; i++)
    s += String.fromCharCode(bytes[i]!);
  return s;
}
