/**
 * Every page in docs/tools/ shows a script and what it printed. This runs each script through the
 * lab shell again and requires the same output, so the examples stay true as the lab changes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';

const DIR = join(import.meta.dirname, '..', 'docs', 'tools');

function example(page: string): { script: string; output: string } {
  const text = readFileSync(join(DIR, page), 'utf8');
  const script = /```sh\n([\s\S]*?)```/.exec(text);
  const output = /```text\n([\s\S]*?)```/.exec(text);
  if (script === null || output === null) throw new Error(`${page}: no sh and text blocks`);
  return { script: script[1]!, output: output[1]! };
}

describe('the tool pages in docs/tools', () => {
  const pages = readdirSync(DIR).filter((f) => f.endsWith('.md'));

  it('cover all nine tools', () => {
    expect(pages.map((p) => p.replace(/\.md$/, '')).sort()).toEqual([
      'thin_check',
      'thin_delta',
      'thin_dump',
      'thin_ls',
      'thin_metadata_size',
      'thin_repair',
      'thin_restore',
      'thin_rmap',
      'thin_trim',
    ]);
  });

  for (const page of pages) {
    it(`${page}: the example prints what the page shows`, () => {
      const { script, output } = example(page);
      expect(new LabShell().runScript(script)).toBe(output);
    });
  }
});
