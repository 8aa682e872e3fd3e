/**
 * Issue 15 group 2: the kernel opens a second pool whose metadata device is another linear piece
 * of the disk a live pool's metadata is on (fixtures/kernel-probes/105-metadata-pieces). The lab
 * keeps one pool's metadata per disk, so it refuses that pool by name, loudly, and the first pool
 * loses nothing. A pool reloaded with another piece of its own disk as metadata is the kernel's
 * `different pool cannot replace a pool`, which the lab models.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

const PIECES = [
  'dmsetup create meta1 --table "0 16384 linear /dev/ram0 0"',
  'dmsetup create meta2 --table "0 16384 linear /dev/ram0 16384"',
  'dmsetup create pool1 --table "0 65536 thin-pool /dev/mapper/meta1 /dev/ram1 128 0"',
  'dmsetup message pool1 0 "create_thin 1"',
  'dmsetup create thin1 --table "0 65536 thin /dev/mapper/pool1 1"',
  'dd if=/patterns/A of=/dev/mapper/thin1 bs=64k count=3 oflag=direct 2>/dev/null',
  'dmsetup status pool1 | cut -d" " -f4,6',
].join('\n');

describe('pools on linear pieces of one disk', () => {
  it('refuses a second live pool on the same disk by name, and the first keeps its data', () => {
    const out = new LabShell().runScript(
      [
        PIECES,
        'dmsetup create pool2 --table "0 65536 thin-pool /dev/mapper/meta2 /dev/ram1 128 0"; echo "pool2 rc=$?"',
        'dmesg | grep -c "thinlab: not modelled: a second pool whose metadata device is on the disk"',
        'dmsetup status pool1 | cut -d" " -f4,6',
        'dmsetup ls | grep -c pool2',
      ].join('\n'),
    );
    expect(out).toBe(
      '0 3/512\n' +
        'device-mapper: reload ioctl on pool2 (254:4) failed: Device or resource busy\nCommand failed.\npool2 rc=1\n' +
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
