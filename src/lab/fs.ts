/**
 * The lab machine's small file system: the oracle VM's pattern files, /dev/zero and /dev/null,
 * the no_space_timeout module parameter, and scratch files under /run and /tmp. Files larger than
 * a few sectors keep sector tokens (so a 64 MiB metadata image costs kilobytes), and a file that
 * was copied from a metadata device carries the dm-thin metadata it holds.
 */
import { type MetadataContent, Storage, storageWriteCount } from '../model/machine.js';
import { SECTOR_BYTES, type SectorDictionary, SectorStore } from '../model/sectors.js';

export const PATTERN_BYTES = 4 * 1024 * 1024;
export const PATTERN_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;
export const NO_SPACE_TIMEOUT_PATH = '/sys/module/dm_thin_pool/parameters/no_space_timeout';

/**
 * A regular file: bytes (small text) or sector tokens (images), plus metadata it carries. Its
 * sectors are a `Storage`, the same kind of object a RAM disk has, so that a loop device attached
 * to the file reads and writes these very sectors (and a pool on it keeps its metadata here).
 */
export class LabFile {
  /** Left out of checkpoints: the cache of the file's whole contents. */
  static readonly checkpointSkip = ['wholeCache', 'wholeCacheWrites'] as const;
  readonly storage: Storage;
  sizeBytes = 0;
  /** Bytes after the last whole sector. */
  private tail = new Uint8Array(0);

  constructor(private readonly dictionary: SectorDictionary) {
    this.storage = new Storage(0);
  }

  private get store(): SectorStore {
    return this.storage.store;
  }

  private set store(store: SectorStore) {
    this.ownStorage().store = store;
  }

  /**
   * The storage, made here when a checkpoint from before files had one is being restored: those
   * carry `store` and `metadata` as own fields, which the decoder assigns through these setters.
   */
  private ownStorage(): Storage {
    (this as { storage: Storage | undefined }).storage ??= new Storage(0);
    return this.storage;
  }

  /** The dm-thin metadata the file holds: a live pool's, when a pool on a loop device uses it. */
  get metadata(): MetadataContent {
    return this.storage.currentMetadata();
  }

  set metadata(content: MetadataContent) {
    this.ownStorage().metadata = content;
  }

  truncate(): void {
    this.wholeCache = null;
    this.store = new SectorStore(0);
    this.tail = new Uint8Array(0);
    this.sizeBytes = 0;
    this.metadata = { kind: 'none' };
  }

  /**
   * `truncate -s`: the file gets exactly this size. Growing adds a hole (sectors that read as zeros
   * and cost nothing), shrinking drops what was beyond the new end.
   */
  resize(sizeBytes: number): void {
    this.wholeCache = null;
    if (sizeBytes % SECTOR_BYTES === 0 && this.tail.length === 0) {
      const sectors = sizeBytes / SECTOR_BYTES;
      if (sectors !== this.store.sizeSectors) this.store = this.store.cloneResized(sectors);
      this.sizeBytes = sizeBytes;
      return;
    }
    // A size that is not whole sectors, or a file with a partial last sector: small files in
    // practice, rebuilt from their bytes.
    const bytes = new Uint8Array(sizeBytes);
    bytes.set(this.readBytes(0, Math.min(this.sizeBytes, sizeBytes)));
    this.setContent(bytes);
  }

  /**
   * The whole file's bytes from the last full read, until the next write (a cache, left out of
   * snapshots): tools read a metadata image whole, often several times in a row.
   */
  private wholeCache: Uint8Array | null = null;

  readBytes(offset: number, length: number): Uint8Array {
    const end = Math.min(this.sizeBytes, offset + length);
    if (end <= offset) return new Uint8Array(0);
    if (offset === 0 && end === this.sizeBytes) return this.readWholeShared().slice();
    return this.readUncached(offset, end);
  }

  /**
   * The whole file without a copy: the array is the cache itself, so callers must not modify it.
   * Writes replace the cache instead of changing it, so a caller may keep it across later writes.
   * The tools read metadata images of 100+ MiB this way, where a copy per run costs more than the check.
   */
  readWholeShared(): Uint8Array {
    if (this.sizeBytes === 0) return new Uint8Array(0);
    // A loop device writes the sectors without going through this object.
    if (this.wholeCacheWrites !== storageWriteCount(this.storage)) this.wholeCache = null;
    this.wholeCache ??= this.readUncached(0, this.sizeBytes);
    this.wholeCacheWrites = storageWriteCount(this.storage);
    return this.wholeCache;
  }

  /** The storage's write count when the cache was filled. */
  private wholeCacheWrites = 0;

