/**
 * What every 512-byte sector holds, without storing the bytes.
 *
 * A sector's content is a 32-bit token. Tokens 0..255 mean "every byte is this value" (0 = zeros,
 * 65 = the pattern file /patterns/A). Larger tokens name an arbitrary 512-byte sector interned in a
 * {@link SectorDictionary}, so partial writes of any bytes stay exact while the common case (whole
 * sectors of one byte) costs four bytes per sector or less. This is what lets the lab compute the
 * md5sum a real device would give without keeping gigabytes of data.
 */
import { assert } from './assert.js';

export const SECTOR_BYTES = 512;
export const ZERO_TOKEN = 0;
/** Sectors per chunk of a {@link SectorStore}: 64 KiB, the smallest dm-thin data block. */
export const CHUNK_SECTORS = 128;
const MIXED = 0xffffffff;

/** Interned sectors per slab of a {@link SectorDictionary}: 32 KiB slabs. */
const SLAB_SECTORS = 64;

/**
 * 32-bit FNV-1a over the sector's bytes, mixed once more at the end: a bucket key, never trusted on
 * its own (interning compares the bytes of every candidate).
 */
export function sectorHash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < SECTOR_BYTES; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  h ^= h >>> 16;
  return Math.imul(h, 0x45d9f3b) >>> 0;
}

export class SectorDictionary {
  /**
   * Interned sectors live in fixed-size slabs rather than one array each, and the index is keyed
   * by a number rather than a 512-character string: a metadata image of a big pool interns tens of
   * thousands of sectors, and as separate objects they made every major garbage collection of the
   * lab walk them all (a cold thin_check of a 1M-mapping image spent most of its time there).
   */
  private readonly slabs: Uint8Array[] = [];
  private count = 0;
  /** Hash -> the first token with that hash; the rest of the bucket follows `nextInBucket`. */
  private readonly firstByHash = new Map<number, number>();
  private nextInBucket = new Uint32Array(SLAB_SECTORS);

  /** Returns the token for these 512 bytes, interning them when they are not uniform. */
  intern(bytes: Uint8Array): number {
    assert(bytes.length === SECTOR_BYTES, 'a sector is 512 bytes');
    const first = bytes[0]!;
    let uniform = true;
    for (let i = 1; i < SECTOR_BYTES; i++) {
      if (bytes[i] !== first) {
        uniform = false;
        break;
      }
    }
    if (uniform) return first;
    const hash = sectorHash(bytes);
    const head = this.firstByHash.get(hash);
    // Bucket links are stored as token + 1 so that 0 ends a bucket.
    for (let t = head === undefined ? 0 : head + 1; t !== 0; t = this.nextInBucket[t - 1 - 256]!) {
      if (this.sameBytes(t - 1, bytes)) return t - 1;
    }
    const index = this.count++;
    if (index % SLAB_SECTORS === 0) this.slabs.push(new Uint8Array(SLAB_SECTORS * SECTOR_BYTES));
    this.slabs[this.slabs.length - 1]!.set(bytes, (index % SLAB_SECTORS) * SECTOR_BYTES);
    if (index >= this.nextInBucket.length) {
      const grown = new Uint32Array(this.nextInBucket.length * 2);
      grown.set(this.nextInBucket);
      this.nextInBucket = grown;
    }
    const token = 256 + index;
    this.nextInBucket[index] = head === undefined ? 0 : head + 1;
    this.firstByHash.set(hash, token);
    return token;
  }

  private sameBytes(token: number, bytes: Uint8Array): boolean {
    const index = token - 256;
    const slab = this.slabs[Math.floor(index / SLAB_SECTORS)]!;
    const base = (index % SLAB_SECTORS) * SECTOR_BYTES;
    for (let i = 0; i < SECTOR_BYTES; i++) if (slab[base + i] !== bytes[i]) return false;
    return true;
  }

