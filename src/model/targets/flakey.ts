/**
 * The `flakey` target as Linux 6.1 builds it (dm-flakey v1.5.0): a device that is up for some
 * seconds, then down, failing, dropping or corrupting I/O. Argument checks follow flakey_ctr and
 * parse_features in order, with their `ti->error` strings (fixtures/kernel/60-data-flakey); the
 * device is looked up after these checks, as the kernel calls dm_get_device last.
 */
import { Errno } from '../errno.js';
import { devNumber, type BlockDev } from '../machine.js';
import { fail, ok } from '../result.js';
import type { SectorDictionary } from '../sectors.js';
import { readSector, readUint, refuse, UINT_MAX, type Parsed } from './ctr-args.js';
import { defineTargetType, finishedIo } from './target-type.js';

export interface CorruptBioByte {
  /** 1-based: the Nth byte of each matching bio is overwritten. */
  readonly byte: number;
  readonly direction: 'r' | 'w';
  readonly value: number;
  /** A bio flags mask; 0 matches every bio (the lab's bios carry no flags). */
  readonly flags: number;
}

export interface FlakeyArgs {
  readonly dev: string;
  readonly offsetSectors: number;
  readonly upSecs: number;
  readonly downSecs: number;
  readonly dropWrites: boolean;
  readonly errorWrites: boolean;
  readonly corrupt: CorruptBioByte | null;
}

export interface FlakeyTarget {
  readonly type: 'flakey';
  readonly lengthSectors: number;
  readonly dev: BlockDev;
  readonly args: FlakeyArgs;
  /** When the table was loaded: the up and down intervals count from here. */
  readonly startMs: number;
}

/** flakey_ctr: `<dev> <offset> <up interval> <down interval> [<#features> <features...>]`. */
export function parseFlakeyArgs(argv: readonly string[]): Parsed<FlakeyArgs> {
  if (argv.length < 4) return refuse('Invalid argument count');
  const offset = readSector(argv[1]!);
  if (offset === null) return refuse('Invalid device sector');
  const up = readUint(argv[2], 0, UINT_MAX);
  if (up === null) return refuse('Invalid up interval');
  const down = readUint(argv[3], 0, UINT_MAX);
  if (down === null) return refuse('Invalid down interval');
  if (up + down === 0) return refuse('Total (up + down) interval is zero');
  if (up + down > UINT_MAX) return refuse('Interval overflow');
  const rest = argv.slice(4);
  let dropWrites = false;
  let errorWrites = false;
  let corrupt: CorruptBioByte | null = null;
  if (rest.length > 0) {
    let count = readUint(rest[0], 0, 6);
    if (count === null || count > rest.length - 1) return refuse('Invalid number of feature args');
    let i = 1;
    while (count > 0) {
      const name = rest[i++]!;
      count--;
      switch (name.toLowerCase()) {
        case 'drop_writes':
          if (dropWrites) return refuse('Feature drop_writes duplicated');
          if (errorWrites) return refuse('Feature drop_writes conflicts with feature error_writes');
          dropWrites = true;
          break;
        case 'error_writes':
          if (errorWrites) return refuse('Feature error_writes duplicated');
          if (dropWrites) return refuse('Feature error_writes conflicts with feature drop_writes');
          errorWrites = true;
          break;
        case 'corrupt_bio_byte': {
          if (count === 0) return refuse('Feature corrupt_bio_byte requires parameters');
          const byte = readUint(rest[i++], 1, UINT_MAX);
          if (byte === null) return refuse('Invalid corrupt bio byte');
          count--;
          const dir = rest[i++]?.toLowerCase();
          if (dir !== 'r' && dir !== 'w') return refuse('Invalid corrupt bio direction (r or w)');
          count--;
          const value = readUint(rest[i++], 0, 255);
          if (value === null) return refuse('Invalid corrupt value to write into bio byte (0-255)');
          count--;
          const flags = readUint(rest[i++], 0, UINT_MAX);
          if (flags === null) return refuse('Invalid corrupt bio flags mask');
          count--;
          corrupt = { byte, direction: dir, value, flags };
          break;
        }
        default:
          return refuse('Unrecognised flakey feature requested');
      }
    }
    if (dropWrites && corrupt?.direction === 'w')
      return refuse('drop_writes is incompatible with corrupt_bio_byte with the WRITE flag set');
    if (errorWrites && corrupt?.direction === 'w')
      return refuse('error_writes is incompatible with corrupt_bio_byte with the WRITE flag set');
  }
  return {
    ok: true,
    value: { dev: argv[0]!, offsetSectors: offset, upSecs: up, downSecs: down, dropWrites, errorWrites, corrupt },
  };
}

/** Whether a flakey device is in its down interval: whole seconds since its table was loaded. */
export function flakeyIsDown(f: FlakeyTarget, nowMs: number): boolean {
  const elapsedSecs = Math.floor((nowMs - f.startMs) / 1000);
  return elapsedSecs % (f.args.upSecs + f.args.downSecs) >= f.args.upSecs;
}

/**
 * What flakey does to a read in its down interval (flakey_map and flakey_end_io): it fails
 * unless a write feature is set (then reads pass) or reads are being corrupted.
 */
