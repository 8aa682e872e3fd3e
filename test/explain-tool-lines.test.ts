/**
 * `thinlab explain` knows every line the lab's thin tools print about damaged metadata, on both
 * stacks (0.9.0's words and exit status 1, 1.1.0's and 64): each tool runs on each image of
 * test/damage-images.ts (every kind of docs/metadata-damage.md, a held snapshot among them), and
 * every line it prints is asked of explain. A tool's usage text counts as its `Usage:` line.
 * test:fast runs every third image.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import type { StackId } from '../src/model/stack.js';
import { explain } from '../src/scenarios/explain.js';
import { damagedImages } from './damage-images.js';
import { testSlice } from './slice.js';

const COMMANDS = [
  'thin_check',
  'thin_check -m',
  'thin_check --skip-mappings',
  'thin_dump',
  'thin_dump -m',
  'thin_dump --repair',
  'thin_ls',
  'thin_repair -o /tmp/out.img -i',
  'thin_delta --snap1 0 --snap2 1',
  'thin_rmap --region 0..10',
];

/** Each line a tool printed on stderr or stdout (XML aside) -> the command and image that printed it. */
function toolLines(stack: StackId, images: Map<string, Uint8Array>): Map<string, string> {
  const shell = new LabShell({ files: images, stack });
  const lines = new Map<string, string>();
  for (const name of testSlice([...images.keys()])) {
    for (const cmd of COMMANDS) {
      shell.runLine('dd if=/dev/zero of=/tmp/out.img bs=4096 count=4096 2>/dev/null');
      shell.runLine(`${cmd} /files/${name} >/tmp/stdout 2>/tmp/stderr`);
      // thin_check reports on stdout too; the other tools' stdout is their report (XML, tables).
      const stdout = cmd.startsWith('thin_check') ? shell.runLine('cat /tmp/stdout') : '';
      const printed = `${shell.runLine('cat /tmp/stderr')}\n${stdout}`;
      const usage = printed.split('\n').find((l) => l.startsWith('Usage:'));
      const kept = usage === undefined ? printed.split('\n') : [usage];
      for (const line of kept.map((l) => l.trim())) {
        if (line === '' || line.startsWith('<') || lines.has(line)) continue;
        lines.set(line, `${cmd} ${name}`);
      }
    }
  }
  return lines;
}

describe('explain knows the thin tools’ lines', () => {
  const images = damagedImages();
  for (const stack of ['debian12', 'debian13'] as const) {
    it(`every line the tools print on the damage images (${stack})`, () => {
      const lines = toolLines(stack, images);
      // Enough lines that the test cannot pass on tools that print nothing.
      expect(lines.size).toBeGreaterThan(20);
      const unknown = [...lines].filter(([line]) => explain(line, []).meaning === null);
      expect(unknown.map(([line, from]) => `${line}    (${from})`)).toEqual([]);
    });
  }

  it('names the release whose words a line is in', () => {
    expect(explain('    bad checksum in btree node (block 17)', []).source).toBe('thin_check 0.9.0');
    expect(explain('2 nodes in data mapping tree contain errors', []).source).toBe('thin_check 1.x');
    expect(explain('  thin device 2 is missing mappings [40, -]', []).next).toMatch(/thin_repair/);
  });

  it('leaves a line no tool prints unknown', () => {
    expect(explain('bad checksum in the flux capacitor', []).meaning).toBeNull();
    expect(explain('examining the flux capacitor', []).meaning).toBeNull();
  });
});
