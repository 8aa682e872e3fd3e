/**
 * The invariants the property tests check after every command (docs/property-tests.md). They read
 * the model through what it exposes (thin reads, mapping tables, the space map, the mode) and
 * compare it with the reference model; they do not call the model's own invariant checks.
 *
 * A broken invariant is a `Violation`: the invariant's number, what was wrong, and the
 * expectation a scenario file can state at that step to replay the failure.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { MetadataImage, ThinMetadata } from '../src/model/metadata.js';
import type { ThinPool } from '../src/model/pool.js';
import { GEOMETRY, thinName } from './commands.js';
import { ANY, EIO, ZERO, type ReferencePool } from './reference.js';

/** What a scenario file can check at the failing step to show the failure. */
export type ScenarioCheck =
  | {
      readonly kind: 'reads';
      readonly thin: number;
      readonly offset: number;
      readonly length: number;
      readonly md5: string;
    }
  | { readonly kind: 'invariants' }
  | { readonly kind: 'used'; readonly blocks: number }
  | { readonly kind: 'mode'; readonly mode: string }
  | { readonly kind: 'status'; readonly status: number };

export class Violation extends Error {
  override readonly name = 'Violation';
  constructor(
    readonly invariant: number,
    message: string,
    readonly check: ScenarioCheck | null,
  ) {
    super(`invariant ${invariant}: ${message}`);
  }
}

const sectorsPerThin = GEOMETRY.thinBlocks * GEOMETRY.blockSectors;

/** md5 of one 512-byte sector filled with `token`'s byte (the patterns and zeros are such sectors). */
export function sectorMd5(token: number): string {
  return createHash('md5').update(new Uint8Array(512).fill(token)).digest('hex');
}

/**
 * One thin's sectors, reused by every check: a full read of every thin after every command is the
 * hot loop of the property tests, and a fresh array per read was garbage to collect.
 */
const readBuffer = new Uint32Array(sectorsPerThin);
const readBytes = Buffer.from(readBuffer.buffer);
const blockBytes = GEOMETRY.blockSectors * Uint32Array.BYTES_PER_ELEMENT;
const zeroBlockBytes = new Uint8Array(blockBytes);

/** (1) Every sector of every thin reads what the reference says (read-your-writes, isolation). */
export function checkReads(pool: ThinPool, ref: ReferencePool): void {
  const out = readBuffer;
  const bs = GEOMETRY.blockSectors;
  for (const id of ref.thins.keys()) {
    const dev = pool.md.device(id);
    if (dev === undefined)
      throw new Violation(1, `thin ${id} exists in the reference but not in the pool`, { kind: 'invariants' });
    const r = pool.read(dev, 0, sectorsPerThin, out);
    if (ref.mode === 'fail') {
      if (r !== EIO) throw new Violation(1, `thin ${id}: a read in fail mode returned ${r}, not EIO`, null);
      continue;
    }
    if (r !== 0) throw new Violation(1, `thin ${id}: the read failed with errno ${r}`, null);
    for (let vb = 0; vb < GEOMETRY.thinBlocks; vb++) {
      // A whole block at once first (a native byte comparison of the 32-bit sector values); only
      // a block that differs is compared sector by sector, where ANY matches whatever was read and
      // the first mismatch is reported.
      const begin = vb * blockBytes;
      const wantBytes = ref.expectedBlockBytes(id, vb) ?? zeroBlockBytes;
      if (readBytes.compare(wantBytes, 0, blockBytes, begin, begin + blockBytes) === 0) continue;
      const want = ref.expectedBlock(id, vb);
      const base = vb * bs;
      for (let i = 0; i < bs; i++) {
        const w = want === null ? ZERO : want[i]!;
        if (w !== ANY && out[base + i] !== w) throw readViolation(id, base + i, out[base + i]!, w);
      }
    }
  }
  for (const id of pool.md.devices.keys()) {
    if (!ref.thins.has(id))
      throw new Violation(1, `thin ${id} exists in the pool but not in the reference`, { kind: 'invariants' });
  }
}

function readViolation(id: number, sector: number, got: number, want: number): Violation {
  const vb = Math.floor(sector / GEOMETRY.blockSectors);
  return new Violation(
    1,
    `thin ${id} sector ${sector} (block ${vb}) reads ${describeToken(got)}, expected ${describeToken(want)}`,
    {
      kind: 'reads',
      thin: id,
      offset: sector * 512,
      length: 512,
      md5: sectorMd5(want),
    },
  );
}

function describeToken(t: number): string {
  return t === 0 ? 'zeros' : t >= 65 && t <= 90 ? `'${String.fromCharCode(t)}'` : `token ${t}`;
}

/**
 * A map from small non-negative integers (block numbers) to numbers, reused across checks: the
 * checks run after every command, and a Map or an array per check was most of what they
 * allocated. `clear` is O(1): an entry counts only when its stamp is the current one.
 */
