/**
 * The lab machine's small file system: the oracle VM's pattern files, /dev/zero and /dev/null,
 * the no_space_timeout module parameter, and scratch files under /run and /tmp. Files larger than
 * a few sectors keep sector tokens (so a 64 MiB metadata image costs kilobytes), and a file that
 * was copied from a metadata device carries the dm-thin metadata it holds.
 */
import { type MetadataContent, Storage, storageWriteCount } from '../model/machine.js';
import { Errno, strerror } from '../model/errno.js';
import { SECTOR_BYTES, type SectorDictionary, SectorStore } from '../model/sectors.js';
import type { StackId } from '../model/stack.js';
import type { WritableFile } from '../shell/io.js';
import { OutOfMemory } from '../shell/memory.js';

export const PATTERN_BYTES = 4 * 1024 * 1024;
export const PATTERN_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;
export const NO_SPACE_TIMEOUT_PATH = '/sys/module/dm_thin_pool/parameters/no_space_timeout';

/**
 * The sizes of the oracle VM's memory-backed file systems, in KiB: devtmpfs `/dev`, the tmpfs
 * `/tmp`, and the rootfs that holds `/run` and every other writable path. All keep their files in
 * the VM's 1 GiB of memory, a page per 4 KiB written, and the kernel sizes them from the memory
 * it counts, so each stack's kernel gives other figures for the same VM.
 */
export interface VmMountSizes {
  readonly devKb: number;
  readonly tmpKb: number;
  readonly rootfsKb: number;
  /**
   * What the rootfs already holds when a script starts: the initramfs's programs, modules and
   * pattern files (Shmem after boot). A file under /run gets the rest: on debian12 430 MiB and a
   * part of the next (fixtures/kernel/140-memory-run-full: `431+0 records in`, `430+0 records out`).
   * On debian13 the image holds more (LVM, dmeventd and their libraries, busybox 1.37): a file
   * under /run gets 423 MiB and a part of the next (fixtures/kernel/140-memory-run-full.debian13.out:
   * `424+0 records in`, `423+0 records out`), so what it held is between 53328 and 54352 KiB; the
   * lab takes the middle.
   */
  readonly rootfsUsedAtBootKb: number;
}

/**
 * debian12: fixtures/kernel-probes/90-shell-limits (df and /proc/mounts). debian13: df in
 * fixtures/kernel/92-df.debian13.out for /dev and /tmp, and /proc/mounts in
 * fixtures/kernel-probes/93-mounts.debian13.out for the rootfs.
 */
export const VM_MOUNT_SIZES: Readonly<Record<StackId, VmMountSizes>> = {
  debian12: { devKb: 485288, tmpKb: 491872, rootfsKb: 485288, rootfsUsedAtBootKb: 44280 },
  debian13: { devKb: 487504, tmpKb: 495292, rootfsKb: 487504, rootfsUsedAtBootKb: 53840 },
};
export const FS_PAGE_BYTES = 4096;

/**
 * What the VM's processes, tmpfs files and RAM disks share: MemFree after boot, 901068 kB of
 * MemTotal's 983744 kB (the kernel, the initramfs's own files and the page cache hold the rest).
 * /tmp and /run together are larger: filling both, the VM's OOM killer kills the writer
 * (fixtures/kernel/143-memory-tmp-run-oom), and `x=$x$x` is killed at 512 MiB
 * (fixtures/kernel/141-memory-variable). src/lab/fs-memory.ts counts against it. Measured on
 * debian12; debian13 uses the same figure.
 */
export const VM_FREE_MEMORY_BYTES = 901068 * 1024;

