/**
 * The two device-mapper targets that make a device misbehave on purpose, as Linux 6.1 builds
 * them: `flakey` (dm-flakey v1.5.0: a device that is up for some seconds, then down, failing,
 * dropping or corrupting I/O) and `delay` (dm-delay v1.3.0: every read, write and flush held
 * for some milliseconds). Argument checks follow flakey_ctr / parse_features and delay_ctr /
 * delay_class_ctr in order, with their `ti->error` strings (fixtures/kernel/60-data-flakey).
 * Devices are resolved by the machine after these checks, as the kernel calls dm_get_device last.
 */
import { Errno } from './errno.js';
import type { CtrError, Parsed } from './table.js';

const refuse = (error: string, errno: number = Errno.EINVAL): { ok: false } & CtrError => ({ ok: false, error, errno });

const UINT_MAX = 0xffffffff;

/** `sscanf("%u%c")` with a range, as dm_read_arg checks an argument. */
function readUint(text: string | undefined, min: number, max: number): number | null {
  if (text === undefined || !/^[0-9]+$/.test(text)) return null;
  const v = Number(text);
  return v >= min && v <= max ? v : null;
}

/** `sscanf("%llu%c")` of a sector offset. */
function readSector(text: string): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const v = Number(text);
  return Number.isSafeInteger(v) ? v : null;
}

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
    if (dropWrites && corrupt?.direction === 'w') return refuse('drop_writes is incompatible with corrupt_bio_byte with the WRITE flag set');
    if (errorWrites && corrupt?.direction === 'w') return refuse('error_writes is incompatible with corrupt_bio_byte with the WRITE flag set');
  }
  return { ok: true, value: { dev: argv[0]!, offsetSectors: offset, upSecs: up, downSecs: down, dropWrites, errorWrites, corrupt } };
}

/** Whether a flakey device is in its down interval: whole seconds since its table was loaded. */
export function flakeyIsDown(f: { readonly args: FlakeyArgs; readonly startMs: number }, nowMs: number): boolean {
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
  if (f.corrupt !== null) text += `corrupt_bio_byte ${f.corrupt.byte} ${f.corrupt.direction} ${f.corrupt.value} ${f.corrupt.flags} `;
  return text;
}

export interface DelayClassArgs {
  readonly dev: string;
  readonly offsetSectors: number;
  readonly delayMs: number;
}

export interface DelayArgs {
  /** The table's argument count: 3 (one class for all), 6 (reads; writes and flushes) or 9. */
  readonly argc: 3 | 6 | 9;
  readonly read: DelayClassArgs;
  readonly write: DelayClassArgs;
  readonly flush: DelayClassArgs;
}

function parseDelayClass(argv: readonly string[]): Parsed<DelayClassArgs> {
  const offset = readSector(argv[1]!);
  if (offset === null) return refuse('Invalid device sector');
  const delay = readUint(argv[2], 0, UINT_MAX);
  if (delay === null) return refuse('Invalid delay');
  return { ok: true, value: { dev: argv[0]!, offsetSectors: offset, delayMs: delay } };
}

/** delay_ctr: `<dev> <offset> <delay> [<write dev> <offset> <delay> [<flush dev> <offset> <delay>]]`. */
export function parseDelayArgs(argv: readonly string[]): Parsed<DelayArgs> {
  if (argv.length !== 3 && argv.length !== 6 && argv.length !== 9) return refuse('Requires exactly 3, 6 or 9 arguments');
  const read = parseDelayClass(argv.slice(0, 3));
  if (!read.ok) return read;
  if (argv.length === 3) return { ok: true, value: { argc: 3, read: read.value, write: read.value, flush: read.value } };
  const write = parseDelayClass(argv.slice(3, 6));
  if (!write.ok) return write;
  if (argv.length === 6) return { ok: true, value: { argc: 6, read: read.value, write: write.value, flush: write.value } };
  const flush = parseDelayClass(argv.slice(6, 9));
  if (!flush.ok) return flush;
  return { ok: true, value: { argc: 9, read: read.value, write: write.value, flush: flush.value } };
}

/** The `dmsetup table` text of a delay target; `name` gives each class's device as maj:min. */
export function delayTableText(d: DelayArgs, name: (c: DelayClassArgs) => string): string {
  const cls = (c: DelayClassArgs): string => `${name(c)} ${c.offsetSectors} ${c.delayMs}`;
  if (d.argc === 3) return cls(d.read);
  if (d.argc === 6) return `${cls(d.read)} ${cls(d.write)}`;
  return `${cls(d.read)} ${cls(d.write)} ${cls(d.flush)}`;
}
