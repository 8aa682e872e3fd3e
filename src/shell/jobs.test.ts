/**
 * Background jobs as coroutines on the simulated clock: a job parks where its dd would block and
 * resumes when the pool completes the bio (after a grow, a timeout), or when its own sleep ends;
 * `wait` runs the clock until jobs finish, and says so when they never can.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';

/** A 2-block pool, full, with no_space_timeout as given. */
const FULL_POOL = (timeout: number): string =>
  [
    `echo ${timeout} > /sys/module/dm_thin_pool/parameters/no_space_timeout`,
    'dmsetup create pool --table "0 256 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
    'dmsetup message pool 0 "create_thin 0"',
    'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
    'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=2 oflag=direct 2>/dev/null',
    'st() { dmsetup status pool | cut -d" " -f6,8; }',
  ].join('\n');

const QUEUED_JOB =
  '( dd if=/patterns/B of=/dev/mapper/thin bs=64k count=1 seek=5 oflag=direct 2>/run/q; echo "rc=$?" >> /run/q ) &';

describe('background jobs', () => {
  it('park on a queued write and finish once the pool has grown', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    const out = shell.runScript(
      [
        FULL_POOL(0),
        QUEUED_JOB,
        'echo "job started: $(st)"; cat /run/q',
        'dmsetup reload pool --table "0 512 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup suspend pool; dmsetup resume pool',
        'echo "grown: $(st)"; cat /run/q',
      ].join('\n'),
    );
    expect(out).toBe('job started: 2/2 out_of_data_space\ngrown: 3/4 rw\n1+0 records in\n1+0 records out\nrc=0\n');
    expect(shell.quiescent).toBe(true);
  });

  it('finish with ENOSPC when no_space_timeout expires during a sleep of the script', () => {
    const out = new LabShell({ ramdiskKb: 4096 }).runScript(
      [FULL_POOL(2), QUEUED_JOB, 'sleep 1; echo "t=1:"; cat /run/q', 'sleep 2; echo "t=3:"; cat /run/q'].join('\n'),
    );
    expect(out).toBe(
      "t=1:\nt=3:\ndd: error writing '/dev/mapper/thin': No space left on device\n1+0 records in\n0+0 records out\nrc=1\n",
    );
  });

  it('run their own sleeps on time while the script sleeps', () => {
    const out = new LabShell({ ramdiskKb: 4096 }).runScript(
      [
        '( sleep 2; echo "two at $(cut -d" " -f1 /proc/uptime)" ) &',
        '( sleep 1; echo "one at $(cut -d" " -f1 /proc/uptime)" ) &',
        'sleep 3; echo three',
      ].join('\n'),
    );
    expect(out).toBe('one at 6.00\ntwo at 7.00\nthree\n');
  });

  it('run until they block as soon as they start, with /dev/null as their input', () => {
    const out = new LabShell({ ramdiskKb: 4096 }).runScript('echo bg & echo fg\n( read x; echo "read rc=$?" ) & wait');
    expect(out).toBe('bg\nfg\nread rc=1\n');
  });

  it('are waited for by wait, which runs the clock, and wait PID gives the status', () => {
    const out = new LabShell({ ramdiskKb: 4096 }).runScript(
      [
        '( sleep 5; echo done ) &',
        'wait; echo "wait rc=$? at $(cut -d" " -f1 /proc/uptime)"',
        '( exit 5 ) &',
        'wait $!; echo "wait pid rc=$?"',
        'wait 12345; echo "unknown rc=$?"',
      ].join('\n'),
    );
    expect(out).toBe('done\nwait rc=0 at 10.00\nwait pid rc=5\nunknown rc=127\n');
  });

  it('make wait say so when they can never finish, and the script goes on', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    const out = shell.runScript([FULL_POOL(0), QUEUED_JOB, 'wait; echo "wait rc=$?"', 'echo after'].join('\n'));
    expect(out).toMatch(
      /^thinlab: wait: background job \[1\] \(pid 101\) can never finish: .*thinlab stops waiting\nwait rc=127\nafter\n$/,
    );
    expect(shell.quiescent).toBe(false);
  });

  it('are dropped silently when the script ends without waiting for them', () => {
    expect(new LabShell({ ramdiskKb: 4096 }).runScript([FULL_POOL(0), QUEUED_JOB, 'echo end'].join('\n'))).toBe(
      'end\n',
    );
  });

  it('wait for the resume of a suspended thin, where the script in the foreground is told it would hang', () => {
    const out = new LabShell({ ramdiskKb: 4096 }).runScript(
      [
        'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
        'dmsetup message pool 0 "create_thin 0"',
        'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
        'dmsetup suspend thin',
        '( dd if=/patterns/C of=/dev/mapper/thin bs=64k count=1 oflag=direct 2>/dev/null; echo "bg rc=$?" ) &',
        'dd if=/patterns/C of=/dev/mapper/thin bs=64k count=1 seek=1 oflag=direct 2>/dev/null; echo "fg rc=$?"',
        'echo resuming; dmsetup resume thin',
      ].join('\n'),
    );
    expect(out).toBe('fg rc=1\nresuming\nbg rc=0\n');
  });

  it('leave the foreground hang of a queued write as before', () => {
    const out = new LabShell({ ramdiskKb: 4096 }).runScript(
      [FULL_POOL(0), 'dd if=/patterns/B of=/dev/mapper/thin bs=64k count=1 seek=5 oflag=direct; echo "rc=$?"'].join(
        '\n',
      ),
    );
    expect(out).toBe(
      "dd: error writing '/dev/mapper/thin': the pool queued this write and nothing will release it (no_space_timeout is 0); a real dd would hang here, thinlab stops waiting\n1+0 records in\n0+0 records out\nrc=1\n",
    );
  });
});
