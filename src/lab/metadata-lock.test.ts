/**
 * A commit that waits for a suspended metadata device holds the pool's metadata lock
 * (fixtures/kernel/190 on both kernels: what waits and what does not, each in the background).
 * These name the rules one by one, and the lab's own end of a wait nothing will ever end: in the
 * foreground the real command would hang, so the lab says so and stops it, instead of printing a
 * success the real system never prints.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

const SETUP = [
  'dmsetup create meta --table "0 65536 linear /dev/ram0 0"; dmsetup mknodes',
  'dmsetup create pool --table "0 131072 thin-pool /dev/mapper/meta /dev/ram1 128 0"; dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0"; dmsetup mknodes',
  'dd if=/patterns/A of=/dev/mapper/thin0 bs=64k count=2 oflag=direct conv=fsync 2>/dev/null',
];

/** The pool's status line with the used-metadata count the kernel gave after SETUP (fixture 190). */
const STATUS_AFTER_SETUP = '0 131072 thin-pool 0 829/8192 2/1024 - rw no_discard_passdown queue_if_no_space - 1024 \n';

function poolWithSuspendedMetadata(): LabShell {
  const sh = new LabShell();
  for (const line of SETUP) sh.runLine(line);
  sh.runLine('dmsetup suspend meta');
  return sh;
}

const STOPPED = (command: string): string =>
  `thinlab: dmsetup ${command}: waits for the pool's metadata lock, held by a commit whose writes wait for suspended device meta; ` +
  'nothing in the lab will resume it: a real dmsetup would wait forever, thinlab stops waiting\nCommand failed.\n';

describe("a commit waiting for the suspended metadata device holds the pool's lock", () => {
  it('a noflush status, a read, table and info do not wait when no commit runs', () => {
    const sh = poolWithSuspendedMetadata();
    expect(sh.runLine('dmsetup status --noflush pool; echo rc=$?')).toBe(`${STATUS_AFTER_SETUP}rc=0\n`);
    expect(sh.runLine('dd if=/dev/mapper/thin0 bs=64k count=1 2>/dev/null | md5sum; dmsetup status thin0')).toBe(
      '314e20944390bdb0d80b57257c3f1571  -\n0 262144 thin 256 255\n',
    );
    expect(sh.runLine('dmsetup table pool; dmsetup info pool | grep State')).toBe(
      '0 131072 thin-pool 254:0 1:1 128 0 0 \nState:             ACTIVE\n',
    );
  });

  it('a flushing status waits even with nothing changed: in the foreground the lab stops it, loudly', () => {
    const sh = poolWithSuspendedMetadata();
    expect(sh.runLine('dmsetup status pool 2>&1; echo rc=$?')).toBe(`${STOPPED('status')}rc=1\n`);
    // Nothing was committed or lost: after the resume the status is the one before.
    expect(sh.runLine('dmsetup resume meta; dmsetup status pool')).toBe(STATUS_AFTER_SETUP);
  });

  it('a message runs, and its commit holds the lock until the resume; a failing message does not commit', () => {
    const sh = poolWithSuspendedMetadata();
    expect(sh.runLine('dmsetup message pool 0 "create_thin 0" 2>&1; echo rc=$?')).toBe(
      'device-mapper: message ioctl on pool  failed: File exists\nCommand failed.\nrc=1\n',
    );
    expect(
      sh.runLine('(dmsetup message pool 0 "create_thin 1"; echo "message returned rc=$?") & sleep 2; echo later'),
    ).toBe('later\n');
    // While the message's commit waits, a thin's status and a read of a mapped block wait too.
    expect(sh.runLine('dmsetup status thin0 2>&1; echo rc=$?')).toBe(`${STOPPED('status')}rc=1\n`);
    expect(sh.runLine('md5sum /dev/mapper/thin0; echo rc=$?')).toBe(
      'md5sum: /dev/mapper/thin0: thinlab: the read waits for the resume of suspended device meta, and nothing in the lab will resume it: a real read would wait forever, thinlab stops it here\nrc=1\n',
    );
    // The message's commit, 830 as in fixture 190's phase 2.
    expect(sh.runLine('dmsetup resume meta; echo resumed; wait; dmsetup status --noflush pool')).toBe(
      'message returned rc=0\nresumed\n0 131072 thin-pool 0 830/8192 2/1024 - rw no_discard_passdown queue_if_no_space - 1024 \n',
    );
  });

  it('the periodic commit takes the lock once a second has passed after a change, and a read behind it waits', () => {
    const sh = poolWithSuspendedMetadata();
    sh.runLine('dd if=/patterns/B of=/dev/mapper/thin0 bs=64k count=1 seek=4 oflag=direct 2>/dev/null');
    // Before the commit is due the read goes through at once.
    expect(sh.runLine('dd if=/dev/mapper/thin0 bs=64k count=1 skip=4 2>/dev/null | md5sum')).toMatch(
      /^[0-9a-f]{32} {2}-\n$/,
    );
    sh.runLine('sleep 2');
    expect(
      sh.runLine(
        '(dd if=/dev/mapper/thin0 bs=64k count=1 2>/dev/null | md5sum; echo read returned) & sleep 2; echo later',
      ),
    ).toBe('later\n');
    expect(sh.runLine('dmsetup resume meta; wait')).toBe('314e20944390bdb0d80b57257c3f1571  -\nread returned\n');
  });

  it("a thin's fsync waits for the commit, and a pool suspend for its own", () => {
    const sh = poolWithSuspendedMetadata();
    expect(
      sh.runLine(
        '(dd if=/patterns/D of=/dev/mapper/thin0 bs=64k count=1 seek=6 oflag=direct conv=fsync 2>/dev/null; echo "fsync rc=$?") & sleep 2; echo later',
      ),
    ).toBe('later\n');
    expect(sh.runLine('dmsetup resume meta; wait')).toBe('fsync rc=0\n');
    sh.runLine('dmsetup suspend meta');
    expect(sh.runLine('dmsetup suspend pool 2>&1; echo rc=$?')).toBe(`${STOPPED('suspend')}rc=1\n`);
    // One block more than SETUP's two: the fsync's write was not lost to the wait.
    expect(sh.runLine('dmsetup resume meta; dmsetup resume pool; dmsetup status pool')).toMatch(
      /^0 131072 thin-pool 0 [0-9]+\/8192 3\/1024 - rw no_discard_passdown queue_if_no_space - 1024 \n$/,
    );
  });
});