/** The mount a path is on, as the VM has them: its size and what it holds at boot, for `No space left on device`. */
export function mountOf(
  path: string,
  sizes: VmMountSizes,
): { readonly name: string; readonly sizeBytes: number; readonly bootBytes: number } {
  return path.startsWith('/tmp/')
    ? { name: '/tmp', sizeBytes: sizes.tmpKb * 1024, bootBytes: 0 }
    : { name: '/', sizeBytes: sizes.rootfsKb * 1024, bootBytes: sizes.rootfsUsedAtBootKb * 1024 };
}

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
  /**
   * The pages written, as sorted, disjoint [first, end) pairs: what the file costs its tmpfs (a
   * hole costs nothing). Absent in checkpoints from before it was kept: the whole file then counts.
   */
  private pages?: number[];

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

  /** Bytes of memory the file takes on its tmpfs: the pages written, holes left out. */
  get allocatedBytes(): number {
    if (this.pages === undefined) return Math.ceil(this.sizeBytes / FS_PAGE_BYTES) * FS_PAGE_BYTES;
    let n = 0;
    for (let i = 0; i < this.pages.length; i += 2) n += this.pages[i + 1]! - this.pages[i]!;
    return n * FS_PAGE_BYTES;
  }

  /** Pages of [offset, offset + length) that no write has allocated yet, from the start of the range. */
  newPagesIn(offset: number, length: number): number[] {
    const first = Math.floor(offset / FS_PAGE_BYTES);
    const end = Math.ceil((offset + length) / FS_PAGE_BYTES);
    const fresh: number[] = [];
    const pages = this.pages ?? [0, Math.ceil(this.sizeBytes / FS_PAGE_BYTES)];
    let page = first;
    for (let i = 0; i < pages.length && page < end; i += 2) {
      const [a, b] = [pages[i]!, pages[i + 1]!];
      if (b <= page) continue;
      for (; page < Math.min(a, end); page++) fresh.push(page);
      page = Math.max(page, b);
    }
    for (; page < end; page++) fresh.push(page);
    return fresh;
  }

  private noteWritten(offset: number, length: number): void {
    if (length === 0) return;
    const pages = this.pages ?? (this.sizeBytes > 0 ? [0, Math.ceil(this.sizeBytes / FS_PAGE_BYTES)] : []);
    let first = Math.floor(offset / FS_PAGE_BYTES);
    let end = Math.ceil((offset + length) / FS_PAGE_BYTES);
    const out: number[] = [];
    let placed = false;
    for (let i = 0; i < pages.length; i += 2) {
      const [a, b] = [pages[i]!, pages[i + 1]!];
      if (b < first) out.push(a, b);
      else if (a > end) {
        if (!placed) out.push(first, end);
        placed = true;
        out.push(a, b);
      } else {
        first = Math.min(first, a);
        end = Math.max(end, b);
      }
    }
    if (!placed) out.push(first, end);
    this.pages = out;
  }

  /** Drops the pages past a new, smaller size (`truncate -s`, `>`). */
  private clipPages(sizeBytes: number): void {
    const end = Math.ceil(sizeBytes / FS_PAGE_BYTES);
    const out: number[] = [];
    const pages = this.pages ?? [0, Math.ceil(this.sizeBytes / FS_PAGE_BYTES)];
    for (let i = 0; i < pages.length; i += 2) if (pages[i]! < end) out.push(pages[i]!, Math.min(pages[i + 1]!, end));
    this.pages = out;
  }

  truncate(): void {
    this.pages = [];
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
    if (sizeBytes < this.sizeBytes) this.clipPages(sizeBytes);
    else this.pages ??= this.sizeBytes > 0 ? [0, Math.ceil(this.sizeBytes / FS_PAGE_BYTES)] : [];
    const wholeSectors = Math.floor(sizeBytes / SECTOR_BYTES);
    // The new partial last sector, and the old one when it becomes a whole sector, keep their
    // bytes; everything else stays in sector tokens, so a 3 TB sparse file costs its token table.
    const newTail = this.readBytes(wholeSectors * SECTOR_BYTES, sizeBytes % SECTOR_BYTES).slice();
    const oldWholeSectors = Math.floor(this.sizeBytes / SECTOR_BYTES);
    const oldTail = this.tail;
    if (wholeSectors !== this.store.sizeSectors) this.store = this.store.cloneResized(wholeSectors);
    if (oldTail.length > 0 && oldWholeSectors < wholeSectors) {
      const sector = new Uint8Array(SECTOR_BYTES);
      sector.set(oldTail);
      this.store.write(oldWholeSectors, this.dictionary.tokensOf(sector));
    }
    const tail = new Uint8Array(sizeBytes % SECTOR_BYTES);
    tail.set(newTail);
    this.tail = tail;
    this.sizeBytes = sizeBytes;
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
    this.noteWritten(offset, bytes.length);
    if (
      offset % SECTOR_BYTES === 0 &&
      bytes.length % SECTOR_BYTES === 0 &&
      offset <= this.sizeBytes - this.tail.length &&
      (this.tail.length === 0 || offset + bytes.length <= this.sizeBytes - this.tail.length)
    ) {
      this.writeTokens(offset / SECTOR_BYTES, this.dictionary.tokensOf(bytes));
      return;
    }
    // Unaligned: the file grows first (a hole, as `truncate` makes it), then the sectors the write
    // touches are read, changed and written back, and the partial last sector in `tail`. The
    // whole file is never rebuilt, so `dd seek=4294967296 bs=1` costs a sector, not 4 GiB.
    const end = offset + bytes.length;
    if (end > this.sizeBytes) this.growTo(end);
    const wholeSectors = Math.floor(this.sizeBytes / SECTOR_BYTES);
    const firstSector = Math.floor(offset / SECTOR_BYTES);
    const storeEnd = Math.min(Math.ceil(end / SECTOR_BYTES), wholeSectors);
    if (storeEnd > firstSector) {
      const sectors = this.readUncached(firstSector * SECTOR_BYTES, storeEnd * SECTOR_BYTES).slice();
      const from = offset - firstSector * SECTOR_BYTES;
      sectors.set(bytes.subarray(0, Math.min(bytes.length, sectors.length - from)), from);
      this.store.write(firstSector, this.dictionary.tokensOf(sectors));
    }
    const tailStart = wholeSectors * SECTOR_BYTES;
    if (end > tailStart) {
      const skip = Math.max(0, tailStart - offset);
      this.tail.set(bytes.subarray(skip), Math.max(0, offset - tailStart));
    }
  }

  writeTokens(startSector: number, tokens: Uint32Array): void {
    this.wholeCache = null;
    this.noteWritten(startSector * SECTOR_BYTES, tokens.length * SECTOR_BYTES);
    const end = startSector + tokens.length;
    if (this.tail.length > 0 && end * SECTOR_BYTES > this.sizeBytes - this.tail.length) {
      this.writeBytes(startSector * SECTOR_BYTES, this.dictionary.bytesOf(tokens));
      return;
    }
    this.ensureSectors(end);
    this.store.write(startSector, tokens);
    this.sizeBytes = Math.max(this.sizeBytes, end * SECTOR_BYTES);
  }

  /**
   * Grows the file to `sizeBytes` for a write past its end: the store's capacity doubles as
   * needed (appends of 64 KiB must not copy the whole file each time), the old partial sector
   * becomes whole when the new size passes it, and the gap reads as zeros.
   */
  private growTo(sizeBytes: number): void {
    this.pages ??= this.sizeBytes > 0 ? [0, Math.ceil(this.sizeBytes / FS_PAGE_BYTES)] : [];
    const wholeSectors = Math.floor(sizeBytes / SECTOR_BYTES);
    const oldWholeSectors = Math.floor(this.sizeBytes / SECTOR_BYTES);
    const oldTail = this.tail;
    this.ensureSectors(wholeSectors);
    const tail = new Uint8Array(sizeBytes % SECTOR_BYTES);
    if (oldWholeSectors < wholeSectors) {
      if (oldTail.length > 0) {
        const sector = new Uint8Array(SECTOR_BYTES);
        sector.set(oldTail);
        this.store.write(oldWholeSectors, this.dictionary.tokensOf(sector));
      }
    } else tail.set(oldTail);
    this.tail = tail;
    this.sizeBytes = sizeBytes;
  }

  private ensureSectors(sectors: number): void {
    if (sectors <= this.store.sizeSectors) return;
    let capacity = Math.max(this.store.sizeSectors * 2, 128);
    while (capacity < sectors) capacity *= 2;
    this.store = this.store.cloneResized(capacity);
  }
}

