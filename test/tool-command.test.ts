/**
 * `thinlab <tool>` on host files: the lab's thin tools outside the lab shell must print what the
 * real thin-provisioning-tools 0.9.0 print on the same file, with the same exit status, and what
 * they write must be what the real tools accept. The image comes from a lab pool (dd of its
 * metadata device), so it holds devices, mappings and sharing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import { runThinlab } from './thinlab-process.js';

const haveTools = ['thin_check', 'thin_dump', 'thin_restore', 'thin_ls'].every(
  (t) => spawnSync(t, ['-V']).status === 0,
);
let dir: string;

/** A 4 MiB metadata image of a pool with a thin, its snapshot and writes on both sides. */
function labImage(): Uint8Array {
  const shell = new LabShell();
  shell.runScript(`
dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes
dmsetup message pool 0 "create_thin 0"
dmsetup create t --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes
dd if=/patterns/A of=/dev/mapper/t bs=64k count=6 oflag=direct 2>/dev/null
dmsetup suspend t; dmsetup message pool 0 "create_snap 1 0"; dmsetup resume t
dd if=/patterns/B of=/dev/mapper/t bs=64k count=2 oflag=direct 2>/dev/null
dmsetup remove t; dmsetup remove pool
dd if=/dev/ram0 of=/tmp/meta.img bs=1M count=4 2>/dev/null`);
  const f = shell.fs.get('/tmp/meta.img')!;
  return f.readBytes(0, f.sizeBytes);
}

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: 'latin1' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lab = (args: string[]) => runThinlab(args, dir);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-tool-command-'));
  writeFileSync(join(dir, 'meta.img'), labImage());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!haveTools)('thinlab <tool> against the real 0.9.0 tools on the same file', () => {
  for (const args of [
    ['thin_check', 'meta.img'],
    ['thin_dump', 'meta.img'],
    ['thin_dump', '--format', 'human_readable', 'meta.img'],
    ['thin_ls', 'meta.img'],
    ['thin_check', 'missing.img'],
    ['thin_dump'],
  ]) {
    it(`${args.join(' ')} prints the same and exits the same`, () => {
      const real = run(args[0]!, args.slice(1));
      const ours = lab(args);
      expect({ status: ours.status, stdout: ours.stdout, stderr: ours.stderr }).toEqual(real);
    });
  }

  it('writes what the real tools read: thin_dump -o, then thin_restore -o an existing file', () => {
    expect(lab(['thin_dump', 'meta.img', '-o', 'lab.xml']).status).toBe(0);
    const xml = readFileSync(join(dir, 'lab.xml'), 'latin1');
    expect(xml).toBe(run('thin_dump', ['meta.img']).stdout);
    writeFileSync(join(dir, 'restored.img'), new Uint8Array(4 << 20));
    const restored = lab(['thin_restore', '-i', 'lab.xml', '-o', 'restored.img']);
    expect(restored).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(run('thin_check', ['restored.img']).status).toBe(0);
    expect(run('thin_dump', ['restored.img']).stdout).toBe(xml);
  });

  it('rewrites only the path positions of the tool: a file named like an option value stays a value', () => {
    // Issue 17: `1` named a host file, and the CLI swapped the snapshot id for a lab path.
    writeFileSync(join(dir, '1'), 'not metadata');
    writeFileSync(join(dir, '0'), 'not metadata');
    for (const args of [
      ['thin_delta', '--snap1', '0', '--snap2', '1', 'meta.img'],
      ['thin_delta', '--snap1=0', '--thin2', '1', 'meta.img'],
      ['thin_dump', '--dev-id', '1', 'meta.img'],
      ['thin_ls', '-o', 'DEV', 'meta.img'],
      ['thin_check', 'meta.img', '1'],
    ]) {
      const real = run(args[0]!, args.slice(1));
      expect({ args, ...lab(args) }).toEqual({ args, ...real });
    }
    rmSync(join(dir, '1'));
    rmSync(join(dir, '0'));
  });

  it('thin_dump -o into a missing directory does what 0.9.0 does (its ofstream fails silently) and creates nothing', () => {
    for (const args of [
      ['thin_dump', '-o', 'nodir/x.xml', 'meta.img'],
      ['thin_dump', '--output=nodir/x.xml', 'meta.img'],
      ['thin_dump', '-onodir/x.xml', 'missing.img'],
    ]) {
      const real = run(args[0]!, args.slice(1));
      expect({ args, ...lab(args) }).toEqual({ args, ...real });
    }
    expect(run('ls', ['nodir']).status).not.toBe(0);
    const restore = ['thin_restore', '-i', 'nodir/x.xml', '-o', 'nodir/out.img'];
    expect(lab(restore)).toEqual(run(restore[0]!, restore.slice(1)));
  });

  it('thin_dump -o truncates the output file when the dump fails, as 0.9.0 does', () => {
    const bad = new Uint8Array(readFileSync(join(dir, 'meta.img')));
    bad[0]! ^= 0xff;
    writeFileSync(join(dir, 'bad.img'), bad);
    for (const side of ['real', 'lab'] as const) {
      writeFileSync(join(dir, `${side}.xml`), '<old dump/>\n');
      const args = ['thin_dump', '-o', `${side}.xml`, 'bad.img'];
      const r = side === 'real' ? run(args[0]!, args.slice(1)) : lab(args);
      expect(r.status).toBe(1);
      expect(readFileSync(join(dir, `${side}.xml`), 'latin1')).toBe('');
    }
  });

  it('refuses what is not a regular file, and writes nothing', () => {
    mkdirSync(join(dir, 'adir'));
    const r = lab(['thin_check', 'adir']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'thinlab thin_check: adir: not a regular file (outside the lab shell the tools work on metadata images; use the real thin_check on devices)\n',
    );
  });
});
