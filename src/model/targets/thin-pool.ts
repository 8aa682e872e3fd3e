/**
 * The `thin-pool` target's table side (pool_ctr and the pool's table and status lines): argument
 * checks exactly as the kernel's constructor makes them, in the same order, with the same
 * `ti->error` strings. The pool at run time is ThinPool (pool.ts); the machine keeps the pools'
 * registry (__pool_table), which this constructor asks for the pool a table drives.
 */
import { devNumber, type BlockDev } from '../machine.js';
import { DEFAULT_POOL_FEATURES, parseKernelU64, type PoolFeatures, type PoolTable, type ThinPool } from '../pool.js';
import { poolIoHints } from '../queue-limits.js';
import { readUint, refuse, UINT_MAX, type Parsed } from './ctr-args.js';
import { defineTargetType, finishedIo } from './target-type.js';

export const DATA_BLOCK_SIZE_MIN_SECTORS = 128;
export const DATA_BLOCK_SIZE_MAX_SECTORS = 2097152;

export interface ThinPoolTarget {
  readonly type: 'thin-pool';
  readonly lengthSectors: number;
  readonly pool: ThinPool;
  readonly table: PoolTable;
  readonly metadataDev: BlockDev;
  readonly dataDev: BlockDev;
}

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
    // `sscanf("%u%c")`: a plain unsigned decimal and nothing after it.
    const count = readUint(rest[0], 0, UINT_MAX);
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

/** The pool's table line after `start length thin-pool ` (pool_status, STATUSTYPE_TABLE). */
function poolTableText(table: PoolTable): string {
  const f = table.features;
  const words: string[] = [];
  if (!f.zeroNewBlocks) words.push('skip_block_zeroing');
  if (!f.discardEnabled) words.push('ignore_discard');
  if (!f.discardPassdown) words.push('no_discard_passdown');
  if (f.readOnly) words.push('read_only');
  if (f.errorIfNoSpace) words.push('error_if_no_space');
  const head = `${table.metadataDevName} ${table.dataDevName} ${table.dataBlockSizeSectors} ${table.lowWaterBlocks} ${words.length} `;
  return head + words.map((w) => `${w} `).join('');
}

export const thinPoolTarget = defineTargetType<ThinPoolTarget>({
  name: 'thin-pool',

  construct(core, dev, lengthSectors, argv) {
    const parsed = parsePoolArgs(argv);
    if (!parsed.ok) return parsed;
    const p = parsed.value;
    const metadataDev = core.resolve(p.metadataDev);
    if (metadataDev === null) return refuse('Error opening metadata block device', core.lookupErrno(p.metadataDev));
    const dataDev = core.resolve(p.dataDev);
    if (dataDev === null) return refuse('Error getting data device', core.lookupErrno(p.dataDev));
    const bs = parseDataBlockSize(p.blockSizeText);
    if (!bs.ok) return bs;
    const lwm = parseLowWaterMark(p.lowWaterText);
    if (!lwm.ok) return lwm;
    const table: PoolTable = {
      lengthSectors,
      metadataDevName: devNumber(metadataDev),
      dataDevName: devNumber(dataDev),
      dataBlockSizeSectors: bs.value,
      lowWaterBlocks: lwm.value,
      features: p.features,
    };
    const pool = core.poolForTable(dev, table, metadataDev, dataDev);
    if (!pool.ok) return pool;
    // A reload's block size is ignored: the table shows the pool's own (pool_status prints
    // pool->sectors_per_block), and the pool's size is counted in its blocks.
    const kept = { ...table, dataBlockSizeSectors: pool.value.dataBlockSizeSectors };
    return {
      ok: true,
      value: { type: 'thin-pool', lengthSectors, pool: pool.value, table: kept, metadataDev, dataDev },
    };
  },

  // dm_calculate_queue_limits runs the pool's io_hints (which logs a disabled passdown) before
  // it checks that every device a target uses holds the area it maps.
  loaded: (t) => t.pool.tableLoaded(t.table),
  areas: (t) => [{ under: t.dataDev, offset: 0 }],
  // pool_ctr lets the table discard only with discards on and passed down; the limits themselves
  // are the data device's (none on a RAM disk).
  ioHints: (t, limits) =>
    poolIoHints(
      limits,
      t.pool.dataBlockSizeSectors,
      t.table.features.discardEnabled && t.table.features.discardPassdown,
    ),
  heldDevices: (t) => [t.metadataDev, t.dataDev],
  acquire: (core, t) => core.holdPool(t.pool),
  release: (core, t) => core.dropPoolRef(t.pool),
  status: (t, noFlush, suspended) => t.pool.status(noFlush || suspended),
  table: (t) => poolTableText(t.table),
  read: (core, t, start, count) => core.readSectors(t.dataDev, start, count),
  write: (core, t, start, tokens) => core.writeSectors(t.dataDev, start, tokens),
  discard: (core, t, start, count) => core.discardSectors(t.dataDev, start, count),
  flush: () => finishedIo(0),
  supportsDiscard: (core, t) => {
    const f = t.table.features;
    if (core.kernel.poolDiscardsOnlyWithPassdown && !(f.discardEnabled && f.discardPassdown)) return false;
    return core.supportsDiscard(t.dataDev);
  },
  works: () => true,
  writeDelayMs: () => 0,
  storageUnder: () => null,
  offsetUnder: () => 0,
  presuspend: (t) => t.pool.presuspend(),
  postsuspend: (t) => t.pool.postsuspend(),
  preresume: (t, reloaded) => t.pool.preresume(reloaded ? t.table : null),
  resume: (t) => t.pool.resume(),
  message: (t, argv) => t.pool.message(argv),
});
