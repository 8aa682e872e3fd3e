/**
 * The `flakey` target (dm-flakey v1.5.0 on both kernels): a device that is up for some seconds,
 * then down, failing, dropping or corrupting I/O. Argument checks follow flakey_ctr and
 * parse_features in order, with their `ti->error` strings (fixtures/kernel/60-data-flakey); the
 * device is looked up after these checks, as the kernel calls dm_get_device last. Linux 6.12's
 * flakey is newer than 6.1's under the same version number (`KernelBehaviour.flakeyErrorReads`):
 * it has an explicit `error_reads` feature, which a table without features gets together with
 * `error_writes`, and writes pass unless a feature fails, drops or corrupts them. Its
 * random_read_corrupt and random_write_corrupt corrupt at random: refused by name. The messages of
 * 6.12's checks that the oracle has not shown (the incompatibilities, error_reads duplicated) are
 * the kernel source's (drivers/md/dm-flakey.c, parse_features).
 */
import { Errno } from '../errno.js';
import { devNumber, type BlockDev } from '../machine.js';
import { fail, ok } from '../result.js';
import type { SectorDictionary } from '../sectors.js';
import { type CtrError, readSector, readUint, refuse, UINT_MAX, type Parsed } from './ctr-args.js';
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
  /** 6.12's error_reads; always false on 6.1, whose flakey decides about reads from the other features. */
  readonly errorReads: boolean;
  readonly corrupt: CorruptBioByte | null;
  /** Whether this kernel's flakey is 6.12's (with error_reads): its I/O rules and table text differ. */
  readonly newer: boolean;
}

export interface FlakeyTarget {
  readonly type: 'flakey';
  readonly lengthSectors: number;
  readonly dev: BlockDev;
  readonly args: FlakeyArgs;
  /** When the table was loaded: the up and down intervals count from here. */
  readonly startMs: number;
}

/** The features a flakey table asks for, once parsed. */
interface FlakeyFeatures {
  dropWrites: boolean;
  errorWrites: boolean;
  errorReads: boolean;
  corrupt: CorruptBioByte | null;
}

/** `corrupt_bio_byte <Nth_byte> <direction> <value> <bio_flags>`, read from `rest` at `at`. */
function parseCorrupt(rest: readonly string[], at: number): Parsed<CorruptBioByte> {
  const byte = readUint(rest[at], 1, UINT_MAX);
  if (byte === null) return refuse('Invalid corrupt bio byte');
  const dir = rest[at + 1]?.toLowerCase();
  if (dir !== 'r' && dir !== 'w') return refuse('Invalid corrupt bio direction (r or w)');
  const value = readUint(rest[at + 2], 0, 255);
  if (value === null) return refuse('Invalid corrupt value to write into bio byte (0-255)');
  const flags = readUint(rest[at + 3], 0, UINT_MAX);
  if (flags === null) return refuse('Invalid corrupt bio flags mask');
  return { ok: true, value: { byte, direction: dir, value, flags } };
}

/** One feature name of parse_features: the refusal of a duplicate or conflict, or null when it is set. */
function setFlag(f: FlakeyFeatures, name: 'drop_writes' | 'error_writes' | 'error_reads'): CtrError | null {
  if (name === 'error_reads') {
    if (f.errorReads) return refuse('Feature error_reads duplicated');
    f.errorReads = true;
  } else if (name === 'drop_writes') {
    if (f.dropWrites) return refuse('Feature drop_writes duplicated');
    if (f.errorWrites) return refuse('Feature drop_writes conflicts with feature error_writes');
    f.dropWrites = true;
  } else {
    if (f.errorWrites) return refuse('Feature error_writes duplicated');
    if (f.dropWrites) return refuse('Feature error_writes conflicts with feature drop_writes');
    f.errorWrites = true;
  }
  return null;
}

/** parse_features' last checks: a write feature with corrupting writes (and on 6.12, error_reads with corrupting reads). */
function featureConflict(f: FlakeyFeatures, newer: boolean): CtrError | null {
  // 6.12's messages name random_*_corrupt too, which 6.1's flakey does not have.
  const also = newer ? 'random_write_corrupt or ' : '';
  if (f.dropWrites && f.corrupt?.direction === 'w')
    return refuse(`drop_writes is incompatible with ${also}corrupt_bio_byte with the WRITE flag set`);
  if (f.errorWrites && f.corrupt?.direction === 'w')
    return refuse(`error_writes is incompatible with ${also}corrupt_bio_byte with the WRITE flag set`);
  if (f.errorReads && f.corrupt?.direction === 'r')
    return refuse('error_reads is incompatible with random_read_corrupt or corrupt_bio_byte with the READ flag set');
  return null;
}

