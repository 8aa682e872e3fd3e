/**
 * The block layer's queue limits (`/sys/block/NAME/queue/*`) as Linux 6.1 computes them for the
 * lab's devices: a RAM disk's and a loop device's own, and a dm device's stacked from the devices
 * its targets map (blk_stack_limits), adjusted by each target's io_hints, with the discard limits
 * cleared when the table cannot discard (dm_table_set_restrictions). Measured on the oracle:
 * fixtures/kernel/103-queue-limits.
 */

/** The limits the lab shows; sizes in bytes except the sector counts, as the kernel keeps them. */
export interface QueueLimits {
  readonly logicalBlockBytes: number;
  readonly physicalBlockBytes: number;
  readonly ioMinBytes: number;
  readonly ioOptBytes: number;
  /** The largest I/O the queue takes, in sectors (max_sectors; the pool's io_hints reads it). */
  readonly maxSectors: number;
  readonly discardGranularityBytes: number;
  readonly maxDiscardSectors: number;
  readonly maxHwDiscardSectors: number;
}

const UINT_MAX = 0xffffffff;

/** blk_set_stacking_limits: what a dm table starts from before it stacks its devices. */
export const STACKING_LIMITS: QueueLimits = {
  logicalBlockBytes: 512,
  physicalBlockBytes: 512,
  ioMinBytes: 512,
  ioOptBytes: 0,
  maxSectors: UINT_MAX,
  discardGranularityBytes: 0,
  maxDiscardSectors: 0,
  maxHwDiscardSectors: 0,
};

/**
 * brd on 6.1: 4 KiB pages as physical blocks (io_min follows), the default safe max_sectors, and
 * no discard (which is also why a pool on a RAM disk switches its passdown off).
 */
export const RAM_DISK_LIMITS: QueueLimits = {
  ...STACKING_LIMITS,
  physicalBlockBytes: 4096,
  ioMinBytes: 4096,
  maxSectors: 255,
};

/** A loop device over a tmpfs file: discards punch holes, a page at a time (fixtures/kernel/85). */
export const LOOP_LIMITS: QueueLimits = {
  ...STACKING_LIMITS,
  maxSectors: 255,
  discardGranularityBytes: 4096,
  maxDiscardSectors: 8388607,
  maxHwDiscardSectors: 8388607,
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcmNotZero = (a: number, b: number): number => (a === 0 || b === 0 ? a || b : (a / gcd(a, b)) * b);
const minNotZero = (a: number, b: number): number => (a === 0 ? b : b === 0 ? a : Math.min(a, b));

/** blk_stack_limits: `top` taking on `bottom`'s constraints (the alignment checks left out). */
export function stackLimits(top: QueueLimits, bottom: QueueLimits): QueueLimits {
  const discard = bottom.discardGranularityBytes !== 0;
  return {
    logicalBlockBytes: Math.max(top.logicalBlockBytes, bottom.logicalBlockBytes),
    physicalBlockBytes: Math.max(top.physicalBlockBytes, bottom.physicalBlockBytes),
    ioMinBytes: Math.max(top.ioMinBytes, bottom.ioMinBytes),
    ioOptBytes: lcmNotZero(top.ioOptBytes, bottom.ioOptBytes),
    maxSectors: minNotZero(top.maxSectors, bottom.maxSectors),
    discardGranularityBytes: discard
      ? Math.max(top.discardGranularityBytes, bottom.discardGranularityBytes)
      : top.discardGranularityBytes,
    maxDiscardSectors: discard ? minNotZero(top.maxDiscardSectors, bottom.maxDiscardSectors) : top.maxDiscardSectors,
    maxHwDiscardSectors: discard
      ? minNotZero(top.maxHwDiscardSectors, bottom.maxHwDiscardSectors)
      : top.maxHwDiscardSectors,
  };
}

/** The limits without discard: what a table that cannot discard shows. */
export function withoutDiscard(limits: QueueLimits): QueueLimits {
  return { ...limits, discardGranularityBytes: 0, maxDiscardSectors: 0, maxHwDiscardSectors: 0 };
}

const isFactor = (n: number, d: number): boolean => d !== 0 && n % d === 0;
const roundDownPowerOfTwo = (n: number): number => 2 ** Math.floor(Math.log2(n));

/**
 * pool_io_hints: max_sectors cut to a power-of-two factor of the block size when smaller than a
 * block; io_min and io_opt set from the block unless the stacked io_opt is already a multiple of it;
 * no discard limits at all when the pool ignores discards.
 */
export function poolIoHints(limits: QueueLimits, blockSectors: number, discardEnabled: boolean): QueueLimits {
  let maxSectors = limits.maxSectors;
  if (maxSectors < blockSectors) {
    while (!isFactor(blockSectors, maxSectors)) {
      if ((maxSectors & (maxSectors - 1)) === 0) maxSectors--;
      maxSectors = roundDownPowerOfTwo(maxSectors);
    }
  }
  let { ioMinBytes, ioOptBytes } = limits;
  const ioOptSectors = Math.floor(ioOptBytes / 512);
  if (ioOptSectors < blockSectors || !isFactor(ioOptSectors, blockSectors)) {
    // blk_limits_io_min never goes below the physical block size.
    const min = isFactor(blockSectors, maxSectors) ? maxSectors * 512 : blockSectors * 512;
    ioMinBytes = Math.max(min, limits.physicalBlockBytes);
    ioOptBytes = blockSectors * 512;
  }
  const hinted = { ...limits, maxSectors, ioMinBytes, ioOptBytes };
  return discardEnabled ? hinted : withoutDiscard(hinted);
}

/**
 * thin_io_hints: a thin discards whole pool blocks, up to `maxDiscardBytes` at a time (the
 * kernel's: a fixed 16 GiB on 6.1, 1024 blocks on 6.12; src/model/kernel-behaviour.ts).
 */
export function thinIoHints(
  limits: QueueLimits,
  blockSectors: number,
  discardEnabled: boolean,
  maxDiscardBytes: number,
  setsHwMax: boolean,
): QueueLimits {
  if (!discardEnabled) return limits;
  const max = maxDiscardBytes / 512;
  return {
    ...limits,
    discardGranularityBytes: blockSectors * 512,
    maxDiscardSectors: max,
    maxHwDiscardSectors: setsHwMax ? max : limits.maxHwDiscardSectors,
  };
}

/** 6.12's zero_io_hints and io_err_io_hints: discards of any size, a sector at a time. */
export function anyDiscardIoHints(limits: QueueLimits): QueueLimits {
  return { ...limits, discardGranularityBytes: 512, maxDiscardSectors: UINT_MAX, maxHwDiscardSectors: UINT_MAX };
}

/** The `/sys/block/NAME/queue/ATTRIBUTE` text of the limits; null for an attribute the lab has not. */
export function queueAttributeText(limits: QueueLimits, attribute: string): string | null {
  switch (attribute) {
    case 'logical_block_size':
    case 'hw_sector_size':
      return `${limits.logicalBlockBytes}\n`;
    case 'physical_block_size':
      return `${limits.physicalBlockBytes}\n`;
    case 'minimum_io_size':
      return `${limits.ioMinBytes}\n`;
    case 'optimal_io_size':
      return `${limits.ioOptBytes}\n`;
    case 'discard_granularity':
      return `${limits.discardGranularityBytes}\n`;
    case 'discard_max_bytes':
      return `${limits.maxDiscardSectors * 512}\n`;
    case 'discard_max_hw_bytes':
      return `${limits.maxHwDiscardSectors * 512}\n`;
    default:
      return null;
  }
}
