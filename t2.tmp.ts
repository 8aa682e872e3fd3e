import { LabShell } from './src/shell/shell.ts';
const sh = new LabShell();
for (const s of sh.steps('echo a\nfrob x\n')) console.log(JSON.stringify(s));