/** parse_features: `<#features> <features...>` after the intervals; `newer` for 6.12's flakey. */
function parseFeatures(rest: readonly string[], newer: boolean): Parsed<FlakeyFeatures> {
  const f: FlakeyFeatures = { dropWrites: false, errorWrites: false, errorReads: false, corrupt: null };
  // No feature count at all is no features (dm_read_arg_group is not called).
  let count = rest.length === 0 ? 0 : readUint(rest[0], 0, newer ? 11 : 6);
  if (count === null || (rest.length > 0 && count > rest.length - 1)) return refuse('Invalid number of feature args');
  let i = 1;
  while (count > 0) {
    const name = rest[i++]!.toLowerCase();
    count--;
    if (name === 'drop_writes' || name === 'error_writes' || (newer && name === 'error_reads')) {
      const refused = setFlag(f, name);
      if (refused !== null) return { ok: false, ...refused };
    } else if (name === 'corrupt_bio_byte') {
      if (count === 0) return refuse('Feature corrupt_bio_byte requires parameters');
      const corrupt = parseCorrupt(rest, i);
      if (!corrupt.ok) return corrupt;
      f.corrupt = corrupt.value;
      i += 4;
      count -= 4;
    } else if (newer && (name === 'random_read_corrupt' || name === 'random_write_corrupt')) {
      // 6.12 corrupts a random byte of a random share of bios: a lab that replays cannot.
      return refuse(`thinlab: not modelled: flakey's ${name} (random corruption)`);
    } else {
      return refuse('Unrecognised flakey feature requested');
    }
  }
  const conflict = featureConflict(f, newer);
  if (conflict !== null) return { ok: false, ...conflict };
  // 6.12 says what a table without features does: its reads and writes fail while it is down.
  if (newer && !f.dropWrites && !f.errorWrites && !f.errorReads && f.corrupt === null) {
    f.errorReads = true;
    f.errorWrites = true;
  }
  return { ok: true, value: f };
}

/** flakey_ctr: `<dev> <offset> <up interval> <down interval> [<#features> <features...>]`. */
export function parseFlakeyArgs(argv: readonly string[], newer: boolean): Parsed<FlakeyArgs> {
  if (argv.length < 4) return refuse('Invalid argument count');
  const offset = readSector(argv[1]!);
  if (offset === null) return refuse('Invalid device sector');
  const up = readUint(argv[2], 0, UINT_MAX);
  if (up === null) return refuse('Invalid up interval');
  const down = readUint(argv[3], 0, UINT_MAX);
  if (down === null) return refuse('Invalid down interval');
  if (up + down === 0) return refuse('Total (up + down) interval is zero');
  if (up + down > UINT_MAX) return refuse('Interval overflow');
  const features = parseFeatures(argv.slice(4), newer);
  if (!features.ok) return features;
  return {
    ok: true,
    value: { dev: argv[0]!, offsetSectors: offset, upSecs: up, downSecs: down, ...features.value, newer },
  };
}

/** Whether a flakey device is in its down interval: whole seconds since its table was loaded. */
export function flakeyIsDown(f: FlakeyTarget, nowMs: number): boolean {
  const elapsedSecs = Math.floor((nowMs - f.startMs) / 1000);
  return elapsedSecs % (f.args.upSecs + f.args.downSecs) >= f.args.upSecs;
}

/**
 * What flakey does to a read in its down interval (flakey_map and flakey_end_io). 6.12: it fails
 * under error_reads, else it passes (corrupted under corrupt_bio_byte r). 6.1: it fails unless a
 * write feature is set (then reads pass) or reads are being corrupted.
 */
export function flakeyDownRead(f: FlakeyArgs): 'error' | 'pass' | 'corrupt' {
  if (f.newer && f.errorReads) return 'error';
  if (f.corrupt?.direction === 'r') return 'corrupt';
  return f.newer || f.dropWrites || f.errorWrites ? 'pass' : 'error';
}

/** What flakey does to a write (or discard) in its down interval. */
export function flakeyDownWrite(f: FlakeyArgs): 'error' | 'drop' | 'corrupt' | 'pass' {
  if (f.dropWrites) return 'drop';
  if (f.errorWrites) return 'error';
  if (f.corrupt?.direction === 'w') return 'corrupt';
  // A corrupt_bio_byte on reads only: writes go through (flakey_map maps them unchanged), and on
  // 6.12 every write no feature fails goes through (a table without features got error_writes).
  if (f.corrupt !== null || f.newer) return 'pass';
  return 'error';
}

/**
 * The `dmsetup table` text of a flakey target after `start length flakey `: 6.1 ends each field
 * with a space (so the line ends in one), 6.12 starts each with one and lists error_reads first.
 */
export function flakeyTableText(f: FlakeyArgs, devName: string): string {
  const count =
    (f.errorReads ? 1 : 0) + (f.dropWrites ? 1 : 0) + (f.errorWrites ? 1 : 0) + (f.corrupt !== null ? 5 : 0);
  const fields = [`${devName} ${f.offsetSectors} ${f.upSecs} ${f.downSecs}`, String(count)];
  if (f.errorReads) fields.push('error_reads');
  if (f.dropWrites) fields.push('drop_writes');
  else if (f.errorWrites) fields.push('error_writes');
  if (f.corrupt !== null)
    fields.push(`corrupt_bio_byte ${f.corrupt.byte} ${f.corrupt.direction} ${f.corrupt.value} ${f.corrupt.flags}`);
  return f.newer ? fields.join(' ') : `${fields.join(' ')} `;
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
    const parsed = parseFlakeyArgs(argv, core.kernel.flakeyErrorReads);
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
