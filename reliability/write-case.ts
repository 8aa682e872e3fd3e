/**
 * Writes one case of the metadata campaign to a file, to run it again by hand against the real
 * tools: `npx tsx reliability/write-case.ts SEED INDEX FILE` (the seed of the run and the case's
 * index, as the report prints them).
 */
import { writeFileSync } from 'node:fs';
import { baseImages, metadataCase } from './metadata-images.js';

const [seed, index, file] = process.argv.slice(2);
if (seed === undefined || index === undefined || file === undefined) {
  process.stderr.write('usage: write-case.ts SEED INDEX FILE\n');
  process.exit(2);
}
const c = metadataCase(baseImages(), Number(seed), Number(index));
writeFileSync(file, c.bytes);
process.stdout.write(`case ${c.index} (seed ${c.seed}, ${c.base}, ${c.damage}) -> ${file}\n`);
