/**
 * The real kernel reads what the lab writes. fixtures/interop/53-lab-side.sh builds a pool in the
 * lab; its /dev/ram0 and /dev/ram1 were given to shared/oracle/kernel-dm-thin, which ran
 * 53-kernel-reads-lab-metadata.sh on them (the .out is the kernel's transcript). This test rebuilds
 * the images, checks that they are byte for byte the ones the kernel loaded (the transcript starts
 * with their md5s), and runs the kernel's script in the lab on the same images: the lab must read
 * back and go on exactly as the kernel did.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/shell/shell.js';
import { maskMetadataUsed } from './transcript-compare.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'interop');

function exportImages(): Map<string, Uint8Array> {
  const lab = new LabShell();
  lab.runScript(readFileSync(join(DIR, '53-lab-side.sh'), 'latin1'));
  const images = new Map<string, Uint8Array>();
  for (const [i, name] of [[0, 'meta.img'], [1, 'data.img']] as const) {
    const dev = lab.machine.resolve(`/dev/ram${i}`)!;
    const r = lab.machine.readSectors(dev, 0, lab.machine.sizeSectors(dev));
    if (!r.ok) throw new Error(`cannot read /dev/ram${i}`);
    images.set(name, lab.machine.dictionary.bytesOf(r.value));
  }
  return images;
}

describe('the kernel and the lab on the same metadata', () => {
  const kernel = readFileSync(join(DIR, '53-kernel-reads-lab-metadata.out'), 'latin1');
  const images = exportImages();

  it('rebuilds exactly the images the kernel loaded', () => {
    for (const [name, bytes] of images) {
      expect(kernel).toContain(`${createHash('md5').update(bytes).digest('hex')}  ${name}`);
    }
  });

  it('reads them back and goes on as the kernel did', () => {
    const lab = new LabShell({ files: images });
    const output = lab.runScript(readFileSync(join(DIR, '53-kernel-reads-lab-metadata.sh'), 'latin1'));
    // The thin tools' lines are compared once the lab has the tools; everything else must match.
    const withoutTools = (t: string): string =>
      maskMetadataUsed(t)
        .split('\n')
        .filter((l) => !/thin_check|thin_dump|^examining|^checking|^TRANSACTION_ID|^METADATA_FREE|^\s*<|^<\/?superblock|not supported/.test(l))
        .join('\n');
    expect(withoutTools(output)).toBe(withoutTools(kernel));
    expect(output).toContain('8091c14408f691574a6139ffe79a4fed');
  });
});
