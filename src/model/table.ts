/**
 * Parsing of device-mapper table arguments exactly as the kernel's constructors check them
 * (pool_ctr, thin_ctr, linear_ctr), in the same order, with the same `ti->error` strings.
 */
import { Errno } from './errno.js';
import { MAX_DEV_ID } from './metadata.js';
import { DEFAULT_POOL_FEATURES, parseKernelU64, type PoolFeatures } from './pool.js';

export const DATA_BLOCK_SIZE_MIN_SECTORS = 128;
export const DATA_BLOCK_SIZE_MAX_SECTORS = 2097152;

/** A constructor refusal: the text the kernel logs as `<type>: <error> (-E...)`. */
export interface CtrError {
  readonly error: string;
  readonly errno: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & CtrError);

const refuse = (error: string, errno: number = Errno.EINVAL): { ok: false } & CtrError => ({ ok: false, error, errno });

export interface PoolArgs {
  readonly metadataDev: string;
  readonly dataDev: string;
  /** Block size and low water mark are checked after the devices are opened, as in pool_ctr. */
  readonly blockSizeText: string;
  readonly lowWaterText: string;
  readonly features: PoolFeatures;
}

/** The checks pool_ctr makes before it opens any device. */
export function parsePoolArgs(argv: readonly string[]): Parsed<PoolArgs> {
  if (argv.length < 4) return refuse('Invalid argument count');
  if (argv[0] === argv[1]) return refuse('Error setting metadata or data device');
  const rest = argv.slice(4);
  let features: PoolFeatures = DEFAULT_POOL_FEATURES;
  if (rest.length > 0) {
    const count = parseArgCount(rest[0]!);
    if (count === null || count > 4 || rest.length - 1 < count) {
      return refuse('Invalid number of pool feature arguments');
    }
    const f = { ...DEFAULT_POOL_FEATURES };
    for (const word of rest.slice(1, 1 + count)) {
      switch (word.toLowerCase()) {
        case 'skip_block_zeroing':
          f.zeroNewBlocks = false;
          break;
        case 'ignore_discard':
          f.discardEnabled = false;
          break;
        case 'no_discard_passdown':
          f.discardPassdown = false;
          break;
        case 'read_only':
          f.readOnly = true;
          break;
        case 'error_if_no_space':
          f.errorIfNoSpace = true;
          break;
        default:
          return refuse('Unrecognised pool feature requested');
      }
    }
    features = f;
  }
  return {
    ok: true,
    value: { metadataDev: argv[0]!, dataDev: argv[1]!, blockSizeText: argv[2]!, lowWaterText: argv[3]!, features },
  };
}

/** `sscanf("%u%c")`: a plain unsigned decimal and nothing after it. */
function parseArgCount(text: string): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const v = Number(text);
  return v <= 0xffffffff ? v : null;
}

/** kstrtoul check of the data block size: non-zero, 128..2097152, a multiple of 128. */
export function parseDataBlockSize(text: string): Parsed<number> {
  const v = parseKernelU64(text);
  if (
    v === null ||
    v === 0n ||
    v < BigInt(DATA_BLOCK_SIZE_MIN_SECTORS) ||
    v > BigInt(DATA_BLOCK_SIZE_MAX_SECTORS) ||
    v % BigInt(DATA_BLOCK_SIZE_MIN_SECTORS) !== 0n
  ) {
    return refuse('Invalid block size');
  }
  return { ok: true, value: Number(v) };
}

export function parseLowWaterMark(text: string): Parsed<number> {
  const v = parseKernelU64(text);
  if (v === null) return refuse('Invalid low water mark');
  // Marks beyond 2^53 behave like "always below": the lab keeps them as the largest safe number.
  return { ok: true, value: v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v) };
}

export interface ThinArgs {
  readonly poolDev: string;
  readonly devIdText: string;
  readonly originDev: string | null;
}

export function parseThinArgs(argv: readonly string[]): Parsed<ThinArgs> {
  if (argv.length !== 2 && argv.length !== 3) return refuse('Invalid argument count');
  if (argv.length === 3 && argv[0] === argv[2]) return refuse('Error setting origin device');
  return { ok: true, value: { poolDev: argv[0]!, devIdText: argv[1]!, originDev: argv[2] ?? null } };
}

export function parseThinDevId(text: string): Parsed<number> {
  const v = parseKernelU64(text);
  if (v === null || v > BigInt(MAX_DEV_ID)) return refuse('Invalid device id');
  return { ok: true, value: Number(v) };
}

export interface LinearArgs {
  readonly dev: string;
  readonly offsetSectors: number;
}

export function parseLinearArgs(argv: readonly string[]): Parsed<LinearArgs> {
  if (argv.length !== 2) return refuse('Invalid argument count');
  if (!/^[0-9]+$/.test(argv[1]!)) return refuse('Invalid device sector');
  return { ok: true, value: { dev: argv[0]!, offsetSectors: Number(argv[1]) } };
}
