/**
 * Issue 15 group 4: metadata writes that a `flakey ... drop_writes` metadata device acknowledges
 * and throws away (fixtures/kernel/131-133). The pool goes on from its in-core state; what a
 * reopen finds is what reached the disk: the last commit before the drops (a rollback), nothing
 * (a pool formatted while writes were dropped formats afresh), or, once writes reach the disk
 * again, a superblock pointing at blocks that were never written (thin_check fails). The
 * fixtures' superblock checksums and damaged block numbers depend on the kernel's metadata
 * layout; these tests check what does not.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

const POOL = 'dmsetup create pool --table "0 131072 thin-pool /dev/mapper/meta /dev/ram1 128 0" && dmsetup mknodes';
const START = [
  'dmsetup create meta --table "0 65536 linear /dev/ram0 0" && dmsetup mknodes',
  POOL,
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
  'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=2 oflag=direct conv=fsync 2>/dev/null',
  'dmsetup message pool 0 "set_transaction_id 0 1"',
].join('\n');
const DROP =
  'dmsetup reload meta --table "0 65536 flakey /dev/ram0 0 0 5 1 drop_writes"; dmsetup suspend meta; dmsetup resume meta';
const RESTORE = 'dmsetup reload meta --table "0 65536 linear /dev/ram0 0"; dmsetup suspend meta; dmsetup resume meta';
const WHILE_DROPPED = [
  DROP,
  'dd if=/patterns/B of=/dev/mapper/thin bs=64k count=2 seek=4 oflag=direct conv=fsync 2>/dev/null',
  'dmsetup message pool 0 "create_thin 1"',
  'dmsetup message pool 0 "set_transaction_id 1 2"',
  'dmsetup status pool | cut -d" " -f4,6',
].join('\n');
const fields = 'dmsetup status pool | cut -d" " -f4,6';

describe('lost metadata writes', () => {
  it('rolls back to the last commit that reached the disk when the pool closes while writes are dropped', () => {
    const out = new LabShell().runScript(
      [
        START,
        WHILE_DROPPED,
        'dmsetup remove thin; dmsetup remove pool',
        RESTORE,
        POOL,
        fields,
        'dmsetup message pool 0 "create_thin 1"; echo "create_thin 1 rc=$?"',
        'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
        'dd if=/dev/mapper/thin bs=64k count=1 skip=4 2>/dev/null | od -A n -c | head -1',
      ].join('\n'),
    );
    // In core the pool had transaction 2 and 4 blocks; the disk kept transaction 1 and 2 blocks.
    expect(out).toBe(
      '2 4/1024\n1 2/1024\ncreate_thin 1 rc=0\n  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0\n',
    );
  });

  it('keeps the pool going from its in-core state, and a read of the device sees the old superblock', () => {
    const out = new LabShell().runScript(
      [
        START,
        'echo "before: $(dd if=/dev/ram0 bs=4096 count=1 2>/dev/null | md5sum)"',
        WHILE_DROPPED,
        'echo "during: $(dd if=/dev/ram0 bs=4096 count=1 2>/dev/null | md5sum)"',
        'dd if=/dev/mapper/thin bs=64k count=1 skip=4 iflag=direct 2>/dev/null | od -A n -c | head -1',
      ].join('\n'),
    );
    const lines = out.split('\n');
    expect(lines[0]!.replace('before: ', '')).toBe(lines[2]!.replace('during: ', ''));
    expect(lines[1]).toBe('2 4/1024');
    expect(lines[3]).toBe('   B   B   B   B   B   B   B   B   B   B   B   B   B   B   B   B');
  });

  it('formats afresh on a device whose format never reached the disk', () => {
    const out = new LabShell().runScript(
      [
        'dmsetup create meta --table "0 65536 flakey /dev/ram0 0 0 5 1 drop_writes" && dmsetup mknodes',
        POOL,
        'dmsetup message pool 0 "create_thin 0"; dmsetup message pool 0 "set_transaction_id 0 4"',
        'dmsetup remove pool',
        'od -A n -c /dev/ram0 | head -2',
        RESTORE,
        POOL,
        fields,
      ].join('\n'),
    );
    expect(out).toBe('  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0  \\0\n*\n0 0/1024\n');
  });

  it('writes a superblock over blocks never written once the device works again: thin_check fails', () => {
    const out = new LabShell().runScript(
      [
        START,
        WHILE_DROPPED,
        RESTORE,
        'dd if=/patterns/C of=/dev/mapper/thin bs=64k count=1 seek=8 oflag=direct conv=fsync 2>/dev/null',
        'dmsetup remove thin; dmsetup remove pool',
        'thin_check /dev/mapper/meta >/dev/null 2>&1; echo "check rc=$?"',
        'thin_check /dev/mapper/meta 2>&1 | grep -c "bad checksum in btree node"',
      ].join('\n'),
    );
    expect(out).toBe('2 4/1024\ncheck rc=1\n1\n');
  });

  it('loses only the commits of the pool whose piece of the disk drops writes', () => {
    const out = new LabShell().runScript(
      [
        'dmsetup create m1 --table "0 8192 linear /dev/ram0 0" && dmsetup mknodes',
        'dmsetup create m2 --table "0 8192 linear /dev/ram0 8192" && dmsetup mknodes',
        'dmsetup create d1 --table "0 32768 linear /dev/ram1 0" && dmsetup mknodes',
        'dmsetup create d2 --table "0 32768 linear /dev/ram1 32768" && dmsetup mknodes',
        'dmsetup create p1 --table "0 32768 thin-pool /dev/mapper/m1 /dev/mapper/d1 128 0" && dmsetup mknodes',
        'dmsetup create p2 --table "0 32768 thin-pool /dev/mapper/m2 /dev/mapper/d2 128 0" && dmsetup mknodes',
        'dmsetup message p1 0 "create_thin 0"; dmsetup message p2 0 "create_thin 3"',
        'dmsetup reload m2 --table "0 8192 flakey /dev/ram0 8192 0 5 1 drop_writes"; dmsetup suspend m2; dmsetup resume m2',
        'dmsetup message p2 0 "create_thin 4"; dmsetup message p1 0 "create_thin 1"',
        'dmsetup remove p1; dmsetup remove p2',
        'dmsetup reload m2 --table "0 8192 linear /dev/ram0 8192"; dmsetup suspend m2; dmsetup resume m2',
        'thin_dump /dev/mapper/m1 | grep -c "<device"; thin_dump /dev/mapper/m2 | grep -o "dev_id=.[0-9]*"',
      ].join('\n'),
    );
    expect(out).toBe('2\ndev_id="3\n');
  });
});
