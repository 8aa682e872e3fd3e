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