/**
 * A file as a redirection appends to it: what does not fit on its mount is not written, and the
 * write fails with tmpfs's ENOSPC.
 */
export function appendingWriter(fs: LabFileSystem, file: LabFile, sizes: VmMountSizes): WritableFile {
  let failure: string | null = null;
  return {
    get failure(): string | null {
      return failure;
    },
    append(bytes: Uint8Array): boolean {
      const fits = fs.room(file, file.sizeBytes, bytes.length, sizes);
      if (fits > 0) file.writeBytes(file.sizeBytes, fits < bytes.length ? bytes.subarray(0, fits) : bytes);
      if (fits === bytes.length) return true;
      failure = strerror(Errno.ENOSPC);
      return false;
    },
  };
}

/** Files by absolute path. Pattern files and devices are resolved by the shell, not stored. */
export class LabFileSystem {
  /** Left out of checkpoints: a view of the machine the lab sets again on every shell it makes. */
  static readonly checkpointSkip = ['memoryElsewhere'] as const;
  private readonly files = new Map<string, LabFile>();
  /**
   * The VM's memory that is not in these files (its RAM disks' pages), set by the lab's shell
   * (src/lab/lab-shell.ts): a write that finds the memory full is killed as the VM's OOM killer
   * kills it. Absent: only the mounts' sizes apply.
   */
  memoryElsewhere?: () => number;

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
    if (!this.parentExists(path)) return `can't create '${path}': No such file or directory`;
    let f = this.files.get(path);
    if (f === undefined) {
      f = new LabFile(this.dictionary);
      this.files.set(path, f);
    } else if (truncate) {
      f.truncate();
    }
    return f;
  }

  /**
   * Whether the directory a scratch file under /tmp or /run would go in is there: the mount's top,
   * a directory `mkdir` made, one that holds files, or one of the VM's own under /run. A redirection
   * into a directory nobody made fails on the VM (ash: `can't create /tmp/nodir/f: nonexistent
   * directory`, fixtures/kernel/211).
   */
  private parentExists(path: string): boolean {
    const m = /^\/(tmp|run)\/(.+)\/[^/]+$/.exec(path);
    if (m === null) return true;
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (m[1] === 'run' && /^(lock|lvm)(\/|$)/.test(m[2]!)) return true;
    return this.madeDirectory(parent) || this.list(`${parent}/`).length > 0;
  }

  /**
   * How many bytes of a write of `length` at `offset` fit on the file's mount: all of them, or as
   * many as the pages still free take (tmpfs allocates a page per 4 KiB written, holes free).
   */
  room(file: LabFile, offset: number, length: number, sizes: VmMountSizes): number {
    const path = [...this.files].find(([, f]) => f === file)?.[0];
    if (path === undefined) return length;
    const freePages = Math.floor(this.freeBytesOn(path, sizes) / FS_PAGE_BYTES);
    const fresh = file.newPagesIn(offset, length);
    this.checkMemory(path, fresh.length, freePages);
    if (fresh.length <= freePages) return length;
    // The write goes on up to the first page that does not fit.
    return Math.max(0, Math.min(length, fresh[freePages]! * FS_PAGE_BYTES - offset));
  }

  /**
   * A write of `pages` new pages where the mount has `mountPages` free: when the VM's memory runs
   * out first, the kernel's OOM killer kills the writer (ash prints `Killed`), as on the VM.
   */
  private checkMemory(path: string, pages: number, mountPages: number): void {
    if (this.memoryElsewhere === undefined || pages === 0) return;
    const left = VM_FREE_MEMORY_BYTES - this.allocatedBytes() - this.memoryElsewhere();
    const leftPages = Math.max(0, Math.floor(left / FS_PAGE_BYTES));
    if (pages > leftPages && leftPages < mountPages) {
      throw new OutOfMemory(`a write to ${path}`, pages * FS_PAGE_BYTES, Math.max(0, left), true);
    }
  }

  /** Bytes still free on the mount a path is on (what a file moved there may take). */
  freeBytesOn(path: string, sizes: VmMountSizes): number {
    const mount = mountOf(path, sizes);
    let used = mount.bootBytes;
    for (const [p, f] of this.files) if (mountOf(p, sizes).name === mount.name) used += f.allocatedBytes;
    return Math.max(0, mount.sizeBytes - used);
  }

  /** The memory every file holds (each on a tmpfs, in the VM's memory). */
  allocatedBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.allocatedBytes;
    return n;
  }

  remove(path: string): boolean {
    return this.files.delete(path);
  }

  /**
   * The directories `mkdir` made (absent in checkpoints from before they were kept): the VM's own
   * are vfs.ts's DIRECTORIES, and a directory that holds lab files is there while it does.
   */
  private made?: Set<string>;

  /** Whether `mkdir` made this directory and nothing removed it since. */
  madeDirectory(path: string): boolean {
    return this.made?.has(path) === true;
  }

  makeDirectory(path: string): void {
    this.made ??= new Set();
    this.made.add(path);
  }

  /** Forgets a made directory and every one under it (rmdir, rm -r, mv of its parent). */
  removeDirectory(path: string): void {
    for (const d of this.madeDirectories(path)) this.made?.delete(d);
  }

  /** The made directories at or under `path`, sorted. */
  madeDirectories(path: string): string[] {
    return [...(this.made ?? [])].filter((d) => d === path || d.startsWith(`${path}/`)).sort();
  }

  /**
   * Moves a file to another path (mv on one mount); a file already at `to` is replaced. The file
   * keeps its storage, so a loop device attached to it still reads it.
   */
  rename(from: string, to: string): void {
    const f = this.files.get(from);
    if (f === undefined) return;
    this.files.delete(from);
    this.files.set(to, f);
  }

  /** Puts a file at a path (mv across mounts, whose copy is a new file there). */
  place(path: string, file: LabFile): void {
    this.files.set(path, file);
  }

  /** A new empty file, not yet at any path. */
  newFile(): LabFile {
    return new LabFile(this.dictionary);
  }

  list(prefix: string): string[] {
    return [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
  }
}
