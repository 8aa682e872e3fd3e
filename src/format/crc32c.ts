/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
 *
 * The kernel's persistent-data library checksums every metadata block with
 * `crc32c(~0, data, len) ^ xor_constant` and no final inversion (dm-block-manager.c,
 * `dm_bm_checksum`). {@link crc32c} is the standard CRC-32C (with the final inversion, so that
 * the usual test vectors hold); {@link dmChecksum} is the kernel's variant built on it.
 */

const TABLE: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Runs the raw CRC register over `bytes[start, end)` from `seed`, with no inversions. */
export function crc32cUpdate(seed: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = seed >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** The standard CRC-32C of `bytes[start, end)` (crc32c("123456789") = 0xE3069283). */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return (crc32cUpdate(0xffffffff, bytes, start, end) ^ 0xffffffff) >>> 0;
}

/** The kernel's block checksum: the raw CRC from ~0, XORed with a per-structure constant. */
export function dmChecksum(bytes: Uint8Array, start: number, end: number, xor: number): number {
  return (crc32cUpdate(0xffffffff, bytes, start, end) ^ xor) >>> 0;
}
