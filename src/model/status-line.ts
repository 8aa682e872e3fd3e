/**
 * The text of `dmsetup status` for the thin-pool and thin targets (dm-thin.c pool_status and
 * thin_status; dm-thin.md §6.1 and §6.3), written and read in one place. The pool model prints
 * these lines and `thinlab explain` reads them back, so a field added on one side and not the
 * other would make the explanation silently wrong; the round-trip test holds them together.
 */

export const POOL_MODE_WORDS = ['rw', 'ro', 'out_of_data_space'] as const;
export type PoolModeWord = (typeof POOL_MODE_WORDS)[number];
export const DISCARD_WORDS = ['discard_passdown', 'no_discard_passdown', 'ignore_discard'] as const;
export type DiscardWord = (typeof DISCARD_WORDS)[number];
export const NO_SPACE_WORDS = ['queue_if_no_space', 'error_if_no_space'] as const;
export type NoSpaceWord = (typeof NO_SPACE_WORDS)[number];

/** The fields of a pool status line, in the order the kernel prints them. */
export interface PoolStatusFields {
  readonly kind: 'fields';
  readonly transactionId: bigint;
  readonly metadataUsedBlocks: number;
  readonly metadataTotalBlocks: number;
  readonly dataUsedBlocks: number;
  readonly dataTotalBlocks: number;
  /** The held metadata root's block, null when none is held (printed `-`). */
  readonly heldRootBlock: number | null;
  readonly modeWord: PoolModeWord;
  readonly discardWord: DiscardWord;
  readonly noSpaceWord: NoSpaceWord;
  readonly needsCheck: boolean;
  readonly metadataLowWaterBlocks: number;
}

/** `Fail` in fail mode; `Error` when a statistic could not be read. */
export type PoolStatus = PoolStatusFields | { readonly kind: 'Fail' } | { readonly kind: 'Error' };

export interface ThinStatusFields {
  readonly kind: 'fields';
  readonly mappedSectors: number;
  /** null when nothing is mapped (printed `-`). */
  readonly highestMappedSector: number | null;
}

export type ThinStatus = ThinStatusFields | { readonly kind: 'Fail' } | { readonly kind: 'Error' };

/** The pool target's status text (after `0 <len> thin-pool `): every field followed by a space. */
export function formatPoolStatus(s: PoolStatus): string {
  if (s.kind !== 'fields') return s.kind;
  return (
    `${s.transactionId} ${s.metadataUsedBlocks}/${s.metadataTotalBlocks} ${s.dataUsedBlocks}/${s.dataTotalBlocks} ` +
    `${s.heldRootBlock === null ? '-' : s.heldRootBlock} ${s.modeWord} ${s.discardWord} ${s.noSpaceWord} ` +
    `${s.needsCheck ? 'needs_check' : '-'} ${s.metadataLowWaterBlocks} `
  );
}

/** The thin target's status text (after `0 <len> thin `), with no trailing space. */
export function formatThinStatus(s: ThinStatus): string {
  if (s.kind !== 'fields') return s.kind;
  return `${s.mappedSectors} ${s.highestMappedSector === null ? '-' : s.highestMappedSector}`;
}

const COUNT = /^(0|[1-9][0-9]*)$/;
const count = (word: string | undefined): number | null =>
  word !== undefined && COUNT.test(word) ? Number(word) : null;
const ratio = (word: string | undefined): [number, number] | null => {
  const [used, total, extra] = (word ?? '').split('/');
  const u = count(used);
  const t = count(total);
  return u === null || t === null || extra !== undefined ? null : [u, t];
};
const oneOf = <T extends string>(words: readonly T[], word: string | undefined): T | null =>
  words.includes(word as T) ? (word as T) : null;

/** Reads a pool target's status text (words split by any white space); null when it is not one. */
export function parsePoolStatus(text: string): PoolStatus | null {
  const words = text.trim().split(/\s+/);
  if (words.length === 1 && (words[0] === 'Fail' || words[0] === 'Error')) return { kind: words[0] };
  if (words.length !== 9) return null;
  const [tid, meta, data, held, mode, discard, space, check, threshold] = words;
  const metadata = ratio(meta);
  const dataBlocks = ratio(data);
  const heldRootBlock = held === '-' ? null : count(held);
  const modeWord = oneOf(POOL_MODE_WORDS, mode);
  const discardWord = oneOf(DISCARD_WORDS, discard);
  const noSpaceWord = oneOf(NO_SPACE_WORDS, space);
  const lowWater = count(threshold);
  if (!COUNT.test(tid!) || metadata === null || dataBlocks === null || (held !== '-' && heldRootBlock === null))
    return null;
  if (
    modeWord === null ||
    discardWord === null ||
    noSpaceWord === null ||
    (check !== '-' && check !== 'needs_check') ||
    lowWater === null
  )
    return null;
  return {
    kind: 'fields',
    transactionId: BigInt(tid!),
    metadataUsedBlocks: metadata[0],
    metadataTotalBlocks: metadata[1],
    dataUsedBlocks: dataBlocks[0],
    dataTotalBlocks: dataBlocks[1],
    heldRootBlock,
    modeWord,
    discardWord,
    noSpaceWord,
    needsCheck: check === 'needs_check',
    metadataLowWaterBlocks: lowWater,
  };
}

/** Reads a thin target's status text; null when it is not one. */
export function parseThinStatus(text: string): ThinStatus | null {
  const words = text.trim().split(/\s+/);
  if (words.length === 1 && (words[0] === 'Fail' || words[0] === 'Error')) return { kind: words[0] };
  if (words.length !== 2) return null;
  const mappedSectors = count(words[0]);
  const highest = words[1] === '-' ? null : count(words[1]);
  if (mappedSectors === null || (words[1] !== '-' && highest === null)) return null;
  return { kind: 'fields', mappedSectors, highestMappedSector: highest };
}

/** A `dmsetup status` line split into its device name (when listed), range, target and text. */
export interface StatusLine {
  readonly device: string | null;
  readonly startSector: number;
  readonly lengthSectors: number;
  readonly target: string;
  readonly text: string;
}

/** Splits `[name: ]<start> <length> <target> <text>`; null when the line has no such prefix. */
export function splitStatusLine(line: string): StatusLine | null {
  const m = /^(?:(\S+):\s+)?(\d+)\s+(\d+)\s+(\S+)\s?(.*)$/s.exec(line.replace(/\n$/, ''));
  if (m === null) return null;
  return { device: m[1] ?? null, startSector: Number(m[2]), lengthSectors: Number(m[3]), target: m[4]!, text: m[5]! };
}
