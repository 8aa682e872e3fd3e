/**
 * Every `fault metadata` kind against the real thin-provisioning-tools 0.9.0: the lab damages a
 * lab pool's metadata (test/damage-images.ts), then thin_check, thin_dump, thin_dump --repair and
 * thin_repair run on the same bytes in the lab and with the real binaries, and must print the same
 * words with the same exit status; a repaired image must dump (with the real thin_dump) to the same
 * XML as the real thin_repair's. And the directive itself: what it changes, and bad input refused.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dmChecksum } from '../src/format/crc32c.js';
import { BLOCK_SIZE, BTREE_CSUM_XOR } from '../src/format/layout.js';
import { readMetadataImage } from '../src/format/metadata-reader.js';
import { DAMAGE_KINDS, damageMetadata } from '../src/format/metadata-damage.js';
import { LabShell } from '../src/shell/shell.js';
import { hasRealTools, ToolBench } from '../src/tools/tool-test-support.js';
import { DAMAGE_CASES, damagedImages } from './damage-images.js';

const images = damagedImages();
const bench = new ToolBench();
afterAll(() => bench.dispose());

const files = (name: string, extra: Record<string, Uint8Array> = {}): Record<string, Uint8Array> => ({ [name]: images.get(name)!, ...extra });

function expectSame(name: string, line: string, extra: Record<string, Uint8Array> = {}): ReturnType<ToolBench['lab']> {
  const lab = bench.lab(files(name, extra), line);
  const real = bench.real(files(name, extra), line);
  expect({ stdout: lab.stdout, stderr: lab.stderr, status: lab.status }).toEqual({ stdout: real.stdout, stderr: real.stderr, status: real.status });
  return lab;
}

function realDump(bytes: Uint8Array, name: string): { status: number | null; stdout: string; stderr: string } {
  const path = join(bench.dir, name);
  writeFileSync(path, bytes);
  const r = spawnSync('thin_dump', [path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.split(bench.dir).join('/run') };
}

const names = ['meta.img', 'held.img', ...DAMAGE_CASES.map((c) => `${c.name}.img`)];

describe('every damage kind has a case', () => {
  it('covers each kind of fault metadata at least once', () => {
    const used = new Set(DAMAGE_CASES.map((c) => c.args.split(' ')[0]));
    expect(DAMAGE_KINDS.map((k) => k.name).filter((k) => !used.has(k))).toEqual([]);
  });

  it('changes the image for every case, and only blocks in use', () => {
    for (const c of DAMAGE_CASES) {
      const base = images.get(`${c.base}.img`)!;
      const damaged = images.get(`${c.name}.img`)!;
      expect(damaged.length, c.name).toBe(base.length);
      const changed: number[] = [];
      for (let b = 0; b < base.length / BLOCK_SIZE; b++) {
        if (!Buffer.from(base.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE)).equals(Buffer.from(damaged.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE)))) changed.push(b);
      }
      expect(changed.length, c.name).toBeGreaterThan(0);
      expect(Math.max(...changed), c.name).toBeLessThan(64);
    }
  });
});

describe.skipIf(!hasRealTools)('thin_check on damaged metadata matches 0.9.0', () => {
  it.each(names)('thin_check %s', (name) => {
    expectSame(name, `thin_check @${name}`);
  });
  it.each(names)('thin_check --skip-mappings %s', (name) => {
    expectSame(name, `thin_check --skip-mappings @${name}`);
  });
  it.each(['refcount-high-metadata.img', 'refcount-low-metadata.img', 'metadata-bitmap-zeroed.img'])('thin_check --ignore-non-fatal-errors %s', (name) => {
    expectSame(name, `thin_check --ignore-non-fatal-errors @${name}`);
  });
  it.each(['held.img', 'metadata-snapshot.img'])('thin_check -m %s', (name) => {
    expectSame(name, `thin_check -m @${name}`);
  });
});

describe.skipIf(!hasRealTools)('thin_dump and thin_dump --repair on damaged metadata match 0.9.0', () => {
  it.each(names)('thin_dump %s', (name) => {
    expectSame(name, `thin_dump @${name}`);
  });
  it.each(names)('thin_dump --repair %s', (name) => {
    expectSame(name, `thin_dump --repair @${name}`);
  });
  it.each(['held.img', 'metadata-snapshot.img'])('thin_dump -m %s', (name) => {
    expectSame(name, `thin_dump -m @${name}`);
  });
});

describe.skipIf(!hasRealTools)('thin_repair on damaged metadata matches 0.9.0', () => {
  it.each(names)('thin_repair %s, and the real thin_dump of what it wrote', (name) => {
    const out = { 'out.bin': new Uint8Array(4 << 20) };
    const line = `thin_repair -i @${name} -o @out.bin`;
    const lab = bench.lab(files(name, out), line);
    const real = bench.real(files(name, out), line);
    expect([lab.stdout, lab.stderr, lab.status]).toEqual([real.stdout, real.stderr, real.status]);
    expect(realDump(lab.files['out.bin']!, 'lab-out.bin')).toEqual(realDump(real.files['out.bin']!, 'real-out.bin'));
  });
});

describe('fault metadata in the lab shell', () => {
  it('damages the same bytes as the pure function, and says what it did', () => {
    const shell = new LabShell({ files: new Map([['meta.img', images.get('meta.img')!]]) });
    const out = shell.runScript('dd if=/files/meta.img of=/dev/ram0 bs=4096 2>/dev/null\nfault metadata details-zeroed /dev/ram0; echo rc=$?\n');
    expect(out).toBe('fault metadata details-zeroed: metadata block 7 (device-details tree node 0 (root, leaf)): zeroed\nrc=0\n');
    const expected = damageMetadata(images.get('meta.img')!, 'details-zeroed');
    expect(expected.ok && expected.writes.map((w) => w.block)).toEqual([7]);
    const check = shell.runScript("thin_check /dev/ram0 2>&1 | grep -e missing -e 'bad checksum'");
    expect(check).toBe('  missing devices: [0, -]\n    bad checksum in btree node (block 7)\n');
  });

  it.each([
    ['fault metadata no-such-kind /dev/ram0', "fault metadata: unknown damage kind 'no-such-kind'"],
    ['fault metadata details-zeroed /dev/ram1', 'fault metadata: /dev/ram1: no dm-thin metadata here'],
    ['fault metadata details-zeroed', 'fault metadata: missing device'],
    ['fault metadata details-zeroed /dev/nothing', 'fault metadata: /dev/nothing: No such file or device'],
    ['fault metadata details-zeroed --node 5 /dev/ram0', 'fault metadata: /dev/ram0: the device-details tree has 1 node; --node 5 does not exist'],
    ['fault metadata mapping-bottom-zeroed --dev 9 /dev/ram0', 'fault metadata: /dev/ram0: no thin device 9 in the mapping tree (devices: 0 1 2)'],
    ['fault metadata refcount-low --block 5000 /dev/ram0', 'fault metadata: /dev/ram0: block 5000 is beyond the data space map (1024 blocks)'],
    ['fault metadata refcount-high --space-map nope /dev/ram0', "fault metadata: --space-map takes data or metadata, not 'nope'"],
    ['fault metadata metadata-snapshot /dev/ram0', 'fault metadata: /dev/ram0: no metadata snapshot is held (reserve_metadata_snap first)'],
    ['fault metadata mapping-to-free-block --block 3 /dev/ram0', 'fault metadata: /dev/ram0: data block 3 is not free (its count is 1)'],
    ['fault metadata details-zeroed --bogus 1 /dev/ram0', 'fault metadata: unknown option --bogus'],
  ])('%s: exit 2, a clear error, nothing changed', (line, message) => {
    const shell = new LabShell({ files: new Map([['meta.img', images.get('meta.img')!]]) });
    shell.runScript('dd if=/files/meta.img of=/dev/ram0 bs=4096 2>/dev/null\n');
    const before = shell.runScript('dd if=/dev/ram0 bs=4096 count=64 2>/dev/null | md5sum; dd if=/dev/ram1 bs=4096 count=64 2>/dev/null | md5sum');
    const out = shell.runScript(`${line} 2>&1; echo rc=$?`);
    expect(out.startsWith(message), out).toBe(true);
    expect(out.endsWith('rc=2\n')).toBe(true);
    expect(shell.runScript('dd if=/dev/ram0 bs=4096 count=64 2>/dev/null | md5sum; dd if=/dev/ram1 bs=4096 count=64 2>/dev/null | md5sum')).toBe(before);
  });

  it('fault --help lists every kind', () => {
    const out = new LabShell().runScript('fault --help');
    for (const k of DAMAGE_KINDS) expect(out).toContain(`      ${k.name} `);
  });

  it('the same garbage for the same seed, and other garbage for another', () => {
    const a = damageMetadata(images.get('meta.img')!, 'details-garbage', { seed: 3 });
    const b = damageMetadata(images.get('meta.img')!, 'details-garbage', { seed: 3 });
    const c = damageMetadata(images.get('meta.img')!, 'details-garbage', { seed: 4 });
    if (!a.ok || !b.ok || !c.ok) throw new Error('damage failed');
    expect(Buffer.from(a.writes[0]!.bytes).equals(Buffer.from(b.writes[0]!.bytes))).toBe(true);
    expect(Buffer.from(a.writes[0]!.bytes).equals(Buffer.from(c.writes[0]!.bytes))).toBe(false);
  });
});

describe.skipIf(!hasRealTools)('the shared btree node validator words problems as 0.9.0', () => {
  /** meta.img with one node of device 0's bottom tree edited and re-sealed (block 8 is its first leaf, 11 its root). */
  const edited = (block: number, edit: (dv: DataView, keys: number) => void): Uint8Array => {
    const bytes = Uint8Array.from(images.get('meta.img')!);
    const dv = new DataView(bytes.buffer);
    edit(dv, block * BLOCK_SIZE + 32);
    dv.setUint32(block * BLOCK_SIZE, dmChecksum(bytes, block * BLOCK_SIZE + 4, (block + 1) * BLOCK_SIZE, BTREE_CSUM_XOR), true);
    return bytes;
  };
  const swap = (dv: DataView, at: number): void => {
    const a = dv.getBigUint64(at, true);
    dv.setBigUint64(at, dv.getBigUint64(at + 8, true), true);
    dv.setBigUint64(at + 8, a, true);
  };
  const cases: Record<string, Uint8Array> = {
    'leaf-keys-swapped.img': edited(8, (dv, keys) => swap(dv, keys + 3 * 8)),
    'internal-keys-swapped.img': edited(11, (dv, keys) => swap(dv, keys)),
    'leaf-underfull.img': edited(8, (dv) => dv.setUint32(8 * BLOCK_SIZE + 16, 1, true)),
  };
  it.each(Object.keys(cases))('thin_check %s', (name) => {
    const lab = bench.lab({ [name]: cases[name]! }, `thin_check @${name}`);
    const real = bench.real({ [name]: cases[name]! }, `thin_check @${name}`);
    expect(real.stderr).toMatch(/keys are out of order|too few entries/);
    expect([lab.stdout, lab.stderr, lab.status]).toEqual([real.stdout, real.stderr, real.status]);
  });
  it.each(Object.keys(cases))('the strict reader refuses %s too', (name) => {
    const read = readMetadataImage(cases[name]!);
    expect(read.ok).toBe(false);
  });
});