  /** Writes the bytes of `token` into `out` at `offset`. */
  materialize(token: number, out: Uint8Array, offset: number): void {
    if (token < 256) {
      out.fill(token, offset, offset + SECTOR_BYTES);
      return;
    }
    const index = token - 256;
    assert(index < this.count, `unknown sector token ${token}`);
    const base = (index % SLAB_SECTORS) * SECTOR_BYTES;
    out.set(this.slabs[Math.floor(index / SLAB_SECTORS)]!.subarray(base, base + SECTOR_BYTES), offset);
  }

  bytesOf(tokens: Uint32Array): Uint8Array {
    const out = new Uint8Array(tokens.length * SECTOR_BYTES);
    this.bytesIntoZeroed(tokens, out, 0);
    return out;
  }

  /**
   * Writes the bytes of `tokens` into `out` from `offset`, which must still be zeros there (a fresh
   * array): zero sectors are skipped, and a large read needs no second copy.
   */
  bytesIntoZeroed(tokens: Uint32Array, out: Uint8Array, offset: number): void {
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token !== ZERO_TOKEN) this.materialize(token, out, offset + i * SECTOR_BYTES);
    }
  }

  /** Tokens for whole sectors of bytes; `bytes.length` must be a multiple of 512. */
  tokensOf(bytes: Uint8Array): Uint32Array {
    assert(bytes.length % SECTOR_BYTES === 0, 'whole sectors only');
    const tokens = new Uint32Array(bytes.length / SECTOR_BYTES);
    for (let i = 0; i < tokens.length; i++) {
      tokens[i] = this.intern(bytes.subarray(i * SECTOR_BYTES, (i + 1) * SECTOR_BYTES));
    }
    return tokens;
  }
}

/**
 * The contents of a block device (or a file) as sector tokens, in 64 KiB chunks. A chunk whose
 * sectors all hold the same token is one array slot; other chunks keep a token per sector.
 */
export class SectorStore {
  readonly sizeSectors: number;
  private readonly chunkTokens: Uint32Array;
  private readonly mixedChunks = new Map<number, Uint32Array>();

  constructor(sizeSectors: number) {
    assert(Number.isSafeInteger(sizeSectors) && sizeSectors >= 0, 'store size');
    this.sizeSectors = sizeSectors;
    this.chunkTokens = new Uint32Array(Math.ceil(sizeSectors / CHUNK_SECTORS));
  }

  /** A copy with the same contents, resized (extra sectors read as zeros). */
  cloneResized(sizeSectors: number): SectorStore {
    const copy = new SectorStore(sizeSectors);
    const n = Math.min(this.chunkTokens.length, copy.chunkTokens.length);
    copy.chunkTokens.set(this.chunkTokens.subarray(0, n));
    for (const [chunk, sectors] of this.mixedChunks) {
      if (chunk < n) copy.mixedChunks.set(chunk, Uint32Array.from(sectors));
    }
    return copy;
  }

  tokenAt(sector: number): number {
    const chunk = Math.floor(sector / CHUNK_SECTORS);
    const t = this.chunkTokens[chunk]!;
    if (t !== MIXED) return t;
    return this.mixedChunks.get(chunk)![sector % CHUNK_SECTORS]!;
  }

  read(startSector: number, count: number, out = new Uint32Array(count), outOffset = 0): Uint32Array {
    this.readInto(startSector, count, out, outOffset);
    return out;
  }

  /** `read` into any array of tokens (the caller's, of any buffer). */
  readInto(startSector: number, count: number, out: Uint32Array, outOffset: number): void {
    assert(startSector >= 0 && startSector + count <= this.sizeSectors, 'read inside the store');
    let s = startSector;
    let i = outOffset;
    const end = startSector + count;
    while (s < end) {
      const chunk = Math.floor(s / CHUNK_SECTORS);
      const inChunk = s % CHUNK_SECTORS;
      const n = Math.min(CHUNK_SECTORS - inChunk, end - s);
      const t = this.chunkTokens[chunk]!;
      if (t === MIXED) out.set(this.mixedChunks.get(chunk)!.subarray(inChunk, inChunk + n), i);
      else out.fill(t, i, i + n);
      s += n;
      i += n;
    }
  }

