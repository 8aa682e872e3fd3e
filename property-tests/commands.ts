/**
 * The commands the property tests generate, as plain data: each has its lab-shell rendering (the
 * lines a scenario file replays, and the log the replay invariants fold) and is run on the model
 * directly (property-tests/driver.ts), which is what the hot loop does. The shell lines and the
 * direct calls are the same device-mapper operations; invariant 7 checks that they reach the same
 * state.
 */

/** The lab's geometry for every sequence: small, so that data space runs out within 50 commands. */
export const GEOMETRY = {
  /** /dev/ram0 and /dev/ram1, KiB. */
  ramdiskKb: 4096,
  /** 64 KiB data blocks. */
  blockSectors: 128,
  /** Every thin is 8 blocks long. */
  thinBlocks: 8,
  /** The metadata device: a linear device over the start of /dev/ram0 (so that it can fail). */
  metadataSectors: 4096,
  /** The pool never grows beyond /dev/ram1. */
  maxPoolBlocks: 64,
  /** Thin device ids 0..5, activated as /dev/mapper/t0 ... */
  maxThins: 6,
} as const;

export const PATTERNS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;
export type Pattern = (typeof PATTERNS)[number];

export type Cmd =
  | { readonly k: 'create'; readonly id: number }
  | { readonly k: 'snap'; readonly id: number; readonly origin: number }
  | { readonly k: 'activate'; readonly id: number }
  | { readonly k: 'remove'; readonly id: number }
  /** `count` units of `unitSectors` (8: 4 KiB, partial blocks; 128: whole blocks) from unit `start`. */
  | {
      readonly k: 'write';
      readonly id: number;
      readonly unitSectors: 8 | 128;
      readonly start: number;
      readonly count: number;
      readonly pattern: Pattern;
    }
  | { readonly k: 'discard'; readonly id: number; readonly startSector: number; readonly sectors: number }
  | { readonly k: 'delete'; readonly id: number }
  | { readonly k: 'flush'; readonly id: number }
  | { readonly k: 'status' }
  | { readonly k: 'crash' }
  | { readonly k: 'reopen' }
  /** Grows the pool by `grow` blocks (reload with a longer table, suspend, resume). */
  | { readonly k: 'resize'; readonly grow: number }
  | { readonly k: 'zeroing'; readonly on: boolean }
  | { readonly k: 'metadata-error' }
  | { readonly k: 'metadata-repair' };

export const thinName = (id: number): string => `t${id}`;
const thinSectors = GEOMETRY.thinBlocks * GEOMETRY.blockSectors;

export function metadataTable(error: boolean, sectors: number = GEOMETRY.metadataSectors): string {
  return error ? `0 ${sectors} error` : `0 ${sectors} linear /dev/ram0 0`;
}

export function poolTable(blocks: number, zeroing: boolean): string {
  const features = zeroing ? ['error_if_no_space'] : ['error_if_no_space', 'skip_block_zeroing'];
  return `0 ${blocks * GEOMETRY.blockSectors} thin-pool /dev/mapper/meta /dev/ram1 ${GEOMETRY.blockSectors} 0 ${features.length} ${features.join(' ')}`;
}

export function thinTable(id: number): string {
  return `0 ${thinSectors} thin /dev/mapper/pool ${id}`;
}

/** The lines that set a sequence's lab up: the metadata device and the pool. */
export function setupLines(poolBlocks: number): string[] {
  return [
    `dmsetup create meta --table "${metadataTable(false)}" && dmsetup mknodes`,
    `dmsetup create pool --table "${poolTable(poolBlocks, true)}" && dmsetup mknodes`,
  ];
}

/**
 * The lab-shell lines a command runs. `poolBlocks` and `zeroing` are the pool table's current
 * values (a reload repeats the whole table).
 */
export function renderCommand(cmd: Cmd, pool: { readonly blocks: number; readonly zeroing: boolean }): string[] {
  switch (cmd.k) {
    case 'create':
      return [`dmsetup message pool 0 "create_thin ${cmd.id}"`];
    case 'snap':
      return [`dmsetup message pool 0 "create_snap ${cmd.id} ${cmd.origin}"`];
    case 'activate':
      return [`dmsetup create ${thinName(cmd.id)} --table "${thinTable(cmd.id)}" && dmsetup mknodes`];
    case 'remove':
      return [`dmsetup remove ${thinName(cmd.id)}`];
    case 'write': {
      const bs = cmd.unitSectors === 8 ? '4k' : '64k';
      return [
        `dd if=/patterns/${cmd.pattern} of=/dev/mapper/${thinName(cmd.id)} bs=${bs} seek=${cmd.start} count=${cmd.count} oflag=direct`,
      ];
    }
    case 'discard':
      return [`blkdiscard -o ${cmd.startSector * 512} -l ${cmd.sectors * 512} /dev/mapper/${thinName(cmd.id)}`];
    case 'delete':
      return [`dmsetup message pool 0 "delete ${cmd.id}"`];
    case 'flush':
      return [`dd if=/dev/zero of=/dev/mapper/${thinName(cmd.id)} bs=4k count=0 conv=fsync`];
    case 'status':
      return ['dmsetup status pool'];
    case 'crash':
      return ['crash'];
    case 'reopen':
      return [
        `dmsetup create meta --table "${metadataTable(false)}" && dmsetup mknodes`,
        `dmsetup create pool --table "${poolTable(pool.blocks, pool.zeroing)}" && dmsetup mknodes`,
      ];
    case 'resize':
      return [
        `dmsetup reload pool --table "${poolTable(pool.blocks + cmd.grow, pool.zeroing)}"`,
        'dmsetup suspend pool',
        'dmsetup resume pool',
      ];
    case 'zeroing':
      return [
        `dmsetup reload pool --table "${poolTable(pool.blocks, cmd.on)}"`,
        'dmsetup suspend pool',
        'dmsetup resume pool',
      ];
    case 'metadata-error':
      return [`dmsetup reload meta --table "${metadataTable(true)}"`, 'dmsetup suspend meta', 'dmsetup resume meta'];
    case 'metadata-repair':
      return [`dmsetup reload meta --table "${metadataTable(false)}"`, 'dmsetup suspend meta', 'dmsetup resume meta'];
    default:
      return [];
  }
}

/** A short text for a command (progress output, test names). */
export function describeCommand(cmd: Cmd): string {
  const { k, ...rest } = cmd;
  const args = Object.values(rest).join(',');
  return args === '' ? k : `${k}(${args})`;
}

/**
 * The shell lines of a whole sequence, per command (the setup first), tracking the pool table's
 * size and zeroing as the commands change them.
 */
export function renderSequence(config: { readonly poolBlocks: number }, ran: readonly Cmd[]): string[][] {
  const pool = { blocks: config.poolBlocks, zeroing: true };
  const out: string[][] = [setupLines(config.poolBlocks)];
  for (const cmd of ran) {
    out.push(renderCommand(cmd, pool));
    if (cmd.k === 'resize') pool.blocks += cmd.grow;
    if (cmd.k === 'zeroing') pool.zeroing = cmd.on;
  }
  return out;
}
