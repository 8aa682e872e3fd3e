/**
 * Every kernel transcript in fixtures/kernel (a script and what the real Linux dm-thin printed for
 * it, captured with shared/oracle/kernel-dm-thin) must come out of `thinlab sh` unchanged, except
 * for the used-metadata-blocks count in pool status lines, which the lab estimates
 * (docs/model.md says how, and how far off it is). Pool invariants are checked after every
 * top-level command (a line, or the lines of a compound command such as a loop or a function).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPoolInvariants } from '../src/model/invariants.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { fixtureFiles } from './damage-images.js';
import { maskMetadataUsed } from './transcript-compare.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'kernel');
const scripts = readdirSync(DIR)
  .filter((f) => f.endsWith('.sh'))
  .sort();

describe('kernel transcripts', () => {
  it('has at least 15 transcripts', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(15);
  });

  for (const script of scripts) {
    it(`${script} prints what the kernel printed`, () => {
      const source = readFileSync(join(DIR, script), 'latin1');
      const expected = readFileSync(join(DIR, script.replace(/\.sh$/, '.out')), 'latin1');
      const shell = new LabShell({ files: fixtureFiles(source) });
      let output = '';
      for (const step of shell.steps(source)) {
        output += step.output;
        for (const pool of shell.machine.livePools()) {
          const problems = checkPoolInvariants(pool.md);
          expect(problems, `invariants after line ${step.firstLine}: ${step.source}`).toEqual([]);
        }
      }
      expect(maskMetadataUsed(output)).toBe(maskMetadataUsed(expected));
    });
  }
});
