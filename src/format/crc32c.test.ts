import { describe, expect, it } from 'vitest';
import { crc32c, crc32cUpdate, dmChecksum } from './crc32c.js';

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

  it('folds eight bytes at a time to the same register as one bit at a time, at any start and length', () => {
    // The definition, one bit per step: what the sliced tables must reproduce.
    const bitwise = (seed: number, bytes: Uint8Array, start: number, end: number): number => {
      let c = seed >>> 0;
      for (let i = start; i < end; i++) {
        c ^= bytes[i]!;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return c >>> 0;
    };
    const bytes = Uint8Array.from({ length: 300 }, (_v, i) => (i * 2654435761) >>> 24);
    for (let start = 0; start < 9; start++) {
      for (const end of [start, start + 1, start + 7, start + 8, start + 9, start + 63, 300]) {
        expect(crc32cUpdate(0x12345678, bytes, start, end)).toBe(bitwise(0x12345678, bytes, start, end));
      }
    }
  });

  it('computes the kernel block checksum: raw CRC from ~0, no final inversion, XOR constant', () => {
    const bytes = ascii('123456789');
    expect(dmChecksum(bytes, 0, bytes.length, 0)).toBe((0xe3069283 ^ 0xffffffff) >>> 0);
    expect(dmChecksum(bytes, 0, bytes.length, 160774)).toBe((0xe3069283 ^ 0xffffffff ^ 160774) >>> 0);
  });
});