describe('what does not take the lock', () => {
  it('removing a pool its thin holds open fails with EBUSY at once, before any commit', () => {
    const sh = poolWithSuspendedMetadata();
    expect(sh.runLine('dmsetup remove pool 2>&1; echo rc=$?')).toBe(
      'device-mapper: remove ioctl on pool  failed: Device or resource busy\nCommand failed.\nrc=1\n',
    );
  });
});

describe('reads of a suspended device wait for its resume', () => {
  it('in the background until the resume; in the foreground the lab stops them, never with EAGAIN', () => {
    const sh = new LabShell();
    sh.runLine('dmsetup create z --table "0 1024 zero"; dmsetup mknodes; dmsetup suspend z');
    const stopped =
      'thinlab: the read waits for the resume of suspended device z, and nothing in the lab will resume it: a real read would wait forever, thinlab stops it here';
    expect(sh.runLine('md5sum /dev/mapper/z; echo rc=$?')).toBe(`md5sum: /dev/mapper/z: ${stopped}\nrc=1\n`);
    expect(sh.runLine('cat /dev/mapper/z 2>&1 | wc -c')).not.toContain('Resource temporarily unavailable');
    expect(sh.runLine('(md5sum /dev/mapper/z; echo done) & sleep 1; echo later')).toBe('later\n');
    expect(sh.runLine('dmsetup resume z; wait')).toBe('59071590099d21dd439896592338bf95  /dev/mapper/z\ndone\n');
  });

  it("md5sum's read error is busybox's `can't read` with status 1", () => {
    const sh = new LabShell();
    sh.runLine('dmsetup create e --table "0 8 error"; dmsetup mknodes');
    expect(sh.runLine('md5sum /dev/mapper/e 2>&1; echo rc=$?')).toBe(
      "md5sum: can't read '/dev/mapper/e': Input/output error\nrc=1\n",
    );
  });
});

describe('what else waits for the lock (fixtures/kernel/200-202)', () => {
  it("a failed message behind a flushing status's waiting commit waits too, then fails", () => {
    const sh = poolWithSuspendedMetadata();
    expect(sh.runLine('(dmsetup status pool >/dev/null; echo status returned) & sleep 2; echo later')).toBe('later\n');
    expect(
      sh.runLine('(dmsetup message pool 0 "create_thin 0" 2>&1; echo "message rc=$?") & sleep 2; echo later'),
    ).toBe('later\n');
    // The message, queued on the lock, runs before the status reads under it again (probe 203).
    expect(sh.runLine('dmsetup resume meta; wait')).toBe(
      'device-mapper: message ioctl on pool  failed: File exists\nCommand failed.\nmessage rc=1\nstatus returned\n',
    );
  });

  it("a thin table's load waits for the lock (thin_ctr opens the thin in the metadata); in the foreground the lab stops it", () => {
    const sh = poolWithSuspendedMetadata();
    sh.runLine('(dmsetup message pool 0 "create_thin 1"; echo "message rc=$?") & sleep 2');
    expect(
      sh.runLine(
        '(dmsetup create thin1 --table "0 262144 thin /dev/mapper/pool 1"; echo "create rc=$?") & sleep 2; echo later',
      ),
    ).toBe('later\n');
    expect(sh.runLine('dmsetup reload thin0 --table "0 262144 thin /dev/mapper/pool 0" 2>&1; echo rc=$?')).toBe(
      `${STOPPED('reload')}rc=1\n`,
    );
    expect(sh.runLine('dmsetup resume meta; wait; dmsetup mknodes; dmsetup status thin1')).toBe(
      'message rc=0\ncreate rc=0\n0 262144 thin 0 -\n',
    );
  });

  it('a discard waits behind the held commit; in the foreground the lab stops it', () => {
    const sh = poolWithSuspendedMetadata();
    sh.runLine('(dmsetup message pool 0 "create_thin 1" >/dev/null) & sleep 2');
    expect(sh.runLine('blkdiscard -o 0 -l 65536 /dev/mapper/thin0 2>&1; echo rc=$?')).toBe(
      'blkdiscard: /dev/mapper/thin0: the discard waits for a suspended device (meta); nothing in the lab will resume it: a real blkdiscard would wait forever, thinlab stops waiting\nrc=1\n',
    );
    expect(sh.runLine('(blkdiscard -o 0 -l 65536 /dev/mapper/thin0; echo "discard rc=$?") & sleep 2; echo later')).toBe(
      'later\n',
    );
    expect(sh.runLine('dmsetup resume meta; wait; dmsetup status thin0')).toBe('discard rc=0\n0 262144 thin 128 255\n');
  });
});

