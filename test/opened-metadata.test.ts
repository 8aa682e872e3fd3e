/**
 * A pool opened on metadata someone else wrote (here thin_repair 0.9.0, whose layout keeps bytes
 * the lab's own layout does not: a free block still holding the restorer's empty mapping root, the
 * old entries a removal leaves past a node's last one) writes nothing to it until it commits a
 * change, as the kernel's open writes nothing. So reading the device gives the tool's bytes, and a
 * read (a scenario's check, which records no event) leaves the lab's state as the replay of its
 * events has it. Session 10's 0.9.0 writer was reverted because a read laid the pool's image out
 * over those bytes: LVM scenarios' live state and their replay differed (src/scenarios/run.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { stateHash } from '../src/replay/lab-snapshot.js';

/**
 * A pool whose metadata is the first 4 MiB of /dev/ram1, with a thin and a snapshot of it,
 * repaired by 0.9.0 onto the next 4 MiB, then activated there.
 */
const COMMANDS = [
  'dmsetup create m1 --table "0 8192 linear /dev/ram1 0"; dmsetup create m2 --table "0 8192 linear /dev/ram1 8192"; dmsetup mknodes',
  'dmsetup create pool --table "0 131072 thin-pool /dev/mapper/m1 /dev/ram0 128 0" && dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
  'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=3 oflag=direct 2>/dev/null',
  'dmsetup message pool 0 "create_snap 1 0"',
  'dmsetup remove thin; dmsetup remove pool',
  'thin_repair -i /dev/mapper/m1 -o /dev/mapper/m2; echo rc=$?',
  'for b in 0 1 2 3 4 5 6 7 8 9 10 11 12; do dd if=/dev/mapper/m2 bs=4096 skip=$b count=1 2>/dev/null | md5sum; done',
  'dmsetup create pool --table "0 131072 thin-pool /dev/mapper/m2 /dev/ram0 128 0" && dmsetup mknodes',
];

const BLOCKS = COMMANDS[8]!;

describe('a pool opened on metadata thin_repair 0.9.0 wrote', () => {
  it('leaves the bytes as the tool wrote them, and a read leaves the state as the replay has it', () => {
    const live = LabRuntime.fresh({ stack: 'debian12' });
    const events = COMMANDS.map((c) => live.runCommand(c));
    const repaired = events[7]!;
    expect(repaired.type === 'ShellCommandRan' && repaired.data.output).toBe('rc=0\n');
    const written = events[8]!.type === 'ShellCommandRan' ? events[8]!.data.output : '';
    // A read the log does not record, as a scenario's check makes.
    const ram1 = live.shell.machine.resolveDevice('/dev/ram1')!;
    expect(live.shell.machine.readSectors(ram1, 8192, 8).ok).toBe(true);
    const replay = LabRuntime.fresh({ stack: 'debian12' });
    events.forEach((e, i) => replay.apply(e, `opened-metadata@${i + 1}`));
    expect(stateHash(live.lab)).toBe(stateHash(replay.lab));
    // The open wrote nothing: every block reads as thin_repair left it.
    expect(live.shell.runScript(BLOCKS)).toBe(written);
  });
});
