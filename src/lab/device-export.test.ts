/**
 * What `thinlab export` reads: a loop device and the lab file under it give the same bytes, in
 * chunks of the size asked for (never the whole device at once), and what a path does not name
 * is refused with the devices there are.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExportError, openForExport } from './device-export.js';
import { LabShell } from './lab-shell.js';

function concat(chunks: Iterable<Uint8Array>): { bytes: Uint8Array; sizes: number[] } {
  const list = [...chunks];
  const bytes = new Uint8Array(list.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of list) {
    bytes.set(c, pos);
    pos += c.length;
  }
  return { bytes, sizes: list.map((c) => c.length) };
}

describe('openForExport', () => {
  it('reads a loop device and its lab file alike, chunk by chunk', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runLine('truncate -s 1M /tmp/disk.img');
    shell.runLine('losetup /dev/loop0 /tmp/disk.img');
    shell.runLine('dd if=/patterns/A of=/dev/loop0 bs=4k count=3 seek=1 2>/dev/null');
    const loop = openForExport(shell.lab, '/dev/loop0', 256);
    expect(loop).toMatchObject({ what: 'block device /dev/loop0', sizeBytes: 1 << 20 });
    const fromLoop = concat(loop.chunks());
    expect(fromLoop.sizes).toEqual([131072, 131072, 131072, 131072, 131072, 131072, 131072, 131072]);
    const fromFile = concat(openForExport(shell.lab, '/tmp/disk.img', 256).chunks());
    expect(Buffer.compare(fromLoop.bytes, fromFile.bytes)).toBe(0);
    const sum = shell.runLine('dd if=/dev/loop0 bs=1M 2>/dev/null | md5sum').split(' ')[0];
    expect(createHash('md5').update(fromLoop.bytes).digest('hex')).toBe(sum);
    expect(fromLoop.bytes[4096]).toBe(0x41);
    expect(fromLoop.bytes[0]).toBe(0);
  });

  it('refuses a path that names nothing, listing the block devices', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    expect(() => openForExport(shell.lab, '/dev/mapper/pool')).toThrow(ExportError);
    expect(() => openForExport(shell.lab, '/dev/mapper/pool')).toThrow(/\(block devices: \/dev\/ram0, \/dev\/ram1, /);
  });

  it('fails a read of a suspended device part way with the reason', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runLine('dmsetup create lin --table "0 2048 linear /dev/ram0 0" && dmsetup mknodes');
    shell.runLine('dmsetup suspend lin');
    const source = openForExport(shell.lab, '/dev/mapper/lin');
    expect(() => concat(source.chunks())).toThrow(
      'cannot read /dev/mapper/lin at sector 0: the device is suspended (resume it first)',
    );
  });
});
