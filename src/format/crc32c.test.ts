import { describe, expect, it } from 'vitest';
import { crc32c, dmChecksum } from './crc32c.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the standard CRC-32C check values', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) appendix B.4 vectors.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_v, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_v, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('honours the range it is given', () => {
    const bytes = ascii('xx123456789yy');
    expect(crc32c(bytes, 2, 11)).toBe(0xe3069283);
  });

  it('computes the kernel block checksum: raw CRC from ~0, no final inversion, XOR constant', () => {
    const bytes = ascii('123456789');
    expect(dmChecksum(bytes, 0, bytes.length, 0)).toBe((0xe3069283 ^ 0xffffffff) >>> 0);
    expect(dmChecksum(bytes, 0, bytes.length, 160774)).toBe((0xe3069283 ^ 0xffffffff ^ 160774) >>> 0);
  });
});
