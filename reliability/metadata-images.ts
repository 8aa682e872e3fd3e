/**
 * The damaged metadata images of the metadata campaign: sound bases written by the lab (the damage
 * fixtures' meta.img and held.img, a pool whose held snapshot's trees have diverged from the live
 * ones, and the tools' test images), each case one seeded mutation of one base: a named kind of
 * `src/format/metadata-damage.ts`, random byte flips in the blocks the metadata uses (the held
 * copy's blocks among them), flips re-sealed with a valid checksum so that the structural checks
 * behind the checksum are reached, or a cut-off device.
 */
import { createHash } from 'node:crypto';
import { dmChecksum } from '../src/format/crc32c.js';
import { addHandMadeHeldRoot } from '../src/format/lab-states.js';
import {
  BITMAP_CSUM_XOR,
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  INDEX_CSUM_XOR,
  SUPERBLOCK_CSUM_XOR,
} from '../src/format/layout.js';
import { DAMAGE_KINDS, damageMetadata } from '../src/format/metadata-damage.js';
import { MetadataBlocks, readRawSuperblock, walkMetadata } from '../src/format/metadata-walker.js';
import { writeMetadataImage } from '../src/format/metadata-writer.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { ThinMetadata } from '../src/model/metadata.js';
import { testImages } from '../src/tools/tool-images.js';
import { damagedImages } from '../test/damage-images.js';
import { caseSeed, Rng } from './rng.js';

/** A sound image and the blocks it uses, by the checksum each kind of block is sealed with. */
export interface BaseImage {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Used block -> the xor its checksum is computed with. */
  readonly blocks: ReadonlyMap<number, number>;
  /** The blocks only the held metadata snapshot reaches (its superblock copy and its own nodes). */
  readonly heldOnly: readonly number[];
}

export interface MetadataCase {
  readonly index: number;
  readonly seed: number;
  readonly base: string;
  /** What was done to the base, enough to read the case back. */
  readonly damage: string;
  readonly bytes: Uint8Array;
  /**
   * Names the bytes: the base, the length and a digest of every block the damage touched. Two
   * cases with one key are byte-identical, so the campaign runs the tools on the first only.
   */
  readonly key: string;
}

/**
 * A pool whose held metadata snapshot no longer shares all its trees with the live superblock:
 * writes and a new thin after `reserve_metadata_snap` shadow the live trees, so the held copy
 * keeps nodes of its own. Damage to those is what issue 17 found thin_check missing.
 */
const DIVERGED_SCRIPT = `
dmsetup create meta --table "0 8192 linear /dev/ram0 0" && dmsetup mknodes
dmsetup create pool --table "0 131072 thin-pool /dev/mapper/meta /dev/ram1 128 0" && dmsetup mknodes
dmsetup message pool 0 "create_thin 0"
dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes
dd if=/dev/zero of=/dev/mapper/thin0 bs=64k count=600 oflag=direct 2>/dev/null
dmsetup suspend thin0; dmsetup message pool 0 "create_snap 1 0"; dmsetup resume thin0
dmsetup message pool 0 "reserve_metadata_snap"
dd if=/patterns/B of=/dev/mapper/thin0 bs=64k count=300 seek=2 oflag=direct 2>/dev/null
dmsetup message pool 0 "create_thin 2"
dmsetup create thin2 --table "0 262144 thin /dev/mapper/pool 2" && dmsetup mknodes
dd if=/patterns/C of=/dev/mapper/thin2 bs=64k count=3 seek=40 oflag=direct 2>/dev/null
dmsetup remove thin2; dmsetup remove thin0; dmsetup remove pool
dd if=/dev/mapper/meta of=/tmp/diverged.img bs=4096 2>/dev/null
`;

function divergedImage(): Uint8Array {
  const shell = new LabShell();
  shell.runScript(DIVERGED_SCRIPT);
  const f = shell.fs.get('/tmp/diverged.img');
  if (f === undefined) throw new Error('the diverged-snapshot script wrote no image');
  return f.readBytes(0, f.sizeBytes);
}

