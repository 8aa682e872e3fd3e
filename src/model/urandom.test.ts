import { describe, expect, it } from 'vitest';
import { URANDOM_SEED, urandomBytes } from './urandom.js';

describe('the lab /dev/urandom', () => {
  it('gives the same bytes from the same state, and continues the stream from the state it returns', () => {
    const a = urandomBytes(URANDOM_SEED, 4096);
    const b = urandomBytes(URANDOM_SEED, 4096);
    expect(a.bytes).toEqual(b.bytes);
    const next = urandomBytes(a.state, 4096);
    expect(next.bytes).not.toEqual(a.bytes);
  });

  it('gives bytes that look random: every value appears, none dominates', () => {
    const { bytes } = urandomBytes(URANDOM_SEED, 65536);
    const counts = new Array<number>(256).fill(0);
    for (const b of bytes) counts[b]!++;
    expect(Math.min(...counts)).toBeGreaterThan(128);
    expect(Math.max(...counts)).toBeLessThan(384);
  });

  it('returns exactly the bytes asked for, also when not a multiple of four', () => {
    expect(urandomBytes(URANDOM_SEED, 1001).bytes.length).toBe(1001);
  });
});
