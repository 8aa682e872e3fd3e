/**
 * Sizes as LVM prints and reads them: `display_size` (binary units, two decimals, a `<` in front
 * when the printed figure is rounded up from the exact size) and the size arguments of `-L` and
 * `--poolmetadatasize` (a number with an optional unit, megabytes when none is given).
 */
import { SECTOR_BYTES } from '../model/sectors.js';

const UNITS: ReadonlyArray<readonly [string, string, number]> = [
  ['e', 'EiB', 2 ** 60],
  ['p', 'PiB', 2 ** 50],
  ['t', 'TiB', 2 ** 40],
  ['g', 'GiB', 2 ** 30],
  ['m', 'MiB', 2 ** 20],
  ['k', 'KiB', 2 ** 10],
];

/**
 * `display_size` with the default `--units h`: in report columns `95.00g`, in messages `95.00 GiB`.
 * LVM prints `<` when the rounded figure is larger than the exact size, so that `<64.00m` never
 * promises more than the device holds.
 */
export function lvmSize(sectors: number, style: 'column' | 'message'): string {
  const bytes = sectors * SECTOR_BYTES;
  if (bytes === 0) return style === 'column' ? '0 ' : '0   ';
  for (const [short, long, unit] of UNITS) {
    if (bytes < unit && unit !== 1024) continue;
    const value = bytes / unit;
    const shown = value.toFixed(2);
    const prefix = Number(shown) > value + 1e-12 ? '<' : '';
    return style === 'column' ? `${prefix}${shown}${short}` : `${prefix}${shown} ${long}`;
  }
  return `${bytes}B`;
}

/**
 * Parses an LVM size argument (`10G`, `512K`, `+1g`, `100`) into sectors; the default unit is
 * megabytes, units are binary and case-insensitive. The sign is returned separately for lvextend.
 */
export function parseLvmSize(text: string): { sign: '' | '+' | '-'; sectors: number } | null {
  const m = /^([+-]?)([0-9]+(?:\.[0-9]+)?)([bskmgtpe]?)$/i.exec(text);
  if (m === null) return null;
  const unit = (m[3] ?? '').toLowerCase();
  const factor: Record<string, number> = {
    b: 1,
    s: 512,
    k: 2 ** 10,
    '': 2 ** 20,
    m: 2 ** 20,
    g: 2 ** 30,
    t: 2 ** 40,
    p: 2 ** 50,
    e: 2 ** 60,
  };
  const bytes = Number(m[2]) * factor[unit]!;
  return { sign: (m[1] ?? '') as '' | '+' | '-', sectors: Math.ceil(bytes / SECTOR_BYTES) };
}

/**
 * A report's size unit (`--units`, lvm2's dm_units_to_factor): its letter and how many bytes it
 * is. `r` (LVM's default) and `h` pick a binary unit per size, `R` and `H` a decimal one; `b`, `s`
 * and the lower-case letters are binary units, the upper-case ones (K M G T P E) powers of 1000; a
 * number in front makes a custom unit `U` (`4k`), except 1.
 */
export interface LvmUnits {
  readonly letter: string;
  readonly bytes: number;
}

export const DEFAULT_LVM_UNITS: LvmUnits = { letter: 'r', bytes: 1 };

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  B: 1,
  s: 512,
  S: 512,
  ...Object.fromEntries([...'kmgtpe'].map((c, i) => [c, 1024 ** (i + 1)])),
  ...Object.fromEntries([...'KMGTPE'].map((c, i) => [c, 1000 ** (i + 1)])),
};

/** `--units TEXT`: null when LVM says `Invalid units specification`. */
export function parseLvmUnits(text: string): LvmUnits | null {
  const m = /^([0-9]+(?:\.[0-9]*)?)?([hHrRbBsSkmgtpeKMGTPE])$/.exec(text);
  if (m === null) return null;
  const letter = m[2]!;
  if ('hHrR'.includes(letter)) return { letter, bytes: 1 };
  const count = m[1] === undefined ? 1 : Number(m[1]);
  if (count === 0) return null;
  return { letter: count === 1 ? letter : 'U', bytes: Math.floor(count * UNIT_BYTES[letter]!) };
}

/**
 * A size in a report column as lvm2's dm_size_to_string prints it: a fixed unit with two decimals
 * (none for bytes and sectors, `B` and `S`), or a human-readable one; `<` (for `r` and `R` only)
 * when the figure is rounded up; `--nosuffix` drops the letter of a fixed unit.
 */
export function reportSize(sectors: number, units: LvmUnits, suffix: boolean): string {
  const human = 'hHrR'.includes(units.letter);
  const letter = human ? '' : 'bsBS'.includes(units.letter) ? units.letter.toUpperCase() : units.letter;
  // Zero is printed before a human-readable size would force its letter (dm_size_to_string).
  if (sectors === 0) return `0${suffix ? (human ? ' ' : letter) : ''}`;
  const bytes = sectors * SECTOR_BYTES;
  if (!human) {
    const digits = letter === 'B' || letter === 'S' ? 0 : 2;
    return `${(bytes / units.bytes).toFixed(digits)}${suffix ? letter : ''}`;
  }
  const decimal = units.letter === 'H' || units.letter === 'R';
  const base = decimal ? 1000 : 1024;
  const letters = decimal ? 'EPTGMKB' : 'eptgmkb';
  let unit = base ** 6;
  let s = 0;
  while (s < 6 && bytes < unit) {
    unit /= base;
    s++;
  }
  const hundredths = (100 * bytes) / unit;
  const prefix = 'rR'.includes(units.letter) && Math.round(hundredths) !== Math.floor(hundredths) ? '<' : '';
  const shown = (bytes / unit).toFixed(s === 6 ? 0 : 2);
  // A human-readable size keeps its letter even under --nosuffix (fixtures/lvm/97): without it the figure would mean nothing.
  return `${prefix}${shown}${letters[s]}`;
}