export function flakeyDownRead(f: FlakeyArgs): 'error' | 'pass' | 'corrupt' {
  if (f.corrupt?.direction === 'r') return 'corrupt';
  return f.dropWrites || f.errorWrites ? 'pass' : 'error';
}

/** What flakey does to a write (or discard) in its down interval. */
export function flakeyDownWrite(f: FlakeyArgs): 'error' | 'drop' | 'corrupt' | 'pass' {
  if (f.dropWrites) return 'drop';
  if (f.errorWrites) return 'error';
  if (f.corrupt?.direction === 'w') return 'corrupt';
  // A corrupt_bio_byte on reads only: writes go through (flakey_map maps them unchanged).
  if (f.corrupt !== null) return 'pass';
  return 'error';
}

/** The `dmsetup table` text of a flakey target after `start length flakey `. */
export function flakeyTableText(f: FlakeyArgs, devName: string): string {
  let text = `${devName} ${f.offsetSectors} ${f.upSecs} ${f.downSecs} `;
  text += `${(f.dropWrites ? 1 : 0) + (f.errorWrites ? 1 : 0) + (f.corrupt !== null ? 5 : 0)} `;
  if (f.dropWrites) text += 'drop_writes ';
  else if (f.errorWrites) text += 'error_writes ';
  if (f.corrupt !== null)
    text += `corrupt_bio_byte ${f.corrupt.byte} ${f.corrupt.direction} ${f.corrupt.value} ${f.corrupt.flags} `;
  return text;
}

/** Flakey's Nth byte of a bio overwritten with its value (corrupt_bio_data). */
function corruptBio(dictionary: SectorDictionary, tokens: Uint32Array, f: FlakeyArgs): Uint32Array {
  const c = f.corrupt;
  if (c === null || c.byte > tokens.length * 512) return tokens;
  const sector = Math.floor((c.byte - 1) / 512);
  const bytes = dictionary.bytesOf(tokens.subarray(sector, sector + 1));
  bytes[(c.byte - 1) % 512] = c.value;
  const out = Uint32Array.from(tokens);
  out[sector] = dictionary.intern(bytes);
  return out;
}

export const flakeyTarget = defineTargetType<FlakeyTarget>({
  name: 'flakey',

  construct(core, dev, lengthSectors, argv) {
    const parsed = parseFlakeyArgs(argv);
    if (!parsed.ok) return parsed;
    const under = core.resolve(parsed.value.dev);
    if (under === null) return refuse('Device lookup failed', core.lookupErrno(parsed.value.dev));
    if (under === dev) return refuse('Device lookup failed', Errno.ENODEV);
    return { ok: true, value: { type: 'flakey', lengthSectors, dev: under, args: parsed.value, startMs: core.nowMs } };
  },

  areas: (t) => [{ under: t.dev, offset: t.args.offsetSectors }],
  heldDevices: (t) => [t.dev],
  status: () => '',
  table: (t) => flakeyTableText(t.args, devNumber(t.dev)),

  read(core, t, start, count) {
    const how = flakeyIsDown(t, core.nowMs) ? flakeyDownRead(t.args) : 'pass';
    if (how === 'error') return fail(Errno.EIO);
    const r = core.readSectors(t.dev, t.args.offsetSectors + start, count);
    return how === 'corrupt' && r.ok ? ok(corruptBio(core.dictionary, r.value, t.args)) : r;
  },

  write(core, t, start, tokens) {
    const how = flakeyIsDown(t, core.nowMs) ? flakeyDownWrite(t.args) : 'pass';
    if (how === 'error') return finishedIo(Errno.EIO);
    if (how === 'drop') return finishedIo(0);
    return core.writeSectors(
      t.dev,
      t.args.offsetSectors + start,
      how === 'corrupt' ? corruptBio(core.dictionary, tokens, t.args) : tokens,
    );
  },

  discard(core, t, start, count) {
    // A discard is a write to flakey: failed or dropped while it is down.
    const how = flakeyIsDown(t, core.nowMs) ? flakeyDownWrite(t.args) : 'pass';
    if (how === 'error') return Errno.EIO;
    if (how === 'drop') return 0;
    return core.discardSectors(t.dev, t.args.offsetSectors + start, count);
  },

  flush: () => finishedIo(0),
  supportsDiscard: (core, t) => core.supportsDiscard(t.dev),

  works(core, t, op) {
    if (!flakeyIsDown(t, core.nowMs)) return core.deviceWorks(t.dev, op);
    const how = op === 'read' ? flakeyDownRead(t.args) : flakeyDownWrite(t.args);
    return how !== 'error' && core.deviceWorks(t.dev, op);
  },

  dropsWrites: (core, t) =>
    flakeyIsDown(t, core.nowMs) ? flakeyDownWrite(t.args) === 'drop' : core.deviceDropsWrites(t.dev),
  writeDelayMs: (core, t) => core.writeDelayMs(t.dev),
  storageUnder: (core, t) => core.storageUnder(t.dev),
  // Metadata is kept per region of a disk: a flakey piece of one is the region at its offset.
  offsetUnder: (core, t) => t.args.offsetSectors + core.offsetUnder(t.dev),
});
