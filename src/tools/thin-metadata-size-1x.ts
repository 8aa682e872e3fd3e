/**
 * thin_metadata_size as thin-provisioning-tools 1.1.0 (debian13) computes it (src/thin/metadata_size.rs
 * and src/commands/thin_metadata_size.rs of v1.1.0): other arithmetic and other words than 0.9.0's.
 * It counts one metadata block for the superblock, one per thin device, and one mapping leaf per
 * 126 data blocks (a leaf of 252 entries assumed half full), capped at the metadata space map's
 * limit, and prints the bytes in the asked unit: `1065240 sectors`. Sizes are parsed by its
 * StorageSize (digits, then a unit name); refusals are clap's (status 2) or its own (status 64).
 */
import { BLOCK_SIZE } from '../format/layout.js';
import type { ClapArg } from './clap.js';
import { cFixed2, rustFloatDisplay } from './float-format.js';
import { rustU64Error } from './clap.js';
import type { ToolRun } from './define-tool.js';
import { FAILURE_1X } from './release.js';
import type { ToolEnv } from './tool-io.js';

/** One unit of 1.1.0's `Units`: its size, the names it parses from, its letter and its long name. */
interface Unit {
  readonly bytes: bigint;
  readonly names: readonly string[];
  readonly letter: string;
  /** Its Display (1.1.0 prints the tebibyte as "terabyte", and so does the lab). */
  readonly long: string;
}

const unit = (bytes: bigint, names: string[], letter: string, long: string): Unit => ({ bytes, names, letter, long });
const KI = 1024n;
const K = 1000n;

/** 1.1.0's units, in the order of its `FromStr` (src/units.rs). */
const UNITS: readonly Unit[] = [
  unit(1n, ['byte', 'b'], 'b', 'byte'),
  unit(512n, ['sector', 's'], 's', 'sector'),
  unit(KI, ['kibibyte', 'KiB', 'k'], 'k', 'kibibyte'),
  unit(KI ** 2n, ['mebibyte', 'MiB', 'm'], 'm', 'mebibyte'),
  unit(KI ** 3n, ['gibibyte', 'GiB', 'g'], 'g', 'gibibyte'),
  unit(KI ** 4n, ['tebibyte', 'TiB', 't'], 't', 'terabyte'),
  unit(KI ** 5n, ['pebibyte', 'PiB', 'p'], 'p', 'pebibyte'),
  unit(KI ** 6n, ['exbibyte', 'EiB', 'e'], 'e', 'exbibyte'),
  unit(K, ['kilobyte', 'kB', 'K'], 'K', 'kilobyte'),
  unit(K ** 2n, ['megabyte', 'MB', 'M'], 'M', 'megabyte'),
  unit(K ** 3n, ['gigabyte', 'GB', 'G'], 'G', 'gigabyte'),
  unit(K ** 4n, ['terabyte', 'TB', 'T'], 'T', 'terabyte'),
  unit(K ** 5n, ['petabyte', 'PB', 'P'], 'P', 'petabyte'),
  unit(K ** 6n, ['exabyte', 'EB', 'E'], 'E', 'exabyte'),
];
const SECTOR = UNITS[1]!;
const U64_MAX = (1n << 64n) - 1n;

const unitNamed = (name: string): Unit | undefined => UNITS.find((u) => u.names.includes(name));

/** A size as 1.1.0's StorageSize parses it (sectors by default), or why it refuses it. */
export function storageSizeBytes(text: string): { bytes: bigint } | { why: string } {
  const at = text.search(/[^0-9]/);
  const digits = at < 0 ? text : text.slice(0, at);
  const bad = rustU64Error(digits);
  if (bad !== null) return { why: bad };
  const u = at < 0 ? SECTOR : unitNamed(text.slice(at));
  if (u === undefined) return { why: 'Invalid unit specifier' };
  const multiple = BigInt(digits);
  if (multiple > U64_MAX / u.bytes) return { why: 'value out of bounds' };
  return { bytes: multiple * u.bytes };
}

const sizeWhy = (v: string): string | null => {
  const r = storageSizeBytes(v);
  return 'why' in r ? r.why : null;
};

/** The arguments whose values 1.1.0 parses itself (the sizes and the unit), for its clap table. */
export const SIZE_ARGS_1X: Record<'b' | 's' | 'u', Pick<ClapArg, 'parse'>> = {
  b: { parse: sizeWhy },
  s: { parse: sizeWhy },
  u: { parse: (v) => (unitNamed(v) === undefined ? 'Invalid unit specifier' : null) },
};

/** calc_max_entries::<BlockTime>() / 2: a mapping leaf's 252 entries, assumed half full. */
const ENTRIES_PER_LEAF = 126n;
/** MAX_METADATA_BLOCKS: 255 bitmaps of 16,320 entries each. */
const MAX_METADATA_BLOCKS = 255n * 16320n;
const MIN_DATA_BLOCK_BYTES = 65536n;
const MAX_DATA_BLOCK_BYTES = 1n << 30n;

/** The estimate in bytes of metadata for `nrBlocks` data blocks and `maxThins` devices. */
export function metadataSizeBytes1x(nrBlocks: bigint, maxThins: bigint): bigint {
  const leaves = (nrBlocks + ENTRIES_PER_LEAF - 1n) / ENTRIES_PER_LEAF;
  const blocks = 1n + leaves + maxThins;
  return (blocks < MAX_METADATA_BLOCKS ? blocks : MAX_METADATA_BLOCKS) * BigInt(BLOCK_SIZE);
}

/** The run of thin_metadata_size 1.1.0, once clap has taken its command line. */
export function metadataSizeRun1x(env: ToolEnv): ToolRun {
  const values = new Map<string, string | undefined>();
  return {
    option: (key, arg) => {
      values.set(key, arg);
      return undefined;
    },
    run: () => {
      const size = (key: string): bigint => {
        const r = storageSizeBytes(values.get(key)!);
        if ('why' in r) throw new Error(`clap let through a size it refuses: ${r.why}`);
        return r.bytes;
      };
      const block = size('b');
      const pool = size('s');
      const fatal = (message: string): number => {
        env.io.err(`${message}\n`);
        return FAILURE_1X;
      };
      if (block === 0n || block % MIN_DATA_BLOCK_BYTES !== 0n) return fatal('block size must be a multiple of 64 KiB');
      if (block > MAX_DATA_BLOCK_BYTES) return fatal('maximum block size is 1 GiB');
      if (pool < block) return fatal('pool size must be larger than block size');
      const bytes = metadataSizeBytes1x(pool / block, BigInt(values.get('m')!));
      const u = unitNamed(values.get('u') ?? 'sector')!;
      const n = Number(bytes) / Number(u.bytes);
      const number = n < 1 || Math.trunc(n) === n ? rustFloatDisplay(n) : cFixed2(n);
      const numeric = values.has('n') ? (values.get('n') ?? 'number') : 'full';
      const suffix = { full: ` ${u.long}s`, short: u.letter, long: `${u.long}s`, number: '' }[numeric];
      env.io.out(`${number}${suffix}\n`);
      return 0;
    },
  };
}
