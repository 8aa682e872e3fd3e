import { Parser } from './src/shell/parse.ts';
const src = process.argv[2]!.replace(/\\n/g, '\n');
const p = new Parser(src);
for (let r = p.next(); r !== null; r = p.next()) console.log(JSON.stringify(r, null, 0).slice(0, 400));
