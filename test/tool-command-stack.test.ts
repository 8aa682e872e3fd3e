/**
 * `thinlab TOOL FILE` on a stack: `--stack debian13` before the tool (or THINLAB_STACK) runs
 * thin-provisioning-tools 1.1.0's behaviour on the host file; debian12 stays 0.9.0; a bad stack
 * and a tool the stack lacks are refused with a clear line and status 2, touching no file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run-cli.js';
import { setSpaceMapEntry, testImages } from '../src/tools/tool-images.js';

const dir = mkdtempSync(join(tmpdir(), 'thinlab-stack-tool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const leaked = join(dir, 'leaked.img');
writeFileSync(leaked, setSpaceMapEntry(testImages().small!, 2, 20, 1));

async function run(args: readonly string[], envStack?: string): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), interactive: false };
  const status = await runCli(args, io, `sqlite:${join(dir, 'unused.db')}`, envStack);
  return { status, out, err };
}

describe('thinlab TOOL FILE per stack', () => {
  it('runs 1.1.0 with --stack debian13 or THINLAB_STACK, 0.9.0 by default', async () => {
    const v1 = await run(['--stack', 'debian13', 'thin_check', leaked]);
    expect(v1.status).toBe(64);
    expect(v1.err).toContain('metadata space map contains leaks\n');
    expect((await run(['thin_check', leaked], 'debian13')).status).toBe(64);
    const v0 = await run(['thin_check', leaked]);
    expect(v0.status).toBe(1);
    expect(v0.err).toContain('metadata reference counts differ for block 20, expected 0, but got 1\n');
  });

  it('writes a 1.1.0 dump to the host file the tool names', async () => {
    const xml = join(dir, 'out.xml');
    expect((await run(['--stack=debian13', 'thin_dump', '-o', xml, leaked])).status).toBe(0);
    expect(readFileSync(xml, 'utf8').endsWith('</superblock>')).toBe(true);
  });

  it('refuses an unknown stack and a tool the stack does not have, by name', async () => {
    expect(await run(['--stack', 'debian14', 'thin_check', leaked])).toEqual({
      status: 2,
      out: '',
      err: "thinlab: unknown stack 'debian14' (known: debian12, debian13)\n",
    });
    expect(await run(['thin_migrate', '-h'])).toEqual({
      status: 2,
      out: '',
      err: 'thinlab: thin_migrate is not a tool of thin-provisioning-tools 0.9.0 (stack debian12): give --stack debian13\n',
    });
    expect((await run(['--stack', 'debian13', 'thin_migrate', '-V'])).out).toBe('1.1.0\n');
  });
});
