/**
 * Shows where the lab and the real tools disagree on cases of the metadata campaign, whole (the
 * campaign compares thin_dump's XML by digest and keeps five findings of a kind):
 * `npx tsx reliability/show-case.ts SEED INDEX... [--release 0.9.0|1.1.0] [--tool N]`.
 * Each compared command line (metadata-lab.ts COMPARED, numbered from 0) runs in a fresh lab and
 * through the real release; where the two differ, `diff -u` of the real output against the lab's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRealTools1x } from '../src/tools/real-tools-1x.js';
import type { ToolsRelease } from '../src/tools/release.js';
import { COMPARED, labToolOn, RELEASES } from './metadata-lab.js';
import { baseImages, metadataCase } from './metadata-images.js';
import { realToolOnBytes } from './metadata-real.js';

interface Shown {
  readonly status: number;
  readonly text: string;
}

/** The real release's run of one command line on the image bytes, stdout and stderr whole. */
function realRun(release: ToolsRelease, argv: readonly string[], bytes: Uint8Array): Shown {
  let binDir = '';
  if (release !== '0.9.0') {
    const t1x = findRealTools1x();
    if (!('binDir' in t1x)) throw new Error(`the real 1.1.0 is not here: ${t1x.missing}`);
    binDir = t1x.binDir;
  }
  const r = realToolOnBytes(binDir, bytes, argv);
  return { status: r.status, text: `${r.stdout}\n--stderr--\n${r.stderr}` };
}

/** `diff -u` of two texts, labelled. */
function unifiedDiff(dir: string, real: Shown, lab: Shown): string {
  const a = join(dir, 'real.txt');
  const b = join(dir, 'lab.txt');
  writeFileSync(a, `status ${real.status}\n${real.text}`, 'latin1');
  writeFileSync(b, `status ${lab.status}\n${lab.text}`, 'latin1');
  return spawnSync('diff', ['-u', '--label', 'real', '--label', 'lab', a, b], { encoding: 'latin1' }).stdout;
}

function main(argv: readonly string[]): void {
  const numbers: number[] = [];
  let onlyRelease: string | null = null;
  let onlyTool: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--release') onlyRelease = argv[++i] ?? '';
    else if (argv[i] === '--tool') onlyTool = Number(argv[++i]);
    else numbers.push(Number(argv[i]));
  }
  const [seed, ...indexes] = numbers;
  if (seed === undefined || indexes.length === 0 || numbers.some((n) => !Number.isInteger(n))) {
    process.stderr.write('usage: show-case.ts SEED INDEX... [--release 0.9.0|1.1.0] [--tool N]\n');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-show-'));
  const bases = baseImages();
  try {
    for (const index of indexes) {
      const c = metadataCase(bases, seed, index);
      process.stdout.write(`== case ${c.index} (seed ${c.seed}, ${c.base}, ${c.damage})\n`);
      for (const { release, stack } of RELEASES) {
        if (onlyRelease !== null && release !== onlyRelease) continue;
        COMPARED.forEach((tool, t) => {
          if (onlyTool !== null && t !== onlyTool) return;
          const lab = labToolOn(stack, c.bytes, tool, { whole: true });
          if ('internal' in lab) {
            process.stdout.write(`-- ${release} [${t}] ${tool.join(' ')}: internal error ${lab.internal}\n`);
            return;
          }
          const real = realRun(release, tool, c.bytes);
          if (real.status === lab.status && real.text === lab.text) return;
          process.stdout.write(`-- ${release} [${t}] ${tool.join(' ')}: real ${real.status}, lab ${lab.status}\n`);
          process.stdout.write(unifiedDiff(dir, real, lab));
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2));
