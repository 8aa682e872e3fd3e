import { readFileSync } from 'node:fs';
import { LabShell } from './src/shell/shell.ts';
import { maskMetadataUsed } from './test/transcript-compare.ts';
let bad = 0;
for (const f of process.argv.slice(2)) {
  const sh = new LabShell();
  const script = readFileSync(f, 'latin1');
  const out = sh.splitCommands(script).map((p) => sh.runLine(p)).join('');
  const exp = readFileSync(f.replace(/\.sh$/, '.out'), 'latin1');
  const direct = new LabShell().runScript(script);
  if (maskMetadataUsed(out) !== maskMetadataUsed(direct)) { bad++; console.log('pieces differ from runScript:', f); }
  if (maskMetadataUsed(out) !== maskMetadataUsed(exp)) console.log('differs from kernel:', f);
}
console.log('done', bad);
