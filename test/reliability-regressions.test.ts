/**
 * The metadata images on which the reliability campaign found the lab's tools exiting otherwise
 * than the real thin-provisioning-tools 0.9.0 (fixtures/reliability/README.md): each must now
 * give 0.9.0's exit status. Where the real 0.9.0 is installed, it is asked too, so that the
 * recorded statuses stay true.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { labToolOn } from '../reliability/metadata-lab.js';
import { hasRealTools } from '../src/tools/tool-test-support.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'reliability');

/** The real 0.9.0's exit statuses, recorded when the case was found (the README's table). */
const CASES: readonly { image: string; why: string; statuses: Readonly<Record<string, number>> }[] = [
  {
    image: 'seed17-case115',
    why: 'a leaf whose flags word has other bits set beside LEAF is a leaf',
    statuses: {
      'thin_check IMG': 0,
      'thin_check -m IMG': 1,
      'thin_check --skip-mappings IMG': 0,
      'thin_dump IMG': 0,
      'thin_dump -m IMG': 1,
      'thin_dump --repair IMG': 0,
    },
  },
  {
    image: 'seed17-case126',
    why: 'a key above 2^53 in the held snapshot is no damage to thin_check',
    statuses: {
      'thin_check IMG': 0,
      'thin_check -m IMG': 0,
      'thin_check --skip-mappings IMG': 0,
      'thin_dump IMG': 0,
      'thin_dump -m IMG': 1,
      'thin_dump --repair IMG': 0,
    },
  },
];

describe('metadata campaign regressions: the lab exits as 0.9.0 does', () => {
  for (const c of CASES)
    it(`${c.image}: ${c.why}`, () => {
      const path = join(FIXTURES, `${c.image}.img.gz`);
      const bytes = new Uint8Array(gunzipSync(readFileSync(path)));
      for (const [line, expected] of Object.entries(c.statuses)) {
        const argv = line.split(' ');
        const lab = labToolOn('debian12', bytes, argv);
        if ('internal' in lab) throw new Error(`${line}: ${lab.internal}`);
        expect({ line, status: lab.status }, lab.text).toEqual({ line, status: expected });
      }
    });

  it.runIf(hasRealTools)("the recorded statuses are the real 0.9.0 tools' own", () => {
    for (const c of CASES) {
      const file = join(FIXTURES, `${c.image}.img`);
      const img = `/tmp/thinlab-regression-${process.pid}-${c.image}.img`;
      spawnSync('sh', ['-c', `gunzip -c '${file}.gz' > '${img}'`]);
      for (const [line, expected] of Object.entries(c.statuses)) {
        const [tool, ...args] = line.split(' ');
        const r = spawnSync(
          tool!,
          args.map((a) => (a === 'IMG' ? img : a)),
          { stdio: 'ignore' },
        );
        expect({ line, status: r.status }).toEqual({ line, status: expected });
      }
      spawnSync('rm', ['-f', img]);
    }
  });
});
