/**
 * Every `fault metadata` kind against the real thin-provisioning-tools 0.9.0: the lab damages a
 * lab pool's metadata (test/damage-images.ts), then thin_check, thin_dump, thin_dump --repair and
 * thin_repair run on the same bytes in the lab and with the real binaries, and must print the same
 * words with the same exit status; a repaired image must dump (with the real thin_dump) to the same
 * XML as the real thin_repair's. And the directive itself: what it changes, and bad input refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dmChecksum } from '../src/format/crc32c.js';
import { BLOCK_SIZE, BTREE_CSUM_XOR } from '../src/format/layout.js';
import { readMetadataImage } from '../src/format/metadata-reader.js';
import { DAMAGE_KINDS, damageMetadata } from '../src/format/metadata-damage.js';
import { recordScript, type Output } from '../src/cli/history-commands.js';
import { topLevelCommands } from '../src/lab/script-pieces.js';
import { History } from '../src/replay/history.js';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { stateHash } from '../src/replay/lab-snapshot.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { hasRealTools, ToolBench } from '../src/tools/tool-test-support.js';
import { DAMAGE_CASES, damagedImages } from './damage-images.js';

const images = damagedImages();
const bench = new ToolBench();
afterAll(() => bench.dispose());

const files = (name: string, extra: Record<string, Uint8Array> = {}): Record<string, Uint8Array> => ({
  [name]: images.get(name)!,
  ...extra,
});

function expectSame(name: string, line: string, extra: Record<string, Uint8Array> = {}): ReturnType<ToolBench['lab']> {
  const lab = bench.lab(files(name, extra), line);
  const real = bench.real(files(name, extra), line);
  expect({ stdout: lab.stdout, stderr: lab.stderr, status: lab.status }).toEqual({
    stdout: real.stdout,
    stderr: real.stderr,
    status: real.status,
  });
  return lab;
}

function realDump(bytes: Uint8Array, name: string): { status: number | null; stdout: string; stderr: string } {
  const path = join(bench.dir, name);
  writeFileSync(path, bytes);
  const r = spawnSync('thin_dump', [path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.split(bench.dir).join('/run') };
}

const names = ['meta.img', 'held.img', ...DAMAGE_CASES.map((c) => `${c.name}.img`)];

describe('every damage kind has a case', () => {
  it('covers each kind of fault metadata at least once', () => {
    const used = new Set(DAMAGE_CASES.map((c) => c.args.split(' ')[0]));
    expect(DAMAGE_KINDS.map((k) => k.name).filter((k) => !used.has(k))).toEqual([]);
  });

  it('changes the image for every case, and only blocks in use', () => {
    for (const c of DAMAGE_CASES) {
      const base = images.get(`${c.base}.img`)!;
      const damaged = images.get(`${c.name}.img`)!;
      expect(damaged.length, c.name).toBe(base.length);
      const changed: number[] = [];
      for (let b = 0; b < base.length / BLOCK_SIZE; b++) {
        if (
          !Buffer.from(base.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE)).equals(
            Buffer.from(damaged.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE)),
          )
        )
          changed.push(b);
      }
      expect(changed.length, c.name).toBeGreaterThan(0);
      expect(Math.max(...changed), c.name).toBeLessThan(64);
    }
  });
});

describe.skipIf(!hasRealTools)('thin_check on damaged metadata matches 0.9.0', () => {
  it.each(names)('thin_check %s', (name) => {
    expectSame(name, `thin_check @${name}`);
  });
  it.each(names)('thin_check --skip-mappings %s', (name) => {
    expectSame(name, `thin_check --skip-mappings @${name}`);
  });
  // -q silences the checker's output but not what stops 0.9.0 counting the space maps' blocks.
  it.each(names)('thin_check -q %s', (name) => {
    expectSame(name, `thin_check -q @${name}`);
  });
  it.each(['metadata-index-zeroed.img', 'data-bitmap-garbage.img'])(
    'thin_check -q --clear-needs-check-flag %s',
    (name) => {
      expectSame(name, `thin_check -q --clear-needs-check-flag @${name}`);
    },
  );
  it.each(['refcount-high-metadata.img', 'refcount-low-metadata.img', 'metadata-bitmap-zeroed.img'])(
    'thin_check --ignore-non-fatal-errors %s',
    (name) => {
      expectSame(name, `thin_check --ignore-non-fatal-errors @${name}`);
    },
  );
  it.each(['held.img', 'metadata-snapshot.img'])('thin_check -m %s', (name) => {
    expectSame(name, `thin_check -m @${name}`);
  });
});

describe.skipIf(!hasRealTools)('thin_dump and thin_dump --repair on damaged metadata match 0.9.0', () => {
  it.each(names)('thin_dump %s', (name) => {
    expectSame(name, `thin_dump @${name}`);
  });
  it.each(names)('thin_dump --repair %s', (name) => {
    expectSame(name, `thin_dump --repair @${name}`);
  });
  it.each(['held.img', 'metadata-snapshot.img'])('thin_dump -m %s', (name) => {
    expectSame(name, `thin_dump -m @${name}`);
  });
});

describe.skipIf(!hasRealTools)('thin_repair on damaged metadata matches 0.9.0', () => {
  it.each(names)('thin_repair %s, and the real thin_dump of what it wrote', (name) => {
    const out = { 'out.bin': new Uint8Array(4 << 20) };
    const line = `thin_repair -i @${name} -o @out.bin`;
    const lab = bench.lab(files(name, out), line);
    const real = bench.real(files(name, out), line);
    expect([lab.stdout, lab.stderr, lab.status]).toEqual([real.stdout, real.stderr, real.status]);
    expect(realDump(lab.files['out.bin']!, 'lab-out.bin')).toEqual(realDump(real.files['out.bin']!, 'real-out.bin'));
  });
});

describe('fault metadata in the lab shell', () => {
  it('damages the same bytes as the pure function, and says what it did', () => {
    const shell = new LabShell({ files: new Map([['meta.img', images.get('meta.img')!]]) });
    const out = shell.runScript(
      'dd if=/files/meta.img of=/dev/ram0 bs=4096 2>/dev/null\nfault metadata details-zeroed /dev/ram0; echo rc=$?\n',
    );
    expect(out).toBe(
      'fault metadata details-zeroed: metadata block 7 (device-details tree node 0 (root, leaf)): zeroed\nrc=0\n',
    );
    const expected = damageMetadata(images.get('meta.img')!, 'details-zeroed');
    expect(expected.ok && expected.writes.map((w) => w.block)).toEqual([7]);
    const check = shell.runScript("thin_check /dev/ram0 2>&1 | grep -e missing -e 'bad checksum'");
    expect(check).toBe('  missing devices: [0, -]\n    bad checksum in btree node (block 7)\n');
  });

  it.each([
    ['fault metadata no-such-kind /dev/ram0', "fault metadata: unknown damage kind 'no-such-kind'"],
    ['fault metadata details-zeroed /dev/ram1', 'fault metadata: /dev/ram1: no dm-thin metadata here'],
    ['fault metadata details-zeroed', 'fault metadata: missing device'],
    ['fault metadata details-zeroed /dev/nothing', 'fault metadata: /dev/nothing: No such file or device'],
    [
      'fault metadata details-zeroed --node 5 /dev/ram0',
      'fault metadata: /dev/ram0: the device-details tree has 1 node; --node 5 does not exist',
    ],
    [
      'fault metadata mapping-bottom-zeroed --dev 9 /dev/ram0',
      'fault metadata: /dev/ram0: no thin device 9 in the mapping tree (devices: 0 1 2)',
    ],
    [
      'fault metadata refcount-low --block 5000 /dev/ram0',
      'fault metadata: /dev/ram0: block 5000 is beyond the data space map (1024 blocks)',
    ],
    [
      'fault metadata refcount-high --space-map nope /dev/ram0',
      "fault metadata: --space-map takes data or metadata, not 'nope'",
    ],
    [
      'fault metadata metadata-snapshot /dev/ram0',
      'fault metadata: /dev/ram0: no metadata snapshot is held (reserve_metadata_snap first)',
    ],
    [
      'fault metadata mapping-to-free-block --block 3 /dev/ram0',
      'fault metadata: /dev/ram0: data block 3 is not free (its count is 1)',
    ],
    ['fault metadata details-zeroed --bogus 1 /dev/ram0', 'fault metadata: unknown option --bogus'],
  ])('%s: exit 2, a clear error, nothing changed', (line, message) => {
    const shell = new LabShell({ files: new Map([['meta.img', images.get('meta.img')!]]) });
    shell.runScript('dd if=/files/meta.img of=/dev/ram0 bs=4096 2>/dev/null\n');
    const before = shell.runScript(
      'dd if=/dev/ram0 bs=4096 count=64 2>/dev/null | md5sum; dd if=/dev/ram1 bs=4096 count=64 2>/dev/null | md5sum',
    );
    const out = shell.runScript(`${line} 2>&1; echo rc=$?`);
    expect(out.startsWith(message), out).toBe(true);
    expect(out.endsWith('rc=2\n')).toBe(true);
    expect(
      shell.runScript(
        'dd if=/dev/ram0 bs=4096 count=64 2>/dev/null | md5sum; dd if=/dev/ram1 bs=4096 count=64 2>/dev/null | md5sum',
      ),
    ).toBe(before);
  });

  it('fault --help lists every kind', () => {
    const out = new LabShell().runScript('fault --help');
    for (const k of DAMAGE_KINDS) expect(out).toContain(`      ${k.name} `);
  });

  it('the same garbage for the same seed, and other garbage for another', () => {
    const a = damageMetadata(images.get('meta.img')!, 'details-garbage', { seed: 3 });
    const b = damageMetadata(images.get('meta.img')!, 'details-garbage', { seed: 3 });
    const c = damageMetadata(images.get('meta.img')!, 'details-garbage', { seed: 4 });
    if (!a.ok || !b.ok || !c.ok) throw new Error('damage failed');
    expect(Buffer.from(a.writes[0]!.bytes).equals(Buffer.from(b.writes[0]!.bytes))).toBe(true);
    expect(Buffer.from(a.writes[0]!.bytes).equals(Buffer.from(c.writes[0]!.bytes))).toBe(false);
  });
});

describe.skipIf(!hasRealTools)('the shared btree node validator words problems as 0.9.0', () => {
  /** meta.img with one node of device 0's bottom tree edited and re-sealed (block 8 is its first leaf, 11 its root). */
  const edited = (block: number, edit: (dv: DataView, keys: number) => void): Uint8Array => {
    const bytes = Uint8Array.from(images.get('meta.img')!);
    const dv = new DataView(bytes.buffer);
    edit(dv, block * BLOCK_SIZE + 32);
    dv.setUint32(
      block * BLOCK_SIZE,
      dmChecksum(bytes, block * BLOCK_SIZE + 4, (block + 1) * BLOCK_SIZE, BTREE_CSUM_XOR),
      true,
    );
    return bytes;
  };
  const swap = (dv: DataView, at: number): void => {
    const a = dv.getBigUint64(at, true);
    dv.setBigUint64(at, dv.getBigUint64(at + 8, true), true);
    dv.setBigUint64(at + 8, a, true);
  };
  const cases: Record<string, Uint8Array> = {
    'leaf-keys-swapped.img': edited(8, (dv, keys) => swap(dv, keys + 3 * 8)),
    'internal-keys-swapped.img': edited(11, (dv, keys) => swap(dv, keys)),
    'leaf-underfull.img': edited(8, (dv) => dv.setUint32(8 * BLOCK_SIZE + 16, 1, true)),
  };
  it.each(Object.keys(cases))('thin_check %s', (name) => {
    const lab = bench.lab({ [name]: cases[name]! }, `thin_check @${name}`);
    const real = bench.real({ [name]: cases[name]! }, `thin_check @${name}`);
    expect(real.stderr).toMatch(/keys are out of order|too few entries/);
    expect([lab.stdout, lab.stderr, lab.status]).toEqual([real.stdout, real.stderr, real.status]);
  });
  it.each(Object.keys(cases))('the strict reader refuses %s too', (name) => {
    const read = readMetadataImage(cases[name]!);
    expect(read.ok).toBe(false);
  });
});

