/**
 * The `thin` target (thin_ctr and the thin's table and status lines): a thin device of a pool,
 * optionally over an external origin. Its I/O is the pool's (pool.ts); the checks here are the
 * kernel's, in its order, with its `ti->error` strings.
 */
import { Errno } from '../errno.js';
import { thinActivationRefusal } from '../lifecycle.js';
import { devNumber, type BlockDev, type DmDevice } from '../machine.js';
import { MAX_DEV_ID, type ThinDevice } from '../metadata.js';
import { parseKernelU64, type ThinPool } from '../pool.js';
import { thinIoHints } from '../queue-limits.js';
import { fail, ok } from '../result.js';
import { refuse, type Parsed } from './ctr-args.js';
import { defineTargetType, finishedIo } from './target-type.js';

export interface ThinTarget {
  readonly type: 'thin';
  readonly lengthSectors: number;
  /** The pool's dm device, held open by the thin. */
  readonly poolDev: DmDevice;
  readonly pool: ThinPool;
  readonly thin: ThinDevice;
  /** An external origin: what unmapped blocks read as, instead of zeros. */
  readonly origin: BlockDev | null;
}

export interface ThinArgs {
  readonly poolDev: string;
  readonly devIdText: string;
  readonly originDev: string | null;
}

/** The checks thin_ctr makes before it opens any device. */
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

export const thinTarget = defineTargetType<ThinTarget>({
  name: 'thin',

  construct(core, _dev, lengthSectors, argv) {
    const parsed = parseThinArgs(argv);
    if (!parsed.ok) return parsed;
    const t = parsed.value;
    let origin: BlockDev | null = null;
    if (t.originDev !== null) {
      origin = core.resolve(t.originDev);
      if (origin === null) return refuse('Error opening origin device', core.lookupErrno(t.originDev));
    }
    const poolBlock = core.resolve(t.poolDev);
    if (poolBlock === null) return refuse('Error opening pool device', core.lookupErrno(t.poolDev));
    const id = parseThinDevId(t.devIdText);
    if (!id.ok) return id;
    if (poolBlock.kind !== 'dm') return refuse("Couldn't get pool mapped device");
    const poolTarget = poolBlock.live ?? poolBlock.inactive;
    if (poolTarget?.type !== 'thin-pool') return refuse("Couldn't find pool object");
    const pool = poolTarget.pool;
    if (pool.mode === 'fail') return refuse(thinActivationRefusal(pool.mode, false)!);
    // The details are read from disk when the thin is opened, before the device is known to exist.
    const damaged = pool.detailsFailure(id.value);
    if (damaged !== null) {
      for (const line of damaged.lines) core.log(line);
      return refuse("Couldn't open thin internal device", damaged.errno);
    }
    const thin = pool.md.device(id.value);
    if (thin === undefined) return refuse("Couldn't open thin internal device", Errno.ENODATA);
    const refusal = thinActivationRefusal(pool.mode, pool.suspended);
    if (refusal !== null) return refuse(refusal);
    return { ok: true, value: { type: 'thin', lengthSectors, poolDev: poolBlock, pool, thin, origin } };
  },

  areas: () => [],
  // thin_iterate_devices walks the pool's device, so a thin shows the pool's limits.
  limitDevices: (t) => [t.poolDev],
  ioHints: (t, limits, kernel) =>
    thinIoHints(
      limits,
      t.pool.dataBlockSizeSectors,
      t.pool.thinsSupportDiscard,
      kernel.thinDiscardMaxBytes(t.pool.dataBlockSizeSectors),
      kernel.thinSetsHwDiscardMax,
    ),
  heldDevices: (t) => (t.origin === null ? [t.poolDev] : [t.poolDev, t.origin]),

  acquire(core, t) {
    t.thin.openCount++;
    core.holdPool(t.pool);
  },

  release(core, t) {
    t.thin.openCount--;
    core.dropPoolRef(t.pool);
  },

  status: (t) => t.pool.thinStatus(t.thin),
  table: (t) => `${devNumber(t.poolDev)} ${t.thin.id}${t.origin ? ` ${devNumber(t.origin)}` : ''}`,

  read(core, t, start, count) {
    const out = new Uint32Array(count);
    const r = t.pool.read(t.thin, start, count, out, core.originOf(t.origin));
    return r === 0 ? ok(out) : fail(r);
  },

  write: (core, t, start, tokens) => t.pool.write(t.thin, start, tokens, core.originOf(t.origin)),
  discard: (_core, t, start, count) => t.pool.discard(t.thin, start, count),
  // A suspended thin's flush does not reach the pool: the lab completes it at once, with no error.
  flush: (t, suspended) => (suspended ? finishedIo(0) : t.pool.flush(t.thin)),
  supportsDiscard: (_core, t) => t.pool.thinsSupportDiscard,
  works: () => true,
  writeDelayMs: () => 0,
  storageUnder: () => null,
  offsetUnder: () => 0,
});
