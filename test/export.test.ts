/**
 * `thinlab export`: a lab device at a history position, out to a host file byte for byte. The
 * real thin-provisioning-tools (Debian's 0.9.0, installed by .ci/run) read an exported metadata
 * device: thin_check exits 0 and thin_dump finds the devices and mappings the lab's pool held.
 * A thin device exported reads back with the md5 the lab printed for it. Bad input is refused by
 * name and writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportCommand } from '../src/cli/commands/export.js';
import { recordScript } from '../src/cli/history-commands.js';
import { ExportError } from '../src/lab/device-export.js';
import { History } from '../src/replay/history.js';
import { captureOutput, useTempStore } from './temp-store.js';

const SCRIPT = [
  'dmsetup create pool --table "0 131072 thin-pool /dev/ram1 /dev/ram0 128 0" && dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin --table "0 65536 thin /dev/mapper/pool 0" && dmsetup mknodes',
  'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=10 oflag=direct 2>/dev/null',
  'dmsetup message pool 0 "create_snap 1 0"',
  'dd if=/patterns/B of=/dev/mapper/thin bs=64k count=3 seek=20 oflag=direct 2>/dev/null',
  'dd if=/dev/mapper/thin bs=1M 2>/dev/null | md5sum',
  'dmsetup remove thin',
  'dmsetup remove pool',
].join('\n');

const haveTools = ['thin_check', 'thin_dump'].every(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0,
);

const temp = useTempStore('export', 'all');
const out = captureOutput();
let h: History;

beforeAll(async () => {
  h = new History(temp.store);
  await recordScript(h, SCRIPT, { continueBranch: false, ramdiskKb: 65536, trace: false }, out.io);
});

describe('thinlab export', () => {
  it('writes a thin device at a position byte for byte: its md5 is what the lab printed', async () => {
    const file = join(temp.dir, 'thin.img');
    const written = await exportCommand(h, { positional: ['7', '/dev/mapper/thin', file] }, out.io);
    expect(written).toBe(65536 * 512);
    const sum = createHash('md5').update(readFileSync(file)).digest('hex');
    expect(out.text()).toContain(`${sum}  -\n`);
    expect(out.text()).toContain(`exported block device /dev/mapper/thin at main@7: ${written} bytes to ${file}\n`);
  });

  it.skipIf(!haveTools)(
    'writes a metadata device the real thin_check passes and thin_dump reads as the lab holds it',
    async () => {
      const file = join(temp.dir, 'meta.img');
      await exportCommand(h, { positional: ['/dev/ram1', file] }, out.io);
      const check = spawnSync('thin_check', [file], { encoding: 'utf8' });
      expect(check.stderr).not.toMatch(/error|bad/i);
      expect(check.status).toBe(0);
      const dump = spawnSync('thin_dump', [file], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(dump.status).toBe(0);
      // The lab's pool just before it was taken down (the metadata is the same once removed).
      const lab = await h.stateAt('main', 7);
      const pool = lab.shell.machine.livePools()[0]!;
      const devices = [...pool.md.devices].map(([id, d]) => [id, d.details.mappedBlocks]);
      const dumped = [...dump.stdout.matchAll(/<device dev_id="(\d+)" mapped_blocks="(\d+)"/g)].map((m) => [
        Number(m[1]),
        Number(m[2]),
      ]);
      expect(dumped).toEqual(devices);
      // Mapped blocks as thin_dump lists them: a range_mapping of `length` blocks, a single_mapping of one.
      const mappings = dump.stdout
        .split('\n')
        .map((l) =>
          /<range_mapping /.test(l) ? Number(/length="(\d+)"/.exec(l)![1]) : /<single_mapping /.test(l) ? 1 : 0,
        )
        .reduce((a, b) => a + b, 0);
      expect(mappings).toBe(devices.reduce((a, [, n]) => a + n!, 0));
    },
  );

  it('refuses a device the lab does not have at that position, naming what it has, and writes nothing', async () => {
    const file = join(temp.dir, 'kept.img');
    writeFileSync(file, 'keep me');
    await expect(exportCommand(h, { positional: ['2', '/dev/mapper/thin', file] }, out.io)).rejects.toThrow(
      new ExportError(
        "no block device or file '/dev/mapper/thin' in the lab at this position (block devices: /dev/ram0, /dev/ram1, /dev/loop0, /dev/loop1, /dev/loop2, /dev/loop3, /dev/loop4, /dev/loop5, /dev/loop6, /dev/loop7, /dev/mapper/pool)",
      ),
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(existsSync(`${file}.thinlab-partial`)).toBe(false);
    await expect(exportCommand(h, { positional: ['x', '/dev/ram1', file] }, out.io)).rejects.toThrow(
      "POS must be a position (0, 1, 2, ...), got 'x'",
    );
    await expect(exportCommand(h, { positional: ['/dev/ram1'] }, out.io)).rejects.toThrow(
      /export needs DEVICE and FILE/,
    );
    await expect(exportCommand(h, { positional: ['99', '/dev/ram1', file] }, out.io)).rejects.toThrow(
      "position 99 is outside branch 'main' (0..9)",
    );
  });

  it('runs from the command line: exit 1 with the reason for a missing device, 0 and the file otherwise', () => {
    const bin = join(import.meta.dirname, '..', 'bin', 'thinlab.js');
    const db = join(temp.dir, 'lab.db');
    const bad = spawnSync(process.execPath, [bin, 'export', '/dev/mapper/nope', join(temp.dir, 'x.img'), '--db', db], {
      encoding: 'utf8',
      env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1' },
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^thinlab: no block device or file '\/dev\/mapper\/nope' in the lab/);
    expect(existsSync(join(temp.dir, 'x.img'))).toBe(false);
    const good = spawnSync(
      process.execPath,
      [bin, 'export', '3', '/dev/ram0', join(temp.dir, 'data.img'), '--db', db],
      {
        encoding: 'utf8',
        env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1' },
      },
    );
    expect(good.status).toBe(0);
    expect(readFileSync(join(temp.dir, 'data.img')).length).toBe(65536 * 1024);
  });
});