describe('fault metadata on a live pool behaves as dd on a real machine', () => {
  const SCRIPT = [
    'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup mknodes',
    'dmsetup message pool 0 "create_thin 0"',
    'dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0"; dmsetup mknodes',
    'dd if=/patterns/A of=/dev/mapper/thin0 bs=64k count=4 oflag=direct 2>/dev/null',
    'dmsetup message pool 0 "create_thin 1"',
    'fault metadata mapping-bottom-zeroed /dev/ram0',
  ].join('\n');

  it('the pool does not see it, readers of the device do, and the next activation meets it', () => {
    const shell = new LabShell();
    // The leaf's block is where the metadata layout (src/model/metadata-allocator.ts) put it; every
    // reader below must then name that same block.
    const faulted =
      /^fault metadata mapping-bottom-zeroed: metadata block (\d+) \(mapping tree of device 0 node 0 \(root, leaf\)\): zeroed\n$/.exec(
        shell.runScript(SCRIPT),
      );
    expect(faulted).not.toBeNull();
    const block = Number(faulted![1]);
    expect(shell.runScript('dd if=/dev/mapper/thin0 of=/dev/null bs=64k count=1 2>&1; echo rc=$?')).toMatch(/rc=0\n$/);
    expect(shell.runScript(`dd if=/dev/ram0 bs=4096 skip=${block} count=1 2>/dev/null | md5sum`)).toBe(
      '620f0b67a91f7f74151bc5be745b7110  -\n',
    );
    const after = shell.runScript(
      [
        'dmsetup remove thin0; dmsetup remove pool',
        'thin_check /dev/ram0 2>&1 | grep -e missing -e "bad checksum"',
        'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"; dmsetup mknodes',
        'dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0"; dmsetup mknodes',
        'dd if=/dev/mapper/thin0 of=/dev/null bs=64k count=1; echo rc=$?',
        'dmesg | grep -e node_check -e process_cell | sed "s/^\\[[^]]*\\] //"',
      ].join('\n'),
    );
    expect(after).toBe(
      [
        '  thin device 0 is missing mappings [0, -]',
        `    bad checksum in btree node (block ${block})`,
        'dd: /dev/mapper/thin0: Input/output error',
        'rc=1',
        `device-mapper: btree spine: node_check failed: blocknr 0 != wanted ${block}`,
        'device-mapper: thin: process_cell: dm_thin_find_block() failed: error = -15',
        '',
      ].join('\n'),
    );
  });

  it('a commit that writes metadata lays the pool image out again (the lab does not track which blocks the kernel rewrites)', () => {
    const shell = new LabShell();
    shell.runScript(SCRIPT);
    shell.runScript(
      'dd if=/patterns/B of=/dev/mapper/thin0 bs=64k count=1 seek=9 oflag=direct 2>/dev/null; dmsetup message pool 0 "create_thin 2"',
    );
    expect(shell.runScript('thin_check -q /dev/ram0 2>&1; echo rc=$?')).toBe(
      "syscall 'open' failed: Device or resource busy\nNote: you cannot run this tool with these options on live metadata.\nrc=1\n",
    );
    shell.runScript('dmsetup remove thin0; dmsetup remove pool');
    expect(shell.runScript('thin_check -q /dev/ram0; echo rc=$?')).toBe('rc=0\n');
  });

  it('replays: the same history gives the same state and the same damage', () => {
    const run = (): { out: string; hash: string } => {
      const shell = new LabShell();
      const out = shell.runScript(
        `${SCRIPT}\ndmsetup remove thin0; dmsetup remove pool\nfault metadata details-garbage --seed 9 /dev/ram0\ndd if=/dev/ram0 bs=4096 count=32 2>/dev/null | md5sum`,
      );
      return { out, hash: stateHash(shell.lab) };
    };
    const a = run();
    const b = run();
    expect(a).toEqual(b);
    expect(a.out).toContain('device-details tree node 0 (root, leaf)): garbage');
  });
});