/**
 * Trees of two levels at a fraction of the big base's cost: 700 mappings in device 0 (three
 * leaves under an internal node), a snapshot sharing them, part of it rewritten, and 140 devices
 * (details and top-level trees past one leaf), on a 4 MiB metadata device. The real tools' cost
 * and the lab's grow with the mappings and the device size: this base gives damage to internal
 * nodes for about a tenth of what tools-big costs.
 */
function mediumPool(): Uint8Array {
  const md = ThinMetadata.format(128, 1024);
  md.resizeData(5000);
  md.commit();
  const write = (dev: number, vb: number): void => {
    const block = md.spaceMap.allocate();
    if (block < 0) throw new Error('the medium base ran out of data blocks');
    md.insertMapping(md.device(dev)!, vb, block);
  };
  const must = (r: { ok: boolean }): void => {
    if (!r.ok) throw new Error('a message of the medium base failed');
  };
  must(md.createThin(0));
  for (let vb = 0; vb < 700; vb++) write(0, vb * 3);
  md.commit();
  must(md.createSnap(1, 0));
  for (let vb = 0; vb < 300; vb += 4) write(1, vb * 3);
  md.commit();
  for (let id = 10; id < 150; id++) must(md.createThin(id));
  write(20, 7);
  md.commit();
  const image = md.image();
  return writeMetadataImage({ ...image, layout: null }, image.metadataNrBlocks);
}

/** A copy of `bytes` with a hand-made held metadata snapshot in the free block `held`. */
function withHeld(bytes: Uint8Array, held: number): Uint8Array {
  const out = bytes.slice();
  addHandMadeHeldRoot(out, held);
  return out;
}

/** The blocks an image uses, found with the metadata walker, and those only its held copy reaches. */
function usedBlocks(bytes: Uint8Array): { blocks: Map<number, number>; heldOnly: number[] } {
  const live = new Map<number, number>();
  const held = new Map<number, number>();
  walkMetadata(bytes, {
    superblock: (sb) => (sb.block === 0 ? live : held).set(sb.block, SUPERBLOCK_CSUM_XOR),
    node: (copy, _tree, place) => {
      (copy === 0 ? live : held).set(place.block, BTREE_CSUM_XOR);
    },
    bitmap: (copy, _kind, _i, block) => (copy === 0 ? live : held).set(block, BITMAP_CSUM_XOR),
  });
  // The metadata space map's index block is not reported as a node: find it from the superblock.
  const index = readRawSuperblock(new MetadataBlocks(bytes), 0)?.metadataSm.bitmapRoot ?? -1;
  if (index > 0 && index < bytes.length / BLOCK_SIZE) live.set(index, INDEX_CSUM_XOR);
  const heldOnly = [...held.keys()].filter((b) => !live.has(b));
  return { blocks: new Map([...live, ...held]), heldOnly };
}

/**
 * Every base image of the campaign, built by the lab (a few seconds, once per run). Six bases of
 * 4 MiB and one of 16 MiB (tools-big: 6,000 mappings, 300 devices), picked alike: the big one
 * costs the lab and the real tools ten times what a small one does (docs/reliability.md), so it
 * is one base of seven rather than two of six, and medium-held carries a held snapshot over
 * two-level trees in place of the big image with a held copy.
 */
export function baseImages(): BaseImage[] {
  const fixtures = damagedImages();
  const tools = testImages();
  const medium = mediumPool();
  const named: [string, Uint8Array][] = [
    ['meta.img', fixtures.get('meta.img')!],
    ['held.img', fixtures.get('held.img')!],
    ['diverged.img', divergedImage()],
    ['tools-held', tools.held!],
    ['medium', medium],
    ['medium-held', withHeld(medium, 1000)],
    ['tools-big', tools.big!],
  ];
  return named.map(([name, bytes]) => ({ name, bytes, ...usedBlocks(bytes) }));
}

function reseal(bytes: Uint8Array, block: number, xor: number): void {
  const at = block * BLOCK_SIZE;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, dmChecksum(bytes, at + 4, at + BLOCK_SIZE, xor), true);
}