  write(startSector: number, tokens: Uint32Array, tokensOffset = 0, count = tokens.length - tokensOffset): void {
    assert(startSector >= 0 && startSector + count <= this.sizeSectors, 'write inside the store');
    let s = startSector;
    let i = tokensOffset;
    const end = startSector + count;
    while (s < end) {
      const chunk = Math.floor(s / CHUNK_SECTORS);
      const inChunk = s % CHUNK_SECTORS;
      const n = Math.min(CHUNK_SECTORS - inChunk, end - s);
      const first = tokens[i]!;
      let uniform = true;
      for (let k = 1; k < n; k++) {
        if (tokens[i + k] !== first) {
          uniform = false;
          break;
        }
      }
      if (uniform) this.fillChunkPart(chunk, inChunk, n, first);
      else this.mixedChunk(chunk).set(tokens.subarray(i, i + n), inChunk);
      this.normalize(chunk);
      s += n;
      i += n;
    }
  }

  fill(startSector: number, count: number, token: number): void {
    assert(startSector >= 0 && startSector + count <= this.sizeSectors, 'fill inside the store');
    let s = startSector;
    const end = startSector + count;
    while (s < end) {
      const chunk = Math.floor(s / CHUNK_SECTORS);
      const inChunk = s % CHUNK_SECTORS;
      const n = Math.min(CHUNK_SECTORS - inChunk, end - s);
      this.fillChunkPart(chunk, inChunk, n, token);
      this.normalize(chunk);
      s += n;
    }
  }

  /** Copies `count` sectors from `src` (may be this store). */
  copyFrom(src: SectorStore, srcStart: number, dstStart: number, count: number): void {
    const tokens = src.read(srcStart, count);
    this.write(dstStart, tokens);
  }

  /**
   * Sectors holding anything but zeros: what a sparse file over this store occupies on its
   * filesystem, in the lab's approximation (a hole and a written zero sector look the same).
   */
  nonZeroSectors(): number {
    let n = 0;
    for (let chunk = 0; chunk < this.chunkTokens.length; chunk++) {
      const t = this.chunkTokens[chunk]!;
      if (t === ZERO_TOKEN) continue;
      if (t !== MIXED) {
        n += Math.min(CHUNK_SECTORS, this.sizeSectors - chunk * CHUNK_SECTORS);
        continue;
      }
      for (const sector of this.mixedChunks.get(chunk)!) if (sector !== ZERO_TOKEN) n++;
    }
    return n;
  }

  /** Sectors in use by interned data, for memory accounting in the bench. */
  get mixedChunkCount(): number {
    return this.mixedChunks.size;
  }

  private fillChunkPart(chunk: number, inChunk: number, n: number, token: number): void {
    if (n === CHUNK_SECTORS || (this.chunkTokens[chunk] === token && !this.mixedChunks.has(chunk))) {
      this.chunkTokens[chunk] = token;
      this.mixedChunks.delete(chunk);
      return;
    }
    this.mixedChunk(chunk).fill(token, inChunk, inChunk + n);
  }

  private mixedChunk(chunk: number): Uint32Array {
    let sectors = this.mixedChunks.get(chunk);
    if (sectors === undefined) {
      sectors = new Uint32Array(CHUNK_SECTORS).fill(this.chunkTokens[chunk]!);
      this.mixedChunks.set(chunk, sectors);
      this.chunkTokens[chunk] = MIXED;
    }
    return sectors;
  }

  /** Folds a mixed chunk back to one slot when all its sectors agree again. */
  private normalize(chunk: number): void {
    const sectors = this.mixedChunks.get(chunk);
    if (sectors === undefined) return;
    const first = sectors[0]!;
    for (let k = 1; k < CHUNK_SECTORS; k++) if (sectors[k] !== first) return;
    this.mixedChunks.delete(chunk);
    this.chunkTokens[chunk] = first;
  }
}
