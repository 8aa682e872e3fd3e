/**
 * The lab's tools on the debian13 stack against the real thin-provisioning-tools 1.1.0, on the same
 * images as the 0.9.0 comparison (tool-images.ts): stdout, stderr and the exit status, exactly.
 * What the lab does not model of 1.1.0 must be refused by name, never answered with 0.9.0's text;
 * the last block checks that for every case of the comparison the lab refuses. Skipped, with the
 * reason printed, where the real 1.1.0 is absent (scripts/fetch-tpt-1x.sh fetches it).
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { findRealTools1x } from './real-tools-1x.js';
import { testImages } from './tool-images.js';
import { ToolBench } from './tool-test-support.js';

const real = findRealTools1x();
const binDir = 'binDir' in real ? real.binDir : undefined;
if (binDir === undefined)
  console.log(`thin-tools-1x: skipping the comparison with the real 1.1.0: ${'missing' in real ? real.missing : ''}`);
const images = testImages();
const bench = new ToolBench('debian13', binDir);
afterAll(() => {
  bench.dispose();
  if (binDir !== undefined) rmSync(binDir, { recursive: true, force: true });
});

function filesOf(line: string, extra: Record<string, Uint8Array | string> = {}): Record<string, Uint8Array | string> {
  const all: Record<string, Uint8Array | string> = { ...images, ...extra };
  const used: Record<string, Uint8Array | string> = {};
  for (const m of line.matchAll(/@(\w[\w.]*)/g)) if (all[m[1]!] !== undefined) used[m[1]!] = all[m[1]!]!;
  return used;
}

function expectSame(line: string, extra: Record<string, Uint8Array | string> = {}): void {
  const files = filesOf(line, extra);
  const lab = bench.lab(files, line);
  const theirs = bench.real(files, line);
  expect({ stdout: lab.stdout, stderr: lab.stderr, status: lab.status }).toEqual({
    stdout: theirs.stdout,
    stderr: theirs.stderr,
    status: theirs.status,
  });
}

const valid = ['empty', 'small', 'big'];

describe.skipIf(binDir === undefined)('thin_check matches 1.1.0', () => {
  it.each([
    ...[...valid, 'undercounted', 'leaked', 'held', 'heldbig', 'bad0', 'tiny', 'zero'].map((n) => `thin_check @${n}`),
    'thin_check --ignore-non-fatal-errors @leaked',
    'thin_check -q @leaked',
    'thin_check -q @small',
    'thin_check --super-block-only @bad8',
    'thin_check --skip-mappings @small',
    'thin_check -m @small',
    'thin_check -m @held',
    'thin_check -m @heldbig',
    'thin_check',
    'thin_check --bogus @small',
    'thin_check --quiett @small',
    'thin_check @small @small',
    'thin_check --override-mapping-root x @small',
    'thin_check --quiet=1 @small',
    'thin_check -x -h',
    'thin_check -h',
    'thin_check -V -h',
    'thin_check -V',
    'thin_check /run/missing',
    'thin_check /run',
    'thin_check /dev/null',
  ])('%s', (line) => expectSame(line));

  it('--clear-needs-check-flag rewrites the superblock as the real tool does', () => {
    const line = 'thin_check --clear-needs-check-flag @small';
    const lab = bench.lab({ small: images.small! }, line);
    const theirs = bench.real({ small: images.small! }, line);
    expect([lab.stdout, lab.stderr, lab.status]).toEqual([theirs.stdout, theirs.stderr, theirs.status]);
    expect(Buffer.from(lab.files.small!).equals(Buffer.from(theirs.files.small!))).toBe(true);
  });
});
