/**
 * The file commands a user types while rehearsing a metadata repair, through `thinlab sh` on a
 * device: a directory made, the metadata device copied into it, dumped, hashed and compared. The
 * directories mkdir makes are the lab's state, so they come back when the history is replayed and
 * when a later `thinlab sh --continue` starts from it (src/lab/fs.ts keeps them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { stateHash } from '../src/replay/lab-snapshot.js';
import { cli } from './cli-in-process.js';

const SETUP = [
  'dmsetup create meta --table "0 8192 linear /dev/ram0 0"; dmsetup mknodes',
  'dd if=/patterns/C of=/dev/mapper/meta bs=4096 count=1 2>/dev/null',
  'mkdir -p /tmp/backup/old; echo rc=$?',
  'cp /dev/mapper/meta /tmp/backup/meta.bin; echo rc=$?',
  'hexdump -C -n 32 /tmp/backup/meta.bin; xxd -l 8 -s 4092 /dev/mapper/meta',
  'sha256sum /dev/mapper/meta /tmp/backup/meta.bin | cut -c 1-16,65-',
  'mv /tmp/backup/meta.bin /tmp/backup/old/; echo rc=$?',
];

const SETUP_OUTPUT =
  'rc=0\nrc=0\n' +
  '00000000  43 43 43 43 43 43 43 43  43 43 43 43 43 43 43 43  |CCCCCCCCCCCCCCCC|\n*\n00000020\n' +
  // xxd pads a short row to its 16 columns (the host's busybox 1.35: `printf 'CCCC\0\0\0\0' | xxd -o 4092`).
  `00000ffc: 4343 4343 0000 0000${' '.repeat(22)}CCCC....\n` +
  '6a2905516c8536d8  /dev/mapper/meta\n6a2905516c8536d8  /tmp/backup/meta.bin\nrc=0\n';

const LATER = 'test -d /tmp/backup/old && echo dir; cmp /dev/mapper/meta /tmp/backup/old/meta.bin; echo rc=$?\n';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the file commands through thinlab sh, on a device', () => {
  it('copy, dump and hash the device, and the history replays and goes on with the directories', async () => {
    const db = join(dir, 'files.db');
    const script = join(dir, 'setup.sh');
    writeFileSync(script, `${SETUP.join('\n')}\n`);
    const first = await cli(['sh', script], db);
    expect(first.stdout).toBe(SETUP_OUTPUT);
    expect(first.status).toBe(0);
    expect((await cli(['replay'], db)).status).toBe(0);
    const later = join(dir, 'later.sh');
    writeFileSync(later, LATER);
    const next = await cli(['sh', '--continue', later], db);
    expect(next.stdout).toBe('dir\nrc=0\n');
  });

  it('leaves the live state as its replay has it', () => {
    const live = LabRuntime.fresh({ stack: 'debian12' });
    const events = SETUP.map((c) => live.runCommand(c));
    const replay = LabRuntime.fresh({ stack: 'debian12' });
    events.forEach((e, i) => replay.apply(e, `file-commands@${i + 1}`));
    expect(stateHash(live.lab)).toBe(stateHash(replay.lab));
    expect(replay.shell.runScript(LATER)).toBe('dir\nrc=0\n');
  });
});

describe('a redirection into a directory nobody made', () => {
  it('fails as on the VM (fixtures/kernel/211), and works once mkdir made it', () => {
    const sh = new LabShell({ ramdiskKb: 1024 });
    expect(sh.runScript('echo x > /tmp/nodir/f; echo rc=$?; test -e /tmp/nodir/f || echo none')).toMatch(
      /can't create \/tmp\/nodir\/f: nonexistent directory\nrc=1\nnone\n$/,
    );
    expect(sh.runScript('mkdir /tmp/nodir; echo x > /tmp/nodir/f; cat /tmp/nodir/f')).toBe('x\n');
  });
});
