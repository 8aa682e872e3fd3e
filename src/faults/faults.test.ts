/**
 * The `fault` lab directive and the flakey and delay targets under it. What a pool does when its
 * data or metadata device fails was measured on the real kernel (fixtures/kernel/60 and 61, run by
 * test/transcripts.test.ts); these tests pin the lab-only directives to the same behaviour.
 */
import { describe, expect, it } from 'vitest';
import { checkPoolInvariants } from '../model/invariants.js';
import { LabShell } from '../lab/lab-shell.js';
import { checkFaultArgs } from './fault-command.js';

const POOL = [
  'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
].join('\n');

const statusOf = (shell: LabShell): string => shell.runLine('dmsetup status --noflush pool');
const invariantProblems = (shell: LabShell): string[] =>
  shell.machine.livePools().flatMap((p) => checkPoolInvariants(p.md));

describe('fault --help and bad input', () => {
  it('lists every kind with its arguments', () => {
    const out = new LabShell({ ramdiskKb: 4096 }).runScript('fault --help');
    for (const kind of ['fault io DEV START+LEN', 'fault slow-commit POOL MS', 'fault fill POOL BLOCKS|all'])
      expect(out).toContain(kind);
  });

  it('refuses an unknown kind and bad arguments with exit status 2, changing nothing', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(POOL);
    expect(shell.runScript('fault bogus; echo rc=$?')).toBe(
      "fault: unknown fault kind 'bogus' (known: io, slow-commit, fill, metadata)\nrc=2\n",
    );
    expect(shell.runScript('fault io /dev/ram1 12 write; echo rc=$?')).toBe(
      "fault io: '12' is not a sector range START+LEN (e.g. 2048+128)\nrc=2\n",
    );
    expect(shell.runScript('fault io /dev/ram1 0+8 sideways; echo rc=$?')).toBe(
      "fault io: 'sideways' is not read, write or rw\nrc=2\n",
    );
    expect(shell.runScript('fault io /dev/nosuch 0+8 rw; echo rc=$?')).toBe(
      'fault io: /dev/nosuch: No such device\nrc=1\n',
    );
    expect(shell.runScript('fault io /dev/ram1 8190+8 rw; echo rc=$?')).toContain('end past the device');
    expect(shell.runScript('fault slow-commit thin 100; echo rc=$?')).toBe(
      'fault slow-commit: thin: not a thin-pool device\nrc=1\n',
    );
    expect(shell.runScript('fault io list')).toBe('');
  });

  it('checks arguments without a machine, for scenario files', () => {
    expect(checkFaultArgs(['io', '/dev/ram1', '0+8', 'rw'])).toBeNull();
    expect(checkFaultArgs(['fill', 'pool', 'lots'])).toBe("'lots' is not a number of blocks or 'all'");
    expect(checkFaultArgs(['smash'])).toContain("unknown fault kind 'smash'");
    expect(checkFaultArgs([])).toContain('a fault kind is needed');
  });
});

describe('fault io', () => {
  it('fails writes to a failing range of the data device: EIO to the writer, the pool stays rw, the new block leaks', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(POOL);
    shell.runScript('dd if=/patterns/A of=/dev/mapper/thin bs=64k count=1 oflag=direct 2>/dev/null');
    // The next allocation is data block 1: sectors 128..255 of /dev/ram1.
    shell.runScript('fault io /dev/ram1 128+128 write');
    const out = shell.runScript('dd if=/patterns/B of=/dev/mapper/thin bs=64k count=1 seek=1 oflag=direct; echo rc=$?');
    expect(out).toBe(
      "dd: error writing '/dev/mapper/thin': Input/output error\n1+0 records in\n0+0 records out\nrc=1\n",
    );
    expect(statusOf(shell)).toMatch(/ 2\/8 - rw /);
    expect(shell.runLine('dmsetup status thin')).toBe('0 262144 thin 128 127\n');
    expect(invariantProblems(shell)).toEqual([]);
    // Reads of the failing range still work: it fails writes only.
    expect(shell.runScript('dd if=/dev/ram1 bs=512 count=1 skip=128 2>/dev/null | wc -c')).toBe('512\n');
    expect(shell.runScript('fault io list')).toBe('/dev/ram1 128+128 write\n');
    shell.runScript('fault io clear /dev/ram1');
    expect(
      shell.runScript(
        'dd if=/patterns/B of=/dev/mapper/thin bs=64k count=1 seek=1 oflag=direct 2>/dev/null; echo rc=$?',
      ),
    ).toBe('rc=0\n');
    expect(statusOf(shell)).toMatch(/ 3\/8 - rw /);
  });

  it('fails reads of a provisioned block on a read range; an unprovisioned block reads zeros without touching the device', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(POOL);
    shell.runScript('dd if=/patterns/A of=/dev/mapper/thin bs=64k count=1 oflag=direct 2>/dev/null');
    shell.runScript('fault io /dev/ram1 0+1024 read');
    expect(shell.runScript('dd if=/dev/mapper/thin bs=64k count=1 iflag=direct 2>&1 | head -1')).toBe(
      'dd: /dev/mapper/thin: Input/output error\n',
    );
    expect(shell.runScript('dd if=/dev/mapper/thin bs=64k count=1 skip=5 iflag=direct 2>/dev/null | md5sum')).toBe(
      'fcd6bcb56c1689fcef28b57c22475bad  -\n',
    );
  });

  it('fails a commit when the metadata device fails writes: read-only and needs_check, as with an error table', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(POOL);
    shell.runScript('fault io /dev/ram0 0+8192 write');
    const out = shell.runScript(
      'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=1 oflag=direct conv=fsync; echo rc=$?',
    );
    expect(out).toBe('dd: /dev/mapper/thin: Input/output error\nrc=1\n');
    expect(statusOf(shell)).toMatch(/ ro .* needs_check /);
    expect(shell.runScript('dmesg | grep -c aborting')).toBe('1\n');
  });

  it('is a command like any other: a replay of the same lines gives the same state', () => {
    const script = `${POOL}\nfault io /dev/ram1 0+64 rw\ndd if=/patterns/A of=/dev/mapper/thin bs=64k count=2 oflag=direct 2>&1\ndmsetup status pool`;
    expect(new LabShell({ ramdiskKb: 4096 }).runScript(script)).toBe(
      new LabShell({ ramdiskKb: 4096 }).runScript(script),
    );
  });
});

