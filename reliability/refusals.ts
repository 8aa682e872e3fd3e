/**
 * Lists the lab's refusals by name on a sample of the metadata campaign, by reason, commonest
 * first; the lab's side only (no real tool runs):
 * `npx tsx reliability/refusals.ts SEED FIRST END STEP [--release 0.9.0|1.1.0] [--cases]`.
 * `--cases` also prints each refused run's case and command line.
 */
import { COMPARED, labToolOn, RELEASES } from './metadata-lab.js';
import { baseImages, metadataCase } from './metadata-images.js';

/** The `not modelled:` line of a refused run, with its numbers generalised so that a class is one. */
function refusalReason(text: string): string | null {
  const line = text.split('\n').find((l) => l.includes('not modelled'));
  if (line === undefined) return null;
  return line.replace(/\d+/g, 'N');
}

function main(argv: readonly string[]): void {
  const numbers = argv.filter((a) => /^\d+$/.test(a)).map(Number);
  const releaseAt = argv.indexOf('--release');
  const onlyRelease = releaseAt >= 0 ? argv[releaseAt + 1] : '1.1.0';
  const listCases = argv.includes('--cases');
  const [seed, first, end, step] = numbers;
  if (seed === undefined || first === undefined || end === undefined || step === undefined) {
    process.stderr.write('usage: refusals.ts SEED FIRST END STEP [--release R] [--cases]\n');
    process.exit(2);
  }
  const bases = baseImages();
  const counts = new Map<string, number[]>();
  let runs = 0;
  for (let index = first; index < end; index += step) {
    const c = metadataCase(bases, seed, index);
    for (const { release, stack } of RELEASES) {
      if (release !== onlyRelease) continue;
      COMPARED.forEach((tool, t) => {
        runs++;
        const lab = labToolOn(stack, c.bytes, tool);
        const text = 'internal' in lab ? `internal: ${lab.internal}` : lab.text;
        const reason = 'internal' in lab ? `INTERNAL ${lab.internal}` : refusalReason(text);
        if (reason === null) return;
        const key = `[${t}] ${reason}`;
        counts.set(key, [...(counts.get(key) ?? []), index]);
        if (listCases) process.stdout.write(`${index} [${t}] ${tool.join(' ')}: ${reason}\n`);
      });
    }
  }
  const sorted = [...counts.entries()].sort((a, b) => b[1].length - a[1].length);
  const total = sorted.reduce((n, [, cases]) => n + cases.length, 0);
  process.stdout.write(`${runs} runs, ${total} refused\n`);
  for (const [reason, cases] of sorted) {
    process.stdout.write(`${cases.length}\t${reason}\t${cases.slice(0, 12).join(' ')}\n`);
  }
}

main(process.argv.slice(2));