  private readUncached(offset: number, end: number): Uint8Array {
    const firstSector = Math.floor(offset / SECTOR_BYTES);
    const lastSector = Math.ceil(end / SECTOR_BYTES);
    const wholeSectors = Math.floor(this.sizeBytes / SECTOR_BYTES);
    const out = new Uint8Array((lastSector - firstSector) * SECTOR_BYTES);
    const fromStore = Math.min(lastSector, wholeSectors) - firstSector;
    if (fromStore > 0) {
      const tokens = this.store.read(firstSector, fromStore);
      this.dictionary.bytesIntoZeroed(tokens, out, 0);
    }
    if (lastSector > wholeSectors) out.set(this.tail, (wholeSectors - firstSector) * SECTOR_BYTES);
    const skip = offset - firstSector * SECTOR_BYTES;
    return out.subarray(skip, skip + (end - offset));
  }

  /** Tokens of whole sectors, when the range is sector aligned and inside the file. */
  readTokens(startSector: number, count: number): Uint32Array | null {
    if ((startSector + count) * SECTOR_BYTES > this.sizeBytes - this.tail.length) return null;
    return this.store.read(startSector, count);
  }

  writeBytes(offset: number, bytes: Uint8Array): void {
    this.wholeCache = null;
    if (
      offset % SECTOR_BYTES === 0 &&
      bytes.length % SECTOR_BYTES === 0 &&
      offset <= this.sizeBytes - this.tail.length
    ) {
      this.writeTokens(offset / SECTOR_BYTES, this.dictionary.tokensOf(bytes));
      return;
    }
    const end = offset + bytes.length;
    const newSize = Math.max(this.sizeBytes, end);
    const whole = this.readBytes(0, this.sizeBytes);
    const merged = new Uint8Array(newSize);
    merged.set(whole, 0);
    merged.set(bytes, offset);
    this.setContent(merged);
  }

  writeTokens(startSector: number, tokens: Uint32Array): void {
    this.wholeCache = null;
    const end = startSector + tokens.length;
    if (this.tail.length > 0 && end * SECTOR_BYTES > this.sizeBytes - this.tail.length) {
      this.writeBytes(startSector * SECTOR_BYTES, this.dictionary.bytesOf(tokens));
      return;
    }
    this.ensureSectors(end);
    this.store.write(startSector, tokens);
    this.sizeBytes = Math.max(this.sizeBytes, end * SECTOR_BYTES);
  }

  private setContent(bytes: Uint8Array): void {
    // The read above may have filled the cache with the old contents.
    this.wholeCache = null;
    const whole = Math.floor(bytes.length / SECTOR_BYTES);
    this.store = new SectorStore(whole);
    if (whole > 0) this.store.write(0, this.dictionary.tokensOf(bytes.subarray(0, whole * SECTOR_BYTES)));
    this.tail = Uint8Array.from(bytes.subarray(whole * SECTOR_BYTES));
    this.sizeBytes = bytes.length;
  }

  private ensureSectors(sectors: number): void {
    if (sectors <= this.store.sizeSectors) return;
    let capacity = Math.max(this.store.sizeSectors * 2, 128);
    while (capacity < sectors) capacity *= 2;
    this.store = this.store.cloneResized(capacity);
  }
}

/** Files by absolute path. Pattern files and devices are resolved by the shell, not stored. */
export class LabFileSystem {
  private readonly files = new Map<string, LabFile>();

  constructor(private readonly dictionary: SectorDictionary) {}

  get(path: string): LabFile | undefined {
    return this.files.get(path);
  }

  /**
   * Puts a file in place before a script runs, the way the oracle copies its extra arguments to
   * `/files/<name>` in the VM.
   */
  provide(path: string, bytes: Uint8Array): void {
    const f = new LabFile(this.dictionary);
    f.writeBytes(0, bytes);
    this.files.set(path, f);
  }

  /** Opens for writing; `truncate` as a `>` redirection or dd without conv=notrunc does. */
  openForWrite(path: string, truncate: boolean): LabFile | string {
    if (
      !/^\/(run|tmp|etc\/docker|etc\/lvm\/profile|etc\/containerd|etc\/modprobe\.d|var\/lib\/docker)\//.test(path) &&
      path !== '/dev/null' &&
      path !== '/etc/lvm/lvm.conf'
    ) {
      const dir = path.slice(0, path.lastIndexOf('/')) || '/';
      return `can't create '${path}': ${dir === '/patterns' || dir === '/' ? 'Read-only file system' : 'No such file or directory'}`;
    }
    let f = this.files.get(path);
    if (f === undefined) {
      f = new LabFile(this.dictionary);
      this.files.set(path, f);
    } else if (truncate) {
      f.truncate();
    }
    return f;
  }

  remove(path: string): boolean {
    return this.files.delete(path);
  }

  list(prefix: string): string[] {
    return [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
  }
}