describe('fault metadata in a recorded history', () => {
  it('is an event: the state at every position equals running the commands directly, checkpoints included', async () => {
    const script = [
      'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
      'dmsetup message pool 0 "create_thin 0"',
      'dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
      'dd if=/patterns/A of=/dev/mapper/thin0 bs=64k count=4 oflag=direct',
      'dmsetup message pool 0 "create_thin 1"',
      'fault metadata mapping-bottom-zeroed /dev/ram0',
      'dmsetup remove thin0; dmsetup remove pool',
      'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
      'dmsetup create thin0 --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
      'dd if=/dev/mapper/thin0 of=/dev/null bs=64k count=1',
    ].join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'thinlab-damage-'));
    const store = await openSqliteStore(join(dir, 'lab.db'));
    try {
      const h = new History(store, 2);
      const quiet: Output = { out: () => {}, err: () => {}, interactive: false };
      const { length } = await recordScript(
        h,
        script,
        { continueBranch: false, ramdiskKb: 65536, trace: false },
        quiet,
      );
      expect(length).toBe(10);
      for (let n = 0; n <= length; n++) {
        const direct = LabRuntime.fresh();
        for (const c of topLevelCommands(direct.shell, script).slice(0, n)) direct.runCommand(c);
        expect(stateHash((await h.stateAt('main', n)).lab), `position ${n}`).toBe(stateHash(direct.lab));
      }
      const end = (await h.stateAt('main', length)).shell;
      expect(end.runScript('dmesg | grep -c process_cell')).toBe('1\n');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
