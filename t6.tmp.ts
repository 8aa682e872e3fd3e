import { readFileSync, writeFileSync } from 'node:fs';
import { LabShell } from './src/shell/shell.ts';
import { maskMetadataUsed } from './test/transcript-compare.ts';
const [f, expf, outf] = process.argv.slice(2) as [string, string, string];
const sh = new LabShell();
let out = '';
for (const s of sh.steps(readFileSync(f, 'latin1'))) out += s.output;
writeFileSync(outf + '.lab', maskMetadataUsed(out)); writeFileSync(outf + '.exp', maskMetadataUsed(readFileSync(expf, 'latin1')));
