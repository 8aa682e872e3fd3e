/**
 * The damaged metadata images of the damage fixtures and tests: fixtures/kernel/damage/lab-side.sh
 * builds a pool in the lab and exports its metadata (meta.img, and held.img with a held metadata
 * snapshot); each case then runs `fault metadata` on a copy in the lab shell, as a user would.
 * The same bytes go to the real thin-provisioning-tools (src/faults/metadata-damage.test.ts) and,
 * as /files/NAME, to the real kernel (fixtures/kernel/7x-*.sh, see test/transcripts.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabShell } from '../src/lab/lab-shell.js';

export interface DamageCase {
  /** The image's name: /files/NAME.img in the kernel fixtures. */
  readonly name: string;
  /** The `fault metadata` arguments before the file. */
  readonly args: string;
  readonly base: 'meta' | 'held';
}

/** Every kind at its default target, and a few chosen targets (a leaf of a two-level tree, a device). */
export const DAMAGE_CASES: readonly DamageCase[] = [
  { name: 'superblock-checksum', args: 'superblock-checksum', base: 'meta' },
  ...['mapping-top', 'details', 'data-bitmap', 'data-index', 'metadata-bitmap', 'metadata-index'].flatMap((t) => [
    { name: `${t}-zeroed`, args: `${t}-zeroed`, base: 'meta' as const },
    { name: `${t}-garbage`, args: `${t}-garbage`, base: 'meta' as const },
  ]),
  { name: 'mapping-bottom-zeroed', args: 'mapping-bottom-zeroed', base: 'meta' },
  { name: 'mapping-bottom-garbage', args: 'mapping-bottom-garbage --seed 7', base: 'meta' },
  { name: 'mapping-bottom-zeroed-leaf1', args: 'mapping-bottom-zeroed --dev 0 --node 1', base: 'meta' },
  { name: 'mapping-bottom-garbage-leaf2', args: 'mapping-bottom-garbage --node 2', base: 'meta' },
  { name: 'mapping-bottom-zeroed-dev2', args: 'mapping-bottom-zeroed --dev 2', base: 'meta' },
  { name: 'refcount-high', args: 'refcount-high', base: 'meta' },
  { name: 'refcount-low', args: 'refcount-low', base: 'meta' },
  { name: 'refcount-low-shared', args: 'refcount-low --block 0', base: 'meta' },
  { name: 'refcount-high-metadata', args: 'refcount-high --space-map metadata', base: 'meta' },
  { name: 'refcount-low-metadata', args: 'refcount-low --space-map metadata --block 9', base: 'meta' },
  { name: 'mapping-to-free-block', args: 'mapping-to-free-block', base: 'meta' },
  { name: 'mapping-to-free-block-dev2', args: 'mapping-to-free-block --dev 2 --vblock 41 --block 1000', base: 'meta' },
  { name: 'mapped-blocks-mismatch', args: 'mapped-blocks-mismatch', base: 'meta' },
  { name: 'mapped-blocks-mismatch-low', args: 'mapped-blocks-mismatch --dev 2 --by -2', base: 'meta' },
  { name: 'metadata-snapshot', args: 'metadata-snapshot', base: 'held' },
];

const LAB_SIDE = join(import.meta.dirname, '..', 'fixtures', 'kernel', 'damage', 'lab-side.sh');

function fileBytes(shell: LabShell, path: string): Uint8Array {
  const f = shell.fs.get(path);
  if (f === undefined) throw new Error(`the lab side wrote no ${path}`);
  return f.readBytes(0, f.sizeBytes);
}

/**
 * Runs the lab side with its metadata in the compact layout: the oracle was given images the lab
 * wrote before it followed the kernel's layout for trees of more than one leaf (thin 0 has 600
 * mappings), and the kernel fixtures' block numbers are those images'. So once the pool is
 * removed the lab's image loses its plan, as it had then, and everything after is laid out
 * compactly (fixtures/kernel/damage/images.md5 holds the bytes the oracle saw).
 */
function runLabSide(shell: LabShell): void {
  const lines = readFileSync(LAB_SIDE, 'latin1').split('\n');
  const cut = lines.findIndex((l) => l.startsWith('dd if=/dev/mapper/meta of=/tmp/meta.img'));
  if (cut < 0) throw new Error('the lab side no longer copies meta.img');
  shell.runScript(lines.slice(0, cut).join('\n'));
  const region = shell.machine.ramdisks[0]?.storage.regionAt(0);
  if (region?.metadata.kind !== 'image') throw new Error('the lab side left no metadata image on /dev/ram0');
  region.metadata = { kind: 'image', image: { ...region.metadata.image, layout: null } };
  region.materializedFrom = null;
  shell.runScript(lines.slice(cut).join('\n'));
}

/** NAME.img -> bytes for every case, plus the undamaged meta.img and held.img. */
export function damagedImages(): Map<string, Uint8Array> {
  const shell = new LabShell();
  runLabSide(shell);
  const images = new Map<string, Uint8Array>([
    ['meta.img', fileBytes(shell, '/tmp/meta.img')],
    ['held.img', fileBytes(shell, '/tmp/held.img')],
  ]);
  for (const c of DAMAGE_CASES) {
    const out = shell.runLine(
      `dd if=/tmp/${c.base}.img of=/tmp/${c.name}.img bs=4096 2>/dev/null; fault metadata ${c.args} /tmp/${c.name}.img`,
    );
    if (shell.lastStatus !== '0') throw new Error(`fault metadata ${c.args} failed: ${out}`);
    images.set(`${c.name}.img`, fileBytes(shell, `/tmp/${c.name}.img`));
  }
  return images;
}

let cachedImages: Map<string, Uint8Array> | null = null;

/**
 * The files a kernel fixture script finds under /files, as the oracle was given them: the damage
 * fixtures (7x-damage-*) load the images above. Built once, and only for scripts that use /files.
 */
export function fixtureFiles(source: string): Map<string, Uint8Array> | undefined {
  return source.includes('/files/') ? (cachedImages ??= damagedImages()) : undefined;
}