class BlockScratch {
  private values = new Int32Array(256);
  private stamps = new Uint32Array(256);
  private stamp = 1;
  /** Keys too large for the arrays (only a broken model maps such blocks): a plain Map. */
  private readonly far = new Map<number, number>();

  clear(): void {
    this.stamp++;
    if (this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
    if (this.far.size > 0) this.far.clear();
  }

  /** The value at `key`, or `missing` when nothing was set since the last clear. */
  get(key: number, missing: number): number {
    if (key >= FAR_KEYS) return this.far.get(key) ?? missing;
    return key < this.stamps.length && this.stamps[key] === this.stamp ? this.values[key]! : missing;
  }

  set(key: number, value: number): void {
    if (key >= FAR_KEYS) {
      this.far.set(key, value);
      return;
    }
    if (key >= this.stamps.length) this.grow(key + 1);
    this.values[key] = value;
    this.stamps[key] = this.stamp;
  }

  private grow(size: number): void {
    const n = Math.max(size, this.stamps.length * 2);
    const values = new Int32Array(n);
    const stamps = new Uint32Array(n);
    values.set(this.values);
    stamps.set(this.stamps);
    this.values = values;
    this.stamps = stamps;
  }
}

const FAR_KEYS = 1 << 20;
const modelToRef = new BlockScratch();
const refToModel = new BlockScratch();
const mappingCounts = new BlockScratch();

type RefMappings = ReadonlyMap<number, { readonly block: number }>;

/**
 * One table walk of `checkSharing`: the walk's state lives here and `visit` is created once, so
 * that walking every table after every command creates no closure per table.
 */
class SharingWalk {
  invariant = 0;
  what = '';
  id = 0;
  counted = 0;
  mappings: RefMappings = new Map();

  readonly visit = (vb: number, dataBlock: number): void => {
    this.counted++;
    const m = this.mappings.get(vb);
    if (m === undefined)
      throw new Violation(
        this.invariant,
        `${this.what}: thin ${this.id} maps virtual block ${vb} (to data block ${dataBlock}), the reference does not`,
        null,
      );
    const seen = modelToRef.get(dataBlock, -1);
    const back = refToModel.get(m.block, -1);
    if ((seen !== -1 && seen !== m.block) || (back !== -1 && back !== dataBlock)) {
      throw new Violation(
        this.invariant,
        `${this.what}: thin ${this.id} virtual block ${vb} -> data block ${dataBlock} is shared differently from the reference`,
        { kind: 'invariants' },
      );
    }
    modelToRef.set(dataBlock, m.block);
    refToModel.set(m.block, dataBlock);
  };
}

const sharingWalk = new SharingWalk();

/**
 * (1) The sharing structure: the model's data blocks and the reference's abstract blocks
 * correspond one to one, so two thins share a block in the model exactly when they should.
 */
export function checkSharing(
  devices: ReadonlyMap<number, { readonly table: { forEach(v: (vb: number, d: number) => void): void } }>,
  refThins: ReadonlyMap<number, { readonly mappings: RefMappings }>,
  invariant: number,
  what: string,
): void {
  modelToRef.clear();
  refToModel.clear();
  const walk = sharingWalk;
  walk.invariant = invariant;
  walk.what = what;
  for (const id of refThins.keys()) {
    const refThin = refThins.get(id)!;
    const dev = devices.get(id);
    if (dev === undefined) throw new Violation(invariant, `${what}: thin ${id} is missing`, { kind: 'invariants' });
    walk.id = id;
    walk.counted = 0;
    walk.mappings = refThin.mappings;
    dev.table.forEach(walk.visit);
    if (walk.counted !== refThin.mappings.size) {
      throw new Violation(
        invariant,
        `${what}: thin ${id} has ${walk.counted} mappings, the reference ${refThin.mappings.size}`,
        null,
      );
    }
  }
  if (devices.size !== refThins.size)
    throw new Violation(invariant, `${what}: ${devices.size} thins, the reference has ${refThins.size}`, {
      kind: 'invariants',
    });
}

/** One table walk of `checkSpace`, for the same reason as `SharingWalk`. */
class SpaceWalk {
  id = 0;
  mapped = 0;
  nr = 0;
  spaceMap: Pick<ThinMetadata['spaceMap'], 'refcount'> | null = null;

