/**
 * thin_restore's and thin_repair's `--transaction-id`, `--data-block-size` and `--nr-data-blocks`
 * in 0.9.0 (override_options, thin-provisioning/override_emitter.h): each, when given, replaces
 * the superblock's value as the restorer receives it, whatever the XML or the input metadata say.
 * The values are read with boost::lexical_cast, as the XML's attributes are.
 */
import type { BuiltSuperblock } from './metadata-output.js';

export interface Overrides0 {
  transactionId?: bigint;
  dataBlockSize?: number;
  nrDataBlocks?: number;
}

/**
 * boost::lexical_cast to an unsigned integer of `bits`: an optional sign, then digits only; a value
 * of `bits` bits or more is refused, and a minus sign wraps the value around (`-1` is the largest).
 * Null where lexical_cast throws.
 */
export function lexicalCastUnsigned(text: string, bits: number): bigint | null {
  const m = /^([+-]?)([0-9]+)$/.exec(text);
  if (m === null) return null;
  const value = BigInt(m[2]!);
  if (value >= 1n << BigInt(bits)) return null;
  return m[1] === '-' ? BigInt.asUintN(bits, -value) : value;
}

const NAMES: Readonly<Record<string, string>> = {
  'transaction-id': 'transaction id',
  'data-block-size': 'data block size',
  'nr-data-blocks': 'nr data blocks',
};

/**
 * Takes one of the three options into `overrides` (parse_uint64, then a cast to 32 bits for the
 * block size); an unreadable value ends the tool as 0.9.0's die does. Other options are left alone.
 */
export function takeOverride0(
  overrides: Overrides0,
  key: string,
  arg: string | undefined,
  die: (message: string) => number,
): number | undefined {
  const name = NAMES[key];
  if (name === undefined) return undefined;
  const value = lexicalCastUnsigned(arg ?? '', 64);
  if (value === null) return die(`Couldn't parse ${name}: '${arg ?? ''}'`);
  if (key === 'transaction-id') overrides.transactionId = value;
  else if (key === 'data-block-size') overrides.dataBlockSize = Number(BigInt.asUintN(32, value));
  else overrides.nrDataBlocks = Number(value);
  return undefined;
}

/** The superblock as the override emitter hands it on. */
export function overridden0(sb: BuiltSuperblock, overrides: Overrides0): BuiltSuperblock {
  return {
    ...sb,
    transactionId: overrides.transactionId ?? sb.transactionId,
    dataBlockSize: overrides.dataBlockSize ?? sb.dataBlockSize,
    nrDataBlocks: overrides.nrDataBlocks ?? sb.nrDataBlocks,
  };
}

/**
 * recreate_superblock: with the input's superblock unreadable, the three values must all be
 * given; the first one missing (in this order) is named.
 */
export function missingOverride0(overrides: Overrides0): string | null {
  if (overrides.transactionId === undefined) return 'transaction id';
  if (overrides.dataBlockSize === undefined) return 'data block size';
  if (overrides.nrDataBlocks === undefined) return 'nr data blocks';
  return null;
}
