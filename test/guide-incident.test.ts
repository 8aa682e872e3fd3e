/**
 * docs/guide-incident.md walks one incident with the lab's commands. This runs every `$ thinlab`
 * line of its console blocks, in order, in a fresh directory with the scenario library beside it,
 * and requires the output the page shows; a line `...` in the page stands for any number of lines.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { ROOT, runThinlab } from './thinlab-process.js';

const dir = mkdtempSync(join(tmpdir(), 'thinlab-guide-'));
symlinkSync(join(ROOT, 'scenarios'), join(dir, 'scenarios'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Splits a command line as the shell would: words, and '...' or "..." quoted words. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** Whether the output has the page's lines in order, `...` matching any lines (none included). */
function matchesPage(actual: string[], page: string[]): boolean {
  const go = (a: number, p: number): boolean => {
    if (p === page.length) return a === actual.length;
    if (page[p] === '...') {
      for (let k = a; k <= actual.length; k++) if (go(k, p + 1)) return true;
      return false;
    }
    return a < actual.length && actual[a] === page[p] && go(a + 1, p + 1);
  };
  return go(0, 0);
}

const page = readFileSync(join(ROOT, 'docs', 'guide-incident.md'), 'utf8');
const blocks = [...page.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/guide-incident.md', () => {
  it('walks the incident with explain, run, bisect, diff and whatif', () => {
    const used = new Set(blocks.map((b) => words(b.split('\n')[0]!.slice(2))[1]));
    expect([...used].sort()).toEqual(['bisect', 'diff', 'explain', 'run', 'whatif']);
  });

  blocks.forEach((block, i) => {
    const [first, ...rest] = block.replace(/\n$/, '').split('\n');
    it(`block ${i + 1}: ${first!.slice(0, 90)}`, () => {
      expect(first!.startsWith('$ thinlab ')).toBe(true);
      const r = runThinlab(words(first!.slice(2)).slice(1), dir);
      expect(r.status).toBe(0);
      // Trailing blank lines are not shown on the page.
      const actual = `${r.stdout}${r.stderr}`.replace(/\n+$/, '').split('\n');
      if (!matchesPage(actual, rest)) expect(actual.join('\n')).toBe(rest.join('\n'));
    });
  });
});
