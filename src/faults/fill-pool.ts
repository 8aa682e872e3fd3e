/**
 * `fault fill`: data space taken by another consumer of the pool, the way it happens in the
 * field (another container's layer, another LV of the same pool, a runaway writer): a thin device
 * of its own is created in the pool and written block by block with whole-block writes, then the
 * pool commits, as the 1 s commit timer would. Everything it does is what the kernel does for those
 * messages and writes, so the space comes back the real ways: `dmsetup message POOL 0 "delete ID"`
 * (then a commit), or growing the pool.
 *
 *   fault fill POOL BLOCKS|all [ID]   a new thin ID (default: the lowest free id from 1000) takes
 *                                     BLOCKS free data blocks, or all of them
 */
import { Errno, strerror } from '../model/errno.js';
import type { ShellContext } from '../lab/context.js';
import type { CommandIo } from '../shell/io.js';
import { parsedFaultKind, type FaultKind } from './fault-kind.js';

const USAGE = 'POOL BLOCKS|all [ID]';
/** What the other consumer writes: recognisable when the pool's data device is read. */
const FILL_BYTE = 0x5a;
const FIRST_FILL_ID = 1000;

interface FillRequest {
  readonly pool: string;
  readonly blocks: number | 'all';
  readonly id: number | null;
}

function parseFill(args: readonly string[]): FillRequest | string {
  if (args.length < 2 || args.length > 3)
    return `expected 2 or 3 arguments, got ${args.length} (usage: fault fill ${USAGE})`;
  const blocks = args[1] === 'all' ? 'all' : /^[1-9][0-9]*$/.test(args[1]!) ? Number(args[1]) : null;
  if (blocks === null) return `'${args[1]}' is not a number of blocks or 'all'`;
  if (args[2] !== undefined && !/^[0-9]+$/.test(args[2])) return `'${args[2]}' is not a thin device id`;
  return { pool: args[0]!, blocks, id: args[2] === undefined ? null : Number(args[2]) };
}

function runFill(ctx: ShellContext, req: FillRequest, io: CommandIo): number {
  const m = ctx.machine;
  const dev = m.resolveDevice(req.pool.includes('/') ? req.pool : `/dev/mapper/${req.pool}`);
  const t = dev?.kind === 'dm' ? dev.live : null;
  if (dev?.kind !== 'dm' || t?.type !== 'thin-pool') {
    io.err(`fault fill: ${req.pool}: not an active thin-pool device\n`);
    return 1;
  }
  const pool = t.pool;
  let id = req.id ?? FIRST_FILL_ID;
  if (req.id === null) while (pool.md.device(id) !== undefined) id++;
  // The message commits, so every free block is allocatable afterwards.
  const created = m.message(dev, ['create_thin', String(id)]);
  if (created !== 0) {
    io.err(`fault fill: create_thin ${id} on ${req.pool} failed: ${strerror(created)}\n`);
    return 1;
  }
  const thin = pool.md.device(id)!;
  const bs = pool.dataBlockSizeSectors;
  const free = pool.md.spaceMap.nrFree;
  const count = req.blocks === 'all' ? free : Math.min(req.blocks, free);
  const block = new Uint32Array(bs).fill(FILL_BYTE);
  for (let vb = 0; vb < count; vb++) {
    const ticket = pool.write(thin, vb * bs, block);
    if (!ticket.done || ticket.errno !== 0) {
      io.err(`fault fill: write to thin ${id} failed: ${strerror(ticket.done ? ticket.errno : Errno.ENOSPC)}\n`);
      return 1;
    }
  }
  pool.commit();
  if (req.blocks !== 'all' && count < req.blocks) {
    io.err(`fault fill: ${req.pool} had ${free} free blocks: thin ${id} took them all\n`);
  }
  return 0;
}

export const FILL_FAULT: FaultKind = parsedFaultKind(
  'fill',
  `${USAGE}  another consumer (thin ID, default 1000 up) takes BLOCKS free data blocks of POOL`,
  parseFill,
  runFill,
);
