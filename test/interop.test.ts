/**
 * The real kernel reads what the lab writes. fixtures/interop/53-lab-side.sh builds a pool in the
 * lab; its /dev/ram0 and /dev/ram1 were given to shared/oracle/kernel-dm-thin, which ran
 * 53-kernel-reads-lab-metadata.sh on them (the .out is the kernel's transcript). This test rebuilds
 * the images, checks that they are byte for byte the ones the kernel loaded (the transcript starts
 * with their md5s), and runs the kernel's script in the lab on the same images: the lab must read
 * back and go on exactly as the kernel did. And the other way: 54's transcript carries the metadata
 * and data images the kernel wrote (gzip, base64); the lab activates them and reads what it read.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { checkPoolInvariants } from '../src/model/invariants.js';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import type { StackId } from '../src/model/stack.js';
import { asOracleCaptures, maskMetadataUsed } from './transcript-compare.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'interop');

/** The images 53-lab-side.sh leaves on the RAM disks of a lab of this stack. */
function exportImages(stack: StackId): Map<string, Uint8Array> {
  const lab = new LabShell({ stack });
  // Every command of the lab side is quiet when it works: anything printed is a command that failed
  // (a missing /dev/mapper node once left the thins unwritten), and images from it prove nothing.
  const printed = lab.runScript(readFileSync(join(DIR, '53-lab-side.sh'), 'latin1'));
  if (printed !== '') throw new Error(`53-lab-side.sh printed, so a command failed:\n${printed}`);
  const images = new Map<string, Uint8Array>();
  for (const [i, name] of [
    [0, 'meta.img'],
    [1, 'data.img'],
  ] as const) {
    const dev = lab.machine.resolve(`/dev/ram${i}`)!;
    const r = lab.machine.readSectors(dev, 0, lab.machine.sizeSectors(dev));
    if (!r.ok) throw new Error(`cannot read /dev/ram${i}`);
    images.set(name, lab.machine.dictionary.bytesOf(r.value));
  }
  return images;
}

/** Each stack's transcripts: `NAME.out` from Linux 6.1, `NAME.debian13.out` from Linux 6.12 (the same lab images). */
const STACKS: ReadonlyArray<{ stack: StackId; suffix: string }> = [
  { stack: 'debian12', suffix: '.out' },
  { stack: 'debian13', suffix: '.debian13.out' },
];

describe.each(STACKS)('the kernel and the lab on the same metadata ($stack)', ({ stack, suffix }) => {
  const kernel = readFileSync(join(DIR, `53-kernel-reads-lab-metadata${suffix}`), 'latin1');
  // The lab side runs on the same stack as the kernel that read its images: a debian13 lab writes
  // the very bytes Linux 6.12 was given (the transcript names their md5s).
  const images = exportImages(stack);

  it('rebuilds exactly the images the kernel loaded', () => {
    for (const [name, bytes] of images) {
      expect(kernel).toContain(`${createHash('md5').update(bytes).digest('hex')}  ${name}`);
    }
  });

  it('reads them back and goes on as the kernel did', () => {
    const lab = new LabShell({ files: images, stack });
    const output = lab.runScript(readFileSync(join(DIR, '53-kernel-reads-lab-metadata.sh'), 'latin1'));
    // Everything, thin_check and thin_dump -m included, as the kernel printed it.
    expect(maskMetadataUsed(asOracleCaptures(output))).toBe(maskMetadataUsed(kernel));
    expect(output).toContain('8091c14408f691574a6139ffe79a4fed');
  });
});

describe.each(STACKS)('the lab on metadata the kernel wrote ($stack)', ({ stack, suffix }) => {
  const out = readFileSync(join(DIR, `54-lab-reads-kernel-metadata${suffix}`), 'latin1');
  /** The base64 lines after `<name>.gz.b64:`, up to the next label or `end`. */
  const grab = (name: string): Uint8Array => {
    const lines = out.split('\n');
    const start = lines.indexOf(`${name}.gz.b64:`);
    if (start < 0) throw new Error(`no ${name} in the transcript`);
    const body: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (line.endsWith(':') || line === 'end') break;
      body.push(line);
    }
    return new Uint8Array(gunzipSync(Buffer.from(body.join(''), 'base64')));
  };
  const images = new Map([
    ['meta.img', grab('meta.img')],
    ['data.img', grab('data.img')],
  ]);

  it('decodes the images the kernel printed', () => {
    for (const [name, bytes] of images)
      expect(out).toContain(`${createHash('md5').update(bytes).digest('hex')}  ${name}`);
  });

  it('activates the kernel-written pool and reads what the kernel read', () => {
    const lab = new LabShell({ files: images, stack });
    const script = [
      'dd if=/files/meta.img of=/dev/ram0 bs=1M oflag=direct 2>/dev/null',
      'dd if=/files/data.img of=/dev/ram1 bs=1M oflag=direct 2>/dev/null',
      'dmsetup create pool --table "0 16384 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup mknodes',
      'dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes; dmsetup create snap1 --table "0 262144 thin /dev/mapper/pool 1" && dmsetup mknodes; dmsetup create snap2 --table "0 262144 thin /dev/mapper/pool 2"; dmsetup mknodes',
      'dmsetup status pool; dmsetup status thin0; dmsetup status snap1; dmsetup status snap2',
      'dd if=/dev/mapper/thin0 bs=64k count=24 2>/dev/null | md5sum',
      'dd if=/dev/mapper/snap1 bs=64k count=24 2>/dev/null | md5sum',
      'dd if=/dev/mapper/snap2 bs=64k count=24 2>/dev/null | md5sum',
    ].join('\n');
    const output = lab.runScript(script);
    const kernelPart = out.slice(
      out.indexOf('--- what the devices read, from the kernel\n') +
        '--- what the devices read, from the kernel\n'.length,
      out.indexOf('--- images'),
    );
    expect(maskMetadataUsed(output)).toBe(maskMetadataUsed(kernelPart));
    for (const pool of lab.machine.livePools()) expect(checkPoolInvariants(pool.md)).toEqual([]);
  });
});