  readonly visit = (vb: number, dataBlock: number): void => {
    this.mapped++;
    if (dataBlock >= this.nr)
      throw new Violation(
        4,
        `thin ${this.id} maps virtual block ${vb} to data block ${dataBlock}, beyond the pool (${this.nr} blocks)`,
        { kind: 'invariants' },
      );
    if (this.spaceMap!.refcount(dataBlock) === 0)
      throw new Violation(4, `thin ${this.id} maps virtual block ${vb} to data block ${dataBlock}, which is free`, {
        kind: 'invariants',
      });
    mappingCounts.set(dataBlock, mappingCounts.get(dataBlock, 0) + 1);
  };
}

const spaceWalk = new SpaceWalk();

/**
 * (2)-(5): reference counts, space accounting, no mapping at a free block, mapped_blocks; and the
 * blocks in use and the pool size against the reference when there is one.
 */
export function checkSpace(md: ThinMetadata, ref: ReferencePool | null): void {
  const sm = md.spaceMap;
  const nr = sm.nrBlocksUncommitted;
  const counts = mappingCounts;
  counts.clear();
  const walk = spaceWalk;
  walk.nr = nr;
  walk.spaceMap = sm;
  for (const dev of md.devices.values()) {
    walk.id = dev.id;
    walk.mapped = 0;
    dev.table.forEach(walk.visit);
    if (!dev.abortedWithChanges && walk.mapped !== dev.details.mappedBlocks) {
      throw new Violation(
        5,
        `thin ${dev.id}: mapped_blocks is ${dev.details.mappedBlocks}, ${walk.mapped} mappings counted`,
        { kind: 'invariants' },
      );
    }
  }
  let referenced = 0;
  for (let b = 0; b < nr; b++) {
    const rc = sm.refcount(b);
    const pointing = counts.get(b, 0);
    if (rc !== pointing)
      throw new Violation(2, `data block ${b}: refcount ${rc}, ${pointing} mappings point at it`, {
        kind: 'invariants',
      });
    if (rc > 0) referenced++;
  }
  const used = sm.nrBlocks - sm.nrFree;
  if (used + sm.nrFree !== sm.nrBlocks)
    throw new Violation(3, `used ${used} + free ${sm.nrFree} != total ${sm.nrBlocks}`, { kind: 'invariants' });
  if (nr === sm.nrBlocks && used !== referenced)
    throw new Violation(3, `used is ${used}, but ${referenced} blocks have references`, { kind: 'invariants' });
  if (ref === null) return;
  if (ref.mode !== 'fail' && used !== ref.usedBlocks()) {
    throw new Violation(3, `${used} data blocks in use, the reference says ${ref.usedBlocks()}`, {
      kind: 'used',
      blocks: ref.usedBlocks(),
    });
  }
  if (sm.nrBlocks !== ref.poolBlocks)
    throw new Violation(3, `the pool has ${sm.nrBlocks} data blocks, the reference ${ref.poolBlocks}`, null);
}

/** (10) The pool mode is the one the kernel's rules give; write mode never with needs_check. */
export function checkMode(pool: ThinPool, ref: ReferencePool): void {
  if (pool.mode !== ref.mode)
    throw new Violation(10, `the pool is in ${pool.mode} mode, the rules give ${ref.mode}`, {
      kind: 'mode',
      mode: ref.mode,
    });
  if (pool.md.needsCheck && pool.mode === 'write')
    throw new Violation(10, 'write mode with needs_check set', { kind: 'mode', mode: 'read_only' });
  if (pool.md.time !== ref.time) throw new Violation(10, `pool time ${pool.md.time}, the reference ${ref.time}`, null);
}

/** (6) What a crash left on the metadata device is the last committed state exactly. */
export function checkCommittedImage(image: MetadataImage, ref: ReferencePool): void {
  const c = ref.committedView();
  if (image.time !== c.time)
    throw new Violation(6, `the crashed metadata has time ${image.time}, the last commit ${c.time}`, null);
  if (image.nrDataBlocks !== c.poolBlocks)
    throw new Violation(
      6,
      `the crashed metadata has ${image.nrDataBlocks} data blocks, the last commit ${c.poolBlocks}`,
      null,
    );
  for (const [id, t] of c.thins) {
    const dev = image.devices.get(id);
    if (dev === undefined)
      throw new Violation(6, `thin ${id} of the last commit is missing after the crash`, { kind: 'invariants' });
    if (dev.details.snapshottedTime !== t.snapshottedTime)
      throw new Violation(
        6,
        `thin ${id}: snapshotted time ${dev.details.snapshottedTime}, committed ${t.snapshottedTime}`,
        null,
      );
    if (dev.details.mappedBlocks !== t.mappings.size)
      throw new Violation(
        6,
        `thin ${id}: mapped_blocks ${dev.details.mappedBlocks} after the crash, ${t.mappings.size} committed`,
        null,
      );
  }
  checkSharing(image.devices, c.thins, 6, 'after the crash');
  const counts = new Uint32Array(image.nrDataBlocks);
  for (const dev of image.devices.values()) dev.table.forEach((_vb, d) => counts[d]!++);
  for (let b = 0; b < image.nrDataBlocks; b++) {
    if ((image.refcounts[b] ?? 0) !== counts[b])
      throw new Violation(
        6,
        `data block ${b}: committed refcount ${image.refcounts[b]}, ${counts[b]} committed mappings`,
        { kind: 'invariants' },
      );
  }
}

/** The device a scenario check reads: the thin's dm device. */
export const thinPath = (id: number): string => `/dev/mapper/${thinName(id)}`;
