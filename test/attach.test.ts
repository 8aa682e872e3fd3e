/**
 * `thinlab sh --attach FILE:/dev/ramN`: a host image on a RAM disk, recorded as the branch's
 * first event with its bytes, so replay (from the first event, no host file) rebuilds the same
 * disk. A metadata image made in the lab and exported opens again as the pool's metadata. An
 * image larger than the disk, or a device that is not a RAM disk, is refused and leaves no branch.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordScript } from '../src/cli/history-commands.js';
import { decodeEvent } from '../src/events/codec.js';
import type { ImageAttached } from '../src/events/lab-events.js';
import { AttachRefused, imageRuns } from '../src/lab/attach-image.js';
import { openForExport } from '../src/lab/device-export.js';
import type { Lab } from '../src/lab/lab.js';
import { History } from '../src/replay/history.js';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { captureOutput, useTempStore } from './temp-store.js';

const KB = 8192;

function exported(lab: Lab, device: string): Uint8Array {
  const source = openForExport(lab, device);
  const out = new Uint8Array(source.sizeBytes);
  let pos = 0;
  for (const chunk of source.chunks()) {
    out.set(chunk, pos);
    pos += chunk.length;
  }
  return out;
}

/** A pool's metadata made in the lab: two thins, one a snapshot, 12 blocks written, pool removed. */
function metadataImage(): Uint8Array {
  const lab = LabRuntime.fresh({ ramdiskKb: KB });
  for (const c of [
    'dmsetup create pool --table "0 16384 thin-pool /dev/ram1 /dev/ram0 128 0" && dmsetup mknodes',
    'dmsetup message pool 0 "create_thin 0"',
    'dmsetup create thin --table "0 16384 thin /dev/mapper/pool 0" && dmsetup mknodes',
    'dd if=/patterns/C of=/dev/mapper/thin bs=64k count=12 oflag=direct 2>/dev/null',
    'dmsetup message pool 0 "create_snap 1 0"',
    'dmsetup remove thin',
    'dmsetup remove pool',
  ])
    lab.runCommand(c);
  return exported(lab.lab, '/dev/ram1');
}

function attachData(bytes: Uint8Array, device: string): ImageAttached['data'] {
  return {
    device,
    file: 'meta.img',
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    runs: imageRuns(bytes),
  };
}

const temp = useTempStore('attach');
const out = captureOutput();

describe('thinlab sh --attach', () => {
  it('opens an exported metadata image as the pool, and a replay without the file rebuilds the same disk', async () => {
    const image = metadataImage();
    const runs = imageRuns(image);
    // Sparse: a mostly empty metadata device travels as a few runs.
    expect(runs.reduce((n, r) => n + Buffer.from(r.base64, 'base64').length, 0)).toBeLessThan(image.length / 16);
    const h = new History(temp.store);
    const script = [
      'thin_check /dev/ram1 2>&1 | tail -n 1',
      'dmsetup create pool --table "0 16384 thin-pool /dev/ram1 /dev/ram0 128 0" && dmsetup mknodes',
      'dmsetup status pool',
      'thin_ls -m /dev/ram1 2>&1 | head -n 1',
    ].join('\n');
    const r = await recordScript(
      h,
      script,
      { continueBranch: false, ramdiskKb: KB, trace: false, attach: attachData(image, '/dev/ram1') },
      out.io,
    );
    expect(r.length).toBe(5);
    expect(out.text()).toMatch(/^checking space map counts\n0 16384 thin-pool 0 \d+\/\d+ 12\/128 /);
    // From the first event, no checkpoint and no host file: the disk is the image, byte for byte.
    const replayed = await new History(temp.store, 1_000_000).stateAt(r.branch, 1);
    expect(Buffer.compare(exported(replayed.lab, '/dev/ram1'), image)).toBe(0);
    const first = (await h.events(r.branch, 0, 1)[Symbol.asyncIterator]().next()).value!.event;
    expect(first).toMatchObject({ type: 'ImageAttached', data: { device: '/dev/ram1', sizeBytes: image.length } });
  });

  it('refuses an image larger than the RAM disk or a device that is not one, and records no branch', async () => {
    const h = new History(temp.store);
    const big = new Uint8Array(KB * 1024 + 512).fill(7);
    const base = { continueBranch: false, ramdiskKb: KB, trace: false };
    await expect(recordScript(h, 'true', { ...base, attach: attachData(big, '/dev/ram0') }, out.io)).rejects.toThrow(
      new AttachRefused(
        `meta.img (${KB * 1024 + 512} bytes) is larger than /dev/ram0 (${KB * 1024} bytes): start the lab with --ramdisk-kb ${KB + 1} or more`,
      ),
    );
    await expect(
      recordScript(h, 'true', { ...base, attach: attachData(new Uint8Array(512), '/dev/loop0') }, out.io),
    ).rejects.toThrow("an image can only be attached to a RAM disk (/dev/ram0, /dev/ram1), not '/dev/loop0'");
    expect(await h.branches()).toEqual([]);
  });

  it('reads the event back, and refuses a damaged one by name', () => {
    const data = attachData(new Uint8Array([1, 2, 3]), '/dev/ram0');
    expect(decodeEvent({ type: 'ImageAttached', version: 1, data }, 'main@1')).toEqual({
      type: 'ImageAttached',
      version: 1,
      data,
    });
    expect(() =>
      decodeEvent(
        { type: 'ImageAttached', version: 1, data: { ...data, runs: [{ offset: -1, base64: '' }] } },
        'main@1',
      ),
    ).toThrow('main@1: ImageAttached needs device, file, sizeBytes, sha256 and runs of {offset, base64}');
  });
});
