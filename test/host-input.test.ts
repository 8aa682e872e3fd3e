/**
 * Issue 17, defect 9: a script or FILE read from /dev/zero grew the process to gigabytes and ended
 * in V8's heap limit. The CLI now reads host input up to a bound and refuses the rest by name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-in-process.js';
import { readBounded, SCRIPT_LIMIT_BYTES } from '../src/cli/host-input.js';

const dir = mkdtempSync(join(tmpdir(), 'thinlab-host-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('host input read up to a bound', () => {
  it('reads a file whole up to the limit, and stops /dev/zero and a larger file past it', () => {
    writeFileSync(join(dir, 'f'), 'abcdef');
    expect(readBounded(join(dir, 'f'), 6)?.toString()).toBe('abcdef');
    expect(readBounded(join(dir, 'f'), 5)).toBeNull();
    expect(readBounded('/dev/zero', 3 * 1024 * 1024 + 7)).toBeNull();
    expect(() => readBounded(join(dir, 'missing'), 10)).toThrow(/ENOENT/);
  });

  it('refuses thinlab sh /dev/zero by name with exit 2, touching no database', async () => {
    const db = join(dir, 'lab.db');
    for (const args of [
      ['sh', '--no-record', '/dev/zero'],
      ['sh', '/dev/zero'],
    ]) {
      const r = await cli(args, db);
      expect({ args, ...r }).toEqual({
        args,
        status: 2,
        stdout: '',
        stderr: `thinlab: not modelled: a script longer than ${SCRIPT_LIMIT_BYTES / 1048576} MiB (/dev/zero): the lab reads at most that much of a script\n`,
      });
    }
    expect(() => readBounded(db, 1)).toThrow(/ENOENT/);
  });
});
