/**
 * The damaged metadata images of the metadata campaign: sound bases written by the lab (the damage
 * fixtures' meta.img and held.img, a pool whose held snapshot's trees have diverged from the live
 * ones, and the tools' test images), each case one seeded mutation of one base: a named kind of
 * `src/format/metadata-damage.ts`, random byte flips in the blocks the metadata uses (the held
 * copy's blocks among them), flips re-sealed with a valid checksum so that the structural checks
 * behind the checksum are reached, or a cut-off device.
 */
import { dmChecksum } from '../src/format/crc32c.js';
import {
  BITMAP_CSUM_XOR,
  BLOCK_SIZE,
  BTREE_CSUM_XOR,
  INDEX_CSUM_XOR,
  SUPERBLOCK_CSUM_XOR,
} from '../src/format/layout.js';
import { DAMAGE_KINDS, damageMetadata } from '../src/format/metadata-damage.js';
import { MetadataBlocks, readRawSuperblock, walkMetadata } from '../src/format/metadata-walker.js';
import { LabShell } from '../src/lab/lab-shell.js';
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

/** Every base image of the campaign, built by the lab (a few seconds, once per run). */
export function baseImages(): BaseImage[] {
  const fixtures = damagedImages();
  const tools = testImages();
  const named: [string, Uint8Array][] = [
    ['meta.img', fixtures.get('meta.img')!],
    ['held.img', fixtures.get('held.img')!],
    ['diverged.img', divergedImage()],
    ['tools-held', tools.held!],
    ['tools-heldbig', tools.heldbig!],
    ['tools-big', tools.big!],
  ];
  return named.map(([name, bytes]) => ({ name, bytes, ...usedBlocks(bytes) }));
}

function reseal(bytes: Uint8Array, block: number, xor: number): void {
  const at = block * BLOCK_SIZE;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, dmChecksum(bytes, at + 4, at + BLOCK_SIZE, xor), true);
}

/** Flips 1-4 bytes, mostly in node headers and keys where they change the most; `sealed` re-seals. */
function flipBytes(rng: Rng, base: BaseImage, out: Uint8Array, pool: readonly number[], sealed: boolean): string {
  const flips: string[] = [];
  const touched = new Set<number>();
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

function namedKind(rng: Rng, base: BaseImage, out: Uint8Array): string | null {
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
  for (const w of r.writes) out.set(w.bytes, w.block * BLOCK_SIZE);
  return `kind ${kind} node=${options.node} dev=${options.dev} seed=${options.seed} by=${options.by} sm=${options.spaceMap}`;
}

/** Whether a base image has a held metadata snapshot (the campaign counts those images apart). */
export function hasHeldSnapshot(base: string): boolean {
  return base === 'held.img' || base === 'diverged.img' || base.startsWith('tools-held');
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
  if (roll < 0.2) damage = namedKind(rng, base, out);
  else if (roll < 0.4 && base.heldOnly.length > 0) damage = flipBytes(rng, base, out, base.heldOnly, rng.chance(0.5));
  else if (roll < 0.65) damage = flipBytes(rng, base, out, used, true);
  if (damage === null) damage = flipBytes(rng, base, out, used, false);
  if (rng.chance(0.05)) {
    const blocks = rng.int(0, Math.floor(out.length / BLOCK_SIZE));
    const cut = blocks * BLOCK_SIZE + (rng.chance(0.2) ? rng.int(1, BLOCK_SIZE - 1) : 0);
    out = out.slice(0, Math.min(cut, out.length));
    damage += ` cut=${out.length}`;
  }
  return { index, seed: s, base: base.name, damage, bytes: out };
}