describe('a pool that runs out of data space while its metadata device is suspended (fixtures/kernel/201)', () => {
  const FULL = [
    'dmsetup create meta --table "0 65536 linear /dev/ram0 0"; dmsetup mknodes',
    'dmsetup create pool --table "0 512 thin-pool /dev/mapper/meta /dev/ram1 128 0 1 error_if_no_space"; dmsetup mknodes',
    'dmsetup message pool 0 "create_thin 0"',
    'dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0"; dmsetup mknodes',
    'dd if=/patterns/A of=/dev/mapper/thin0 bs=64k count=4 oflag=direct conv=fsync 2>/dev/null',
    'dmsetup suspend meta',
  ];

  it("the write waits in the worker's commit: only the low water event comes before the resume, ENOSPC after", () => {
    const sh = new LabShell();
    for (const line of FULL) sh.runLine(line);
    expect(
      sh.runLine(
        '(dd if=/patterns/B of=/dev/mapper/thin0 bs=64k count=1 seek=4 oflag=direct 2>&1; echo "write rc=$?") & sleep 4; echo later',
      ),
    ).toBe('later\n');
    // Even a noflush status would wait now: the worker's commit holds the lock.
    expect(sh.runLine('dmsetup info pool | grep Event; dmsetup table pool')).toBe(
      'Event number:      1\n0 512 thin-pool 254:0 1:1 128 0 1 error_if_no_space \n',
    );
    expect(sh.runLine('dmsetup resume meta; wait; dmsetup status pool; dmsetup info pool | grep Event')).toBe(
      "dd: error writing '/dev/mapper/thin0': No space left on device\n1+0 records in\n0+0 records out\nwrite rc=1\n" +
        '0 512 thin-pool 0 829/8192 4/4 - out_of_data_space no_discard_passdown error_if_no_space - 1024 \nEvent number:      2\n',
    );
  });

  it('in the foreground the lab stops the write, naming the suspended metadata device', () => {
    const sh = new LabShell();
    for (const line of FULL) sh.runLine(line);
    expect(sh.runLine('dd if=/patterns/B of=/dev/mapper/thin0 bs=64k count=1 seek=4 oflag=direct; echo rc=$?')).toBe(
      "dd: error writing '/dev/mapper/thin0': device meta is suspended; on a real machine the write would wait for a resume (thinlab stops it here)\n1+0 records in\n0+0 records out\nrc=1\n",
    );
  });
});

describe('thin tools 1.1.0 on a suspended live metadata device (fixtures/kernel/202)', () => {
  it('thin_check waits for the resume, then fails to open it (EBUSY); another tool is refused by name', () => {
    const sh = new LabShell({ stack: 'debian13' });
    for (const line of SETUP) sh.runLine(line);
    sh.runLine('dmsetup suspend meta');
    expect(sh.runLine('thin_check /dev/mapper/meta 2>&1; echo rc=$?')).toBe(
      'thinlab: thin_check: waits for suspended device meta to be resumed; nothing in the lab will resume it: a real thin_check would wait forever, thinlab stops waiting\nrc=1\n',
    );
    expect(sh.runLine('thin_dump /dev/mapper/meta 2>&1; echo rc=$?')).toBe(
      'thinlab: not modelled: thin_dump 1.1.0 on a live device while device meta in its stack is suspended (only thin_check was seen to wait for the resume)\nrc=1\n',
    );
    expect(sh.runLine('(thin_check /dev/mapper/meta; echo "thin_check rc=$?") & sleep 2; echo later')).toBe('later\n');
    expect(sh.runLine('dmsetup resume meta; wait')).toBe('Device or resource busy (os error 16)\nthin_check rc=64\n');
  });
});
