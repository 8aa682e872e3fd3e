import { describe, expect, it } from 'vitest';
import { CHUNK_SECTORS, SectorDictionary, sectorHash, SectorStore } from './sectors.js';

describe('SectorDictionary', () => {
  it('gives a uniform sector its byte as token and interns other sectors once', () => {
    const d = new SectorDictionary();
    expect(d.intern(new Uint8Array(512).fill(65))).toBe(65);
    const mixed = new Uint8Array(512).fill(1);
    mixed[7] = 2;
    const t = d.intern(mixed);
    expect(t).toBeGreaterThanOrEqual(256);
    expect(d.intern(Uint8Array.from(mixed))).toBe(t);
    expect([...d.bytesOf(Uint32Array.of(t))]).toEqual([...mixed]);
  });

  it('keeps distinct sectors apart across slabs, and sectors whose hashes collide', () => {
    // Find two different sectors with the same bucket hash, so that interning has to compare bytes.
    const sector = (n: number): Uint8Array => {
      const b = new Uint8Array(512).fill(9);
      // Two fields that both depend on n: one alone maps n to the hash one-to-one (no collision).
      const view = new DataView(b.buffer);
      view.setUint32(100, n);
      view.setUint32(200, Math.imul(n, 2654435761));
      return b;
    };
    const seen = new Map<number, number>();
    let pair: [number, number] | null = null;
    for (let n = 0; pair === null; n++) {
      const h = sectorHash(sector(n));
      const other = seen.get(h);
      if (other !== undefined) pair = [other, n];
      else seen.set(h, n);
    }
    const d = new SectorDictionary();
    const [a, b] = pair;
    const ta = d.intern(sector(a));
    const tb = d.intern(sector(b));
    expect(tb).not.toBe(ta);
    expect(d.intern(sector(a))).toBe(ta);
    expect(d.intern(sector(b))).toBe(tb);
    expect([...d.bytesOf(Uint32Array.of(tb, ta))]).toEqual([...sector(b), ...sector(a)]);
    // Enough sectors to fill several slabs and grow the bucket links: each reads back as itself.
    const tokens = Array.from({ length: 300 }, (_, i) => d.intern(sector(1_000_000 + i)));
    expect(new Set(tokens).size).toBe(300);
    tokens.forEach((t, i) => expect([...d.bytesOf(Uint32Array.of(t))]).toEqual([...sector(1_000_000 + i)]));
  });
});

describe('SectorStore', () => {
  it('reads back what was written, across chunk boundaries', () => {
    const s = new SectorStore(CHUNK_SECTORS * 3);
    const tokens = Uint32Array.from({ length: 200 }, (_, i) => (i % 7) + 1);
    s.write(100, tokens);
    expect([...s.read(100, 200)]).toEqual([...tokens]);
    expect(s.read(0, 100).every((t) => t === 0)).toBe(true);
    expect(s.read(300, 84).every((t) => t === 0)).toBe(true);
  });

  it('folds a chunk back to one slot when its sectors agree again', () => {
    const s = new SectorStore(CHUNK_SECTORS);
    s.fill(3, 1, 9);
    expect(s.mixedChunkCount).toBe(1);
    s.fill(3, 1, 0);
    expect(s.mixedChunkCount).toBe(0);
    s.fill(0, CHUNK_SECTORS, 66);
    expect(s.tokenAt(127)).toBe(66);
  });

  it('keeps its contents when cloned to a larger size', () => {
    const s = new SectorStore(CHUNK_SECTORS);
    s.fill(10, 5, 7);
    const c = s.cloneResized(CHUNK_SECTORS * 2);
    expect([...c.read(9, 7)]).toEqual([0, 7, 7, 7, 7, 7, 0]);
    s.fill(10, 1, 1);
    expect(c.tokenAt(10)).toBe(7);
  });
});
