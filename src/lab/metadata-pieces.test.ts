/**
 * Issue 15 group 2: the kernel opens a second pool whose metadata device is another linear piece
 * of the disk a live pool's metadata is on (fixtures/kernel-probes/105-metadata-pieces,
 * fixtures/kernel/130-two-pools-one-disk). The lab keeps metadata per region of a disk, so both
 * pools open and each keeps its own. Two devices over the same metadata sectors would make the
 * kernel open two pools that overwrite each other: that is refused by name, loudly, and the first
 * pool loses nothing. A pool reloaded with another piece of its own disk as metadata is the
 * kernel's `different pool cannot replace a pool`, which the lab models.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

const PIECES = [
  'dmsetup create meta1 --table "0 16384 linear /dev/ram0 0" && dmsetup mknodes',
  'dmsetup create meta2 --table "0 16384 linear /dev/ram0 16384" && dmsetup mknodes',
  'dmsetup create pool1 --table "0 65536 thin-pool /dev/mapper/meta1 /dev/ram1 128 0" && dmsetup mknodes',
  'dmsetup message pool1 0 "create_thin 1"',
  'dmsetup create thin1 --table "0 65536 thin /dev/mapper/pool1 1" && dmsetup mknodes',
  'dd if=/patterns/A of=/dev/mapper/thin1 bs=64k count=3 oflag=direct 2>/dev/null',
  'dmsetup status pool1 | cut -d" " -f4,6',
].join('\n');

/** A second data device: a lab file on a loop device, so that the second pool's data is its own. */
const SECOND_DATA = 'truncate -s 32M /tmp/data2; losetup /dev/loop0 /tmp/data2';

describe('pools on linear pieces of one disk', () => {
  it('opens a second pool on another piece, and each keeps its own metadata across a re-create', () => {
    const out = new LabShell().runScript(
      [
        PIECES,
        SECOND_DATA,
        'dmsetup create pool2 --table "0 65536 thin-pool /dev/mapper/meta2 /dev/loop0 128 0" && dmsetup mknodes; echo "pool2 rc=$?"',
        'dmsetup message pool2 0 "create_thin 5"; dmsetup message pool2 0 "set_transaction_id 0 9"',
        'dmsetup remove thin1; dmsetup remove pool1; dmsetup remove pool2',
        'dmsetup create pool2 --table "0 65536 thin-pool /dev/mapper/meta2 /dev/loop0 128 0" && dmsetup mknodes',
        'dmsetup create pool1 --table "0 65536 thin-pool /dev/mapper/meta1 /dev/ram1 128 0" && dmsetup mknodes',
        'dmsetup status pool1 | cut -d" " -f4,6; dmsetup status pool2 | cut -d" " -f4,6',
        'dmsetup message pool2 0 "create_thin 5"; echo "again rc=$?"',
      ].join('\n'),
    );
    expect(out).toBe(
      '0 3/512\npool2 rc=0\n0 3/512\n9 0/512\n' +
        'device-mapper: message ioctl on pool2  failed: File exists\nCommand failed.\nagain rc=1\n',
    );
  });

  it("refuses by name a second pool over sectors of a live pool's metadata, and the first keeps its data", () => {
    const out = new LabShell().runScript(
      [
        PIECES,
        SECOND_DATA,
        'dmsetup create meta3 --table "0 16384 linear /dev/ram0 8192" && dmsetup mknodes',
        'dmsetup create pool3 --table "0 65536 thin-pool /dev/mapper/meta3 /dev/loop0 128 0" && dmsetup mknodes; echo "pool3 rc=$?"',
        'dmesg | grep -c "thinlab: not modelled: a second pool whose metadata device overlaps"',
        'dmsetup status pool1 | cut -d" " -f4,6',
        'dmsetup ls | grep -c pool3',
      ].join('\n'),
    );
    expect(out).toBe(
      '0 3/512\n' +
        "thinlab: not modelled: a second pool whose metadata device overlaps a live pool's metadata on its disk\n" +
        'device-mapper: reload ioctl on pool3 (254:5) failed: Device or resource busy\nCommand failed.\npool3 rc=1\n' +
        '1\n0 3/512\n0\n',
    );
  });

  it('refuses a reload of the live pool onto the other piece as the kernel does', () => {
    const out = new LabShell().runScript(
      [
        PIECES,
        'dmsetup reload pool1 --table "0 65536 thin-pool /dev/mapper/meta2 /dev/ram1 128 0"; echo "reload rc=$?"',
        'dmesg | grep -c "different pool cannot replace a pool"',
        'dmsetup status pool1 | cut -d" " -f4,6',
      ].join('\n'),
    );
    expect(out).toBe(
      '0 3/512\ndevice-mapper: reload ioctl on pool1  failed: Invalid argument\nCommand failed.\nreload rc=1\n1\n0 3/512\n',
    );
  });
});
