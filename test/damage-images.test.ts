/**
 * The damage fixtures (fixtures/kernel/7x-damage-*) were recorded on the real kernel with images
 * the lab builds at test time (test/damage-images.ts). If the lab's writer or a damage kind
 * changes, the kernel's transcripts no longer describe the bytes the lab gives the same script:
 * this test fails first, and the fixtures must be rerun on the oracle (and the manifest rewritten)
 * rather than the lab made to agree with stale transcripts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { damagedImages } from './damage-images.js';

const MANIFEST = join(import.meta.dirname, '..', 'fixtures', 'kernel', 'damage', 'images.md5');

it('builds the images the damage fixtures were recorded with, byte for byte', () => {
  const built = [...damagedImages()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, bytes]) => `${createHash('md5').update(bytes).digest('hex')}  ${name}`);
  expect(built.join('\n')).toBe(readFileSync(MANIFEST, 'latin1').trimEnd());
});