describe('fault fill', () => {
  it('lets another thin take free blocks; deleting it brings them back at the commit', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(POOL);
    shell.runScript('fault fill pool 6');
    expect(statusOf(shell)).toMatch(/ 6\/8 - rw /);
    shell.runScript('fault fill pool all');
    expect(statusOf(shell)).toMatch(/ 8\/8 - rw /);
    expect(shell.machine.livePools()[0]!.md.device(1001)).toBeDefined();
    shell.runScript('dmsetup message pool 0 "delete 1001"');
    expect(statusOf(shell)).toMatch(/ 6\/8 - rw /);
    expect(invariantProblems(shell)).toEqual([]);
  });

  it('says so when the pool had fewer free blocks than asked', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(POOL);
    expect(shell.runScript('fault fill pool 20 7; echo rc=$?')).toBe(
      'fault fill: pool had 8 free blocks: thin 7 took them all\nrc=0\n',
    );
  });
});

describe('fault slow-commit', () => {
  it('makes the command that commits wait two metadata writes on the simulated clock', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(POOL);
    const before = shell.runScript('cat /proc/uptime');
    shell.runScript('fault slow-commit pool 250');
    shell.runScript('dmsetup message pool 0 "create_thin 1"');
    const after = shell.runScript('cat /proc/uptime');
    expect(Number(after.split(' ')[0]) - Number(before.split(' ')[0])).toBeCloseTo(0.5, 5);
    // A command that commits nothing takes no time.
    shell.runScript('dmsetup status --noflush pool');
    expect(shell.runScript('cat /proc/uptime')).toBe(after);
  });
});

describe('flakey and delay targets', () => {
  it('switch between up and down on the simulated clock', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript('dmsetup create f --table "0 1000 flakey /dev/ram1 0 2 3" && dmsetup mknodes');
    const read = 'dd if=/dev/mapper/f bs=512 count=1 iflag=direct 2>/dev/null | wc -c';
    expect(shell.runScript(read)).toBe('512\n');
    shell.runScript('sleep 2');
    expect(shell.runScript(read)).toBe('0\n');
    shell.runScript('sleep 3');
    expect(shell.runScript(read)).toBe('512\n');
  });

  it('corrupt the Nth byte of writes while down (corrupt_bio_byte)', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(
      'dmsetup create f --table "0 1000 flakey /dev/ram1 0 0 1 5 corrupt_bio_byte 3 w 66 0" && dmsetup mknodes',
    );
    shell.runScript('dd if=/patterns/A of=/dev/mapper/f bs=4k count=1 oflag=direct 2>/dev/null');
    expect(shell.runScript('dd if=/dev/ram1 bs=1 count=4 2>/dev/null; echo')).toBe('AABA\n');
  });

  it('delay holds a read for its milliseconds on the simulated clock and passes the data', () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript('dd if=/patterns/C of=/dev/ram1 bs=512 count=1 2>/dev/null');
    shell.runScript('dmsetup create d --table "0 1000 delay /dev/ram1 0 700" && dmsetup mknodes');
    const before = Number(shell.runScript('cat /proc/uptime').split(' ')[0]);
    expect(shell.runScript('dd if=/dev/mapper/d bs=512 count=1 iflag=direct 2>/dev/null | od -c | head -1')).toMatch(
      /^0000000 +C +C/,
    );
    expect(Number(shell.runScript('cat /proc/uptime').split(' ')[0]) - before).toBeGreaterThanOrEqual(0.7);
    expect(shell.runLine('dmsetup status d')).toBe('0 1000 delay 0 0 0\n');
  });
});