/** Flips 1-4 bytes, mostly in node headers and keys where they change the most; `sealed` re-seals. */
function flipBytes(
  rng: Rng,
  base: BaseImage,
  out: Uint8Array,
  pool: readonly number[],
  sealed: boolean,
  touched: Set<number>,
): string {
  const flips: string[] = [];
  for (let n = rng.int(1, 4); n > 0; n--) {
    const block = rng.pick(pool);
    const offset = rng.chance(0.6) ? rng.int(4, 127) : rng.int(0, BLOCK_SIZE - 1);
    const mask = rng.chance(0.5) ? 1 << rng.int(0, 7) : rng.int(1, 255);
    out[block * BLOCK_SIZE + offset]! ^= mask;
    touched.add(block);
    flips.push(`${block}:${offset}^${mask}`);
  }
  if (sealed) for (const b of touched) reseal(out, b, base.blocks.get(b) ?? BTREE_CSUM_XOR);
  return `${sealed ? 'sealed-flips' : 'flips'} ${flips.join(',')}`;
}

function namedKind(rng: Rng, base: BaseImage, out: Uint8Array, touched: Set<number>): string | null {
  const kind = rng.pick(DAMAGE_KINDS).name;
  const options = {
    node: rng.int(0, 3),
    dev: rng.pick([0, 1, 2]),
    seed: rng.int(1, 10_000),
    by: rng.pick([1, -1, 3]),
    spaceMap: rng.pick(['data', 'metadata'] as const),
  };
  const r = damageMetadata(base.bytes, kind, options);
  if (!r.ok) return null;
  for (const w of r.writes) {
    out.set(w.bytes, w.block * BLOCK_SIZE);
    for (let b = 0; b * BLOCK_SIZE < w.bytes.length; b++) touched.add(w.block + b);
  }
  return `kind ${kind} node=${options.node} dev=${options.dev} seed=${options.seed} by=${options.by} sm=${options.spaceMap}`;
}

/** Whether a base image has a held metadata snapshot (the campaign counts those images apart). */
export function hasHeldSnapshot(base: string): boolean {
  return base === 'held.img' || base === 'diverged.img' || base === 'tools-held' || base === 'medium-held';
}

/** Case `index` of a campaign seeded with `seed`: the same arguments always give the same bytes. */
export function metadataCase(bases: readonly BaseImage[], seed: number, index: number): MetadataCase {
  const s = caseSeed(seed, index);
  const rng = new Rng(s);
  const base = rng.pick(bases);
  // slice() copies at memory speed; Uint8Array.from iterated 16 MiB a byte at a time.
  let out = base.bytes.slice();
  const used = [...base.blocks.keys()];
  const roll = rng.next();
  let damage: string | null = null;
  const touched = new Set<number>();
  if (roll < 0.2) damage = namedKind(rng, base, out, touched);
  else if (roll < 0.4 && base.heldOnly.length > 0)
    damage = flipBytes(rng, base, out, base.heldOnly, rng.chance(0.5), touched);
  else if (roll < 0.65) damage = flipBytes(rng, base, out, used, true, touched);
  if (damage === null) damage = flipBytes(rng, base, out, used, false, touched);
  if (rng.chance(0.05)) {
    const blocks = rng.int(0, Math.floor(out.length / BLOCK_SIZE));
    const cut = blocks * BLOCK_SIZE + (rng.chance(0.2) ? rng.int(1, BLOCK_SIZE - 1) : 0);
    out = out.slice(0, Math.min(cut, out.length));
    damage += ` cut=${out.length}`;
  }
  return { index, seed: s, base: base.name, damage, bytes: out, key: caseKey(base, out, touched) };
}

/** The base, the length and each touched block's digest (blocks past a cut are gone). */
function caseKey(base: BaseImage, out: Uint8Array, touched: ReadonlySet<number>): string {
  const hash = createHash('md5');
  for (const b of [...touched].sort((x, y) => x - y)) {
    const at = b * BLOCK_SIZE;
    if (at >= out.length) continue;
    hash.update(`${b}:`);
    hash.update(out.subarray(at, Math.min(out.length, at + BLOCK_SIZE)));
  }
  return `${base.name} ${out.length} ${hash.digest('hex')}`;
}
