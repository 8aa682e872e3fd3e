/**
 * Records the real 1.1.0's answer to each line of test/clap-1x-lines.ts (stdout, stderr, status)
 * in fixtures/tools-1x/clap-lines.json: `npx tsx scripts/record-clap-1x.ts`. Needs the real
 * 1.1.0 (scripts/fetch-tpt-1x.sh); runs without RUST_BACKTRACE, as the lab's machine has it.
 */
import { writeFileSync } from 'node:fs';
import { findRealTools1x } from '../src/tools/real-tools-1x.js';
import { CLAP_LINES_1X, realAnswers1x } from '../test/clap-1x-lines.js';

const real = findRealTools1x();
if (!('binDir' in real)) throw new Error(real.missing);
delete process.env.RUST_BACKTRACE;
const results = realAnswers1x(real.binDir, CLAP_LINES_1X);
const recorded = Object.fromEntries(CLAP_LINES_1X.map((line, i) => [line, results[i]!]));
writeFileSync('fixtures/tools-1x/clap-lines.json', `${JSON.stringify(recorded, null, 1)}\n`);
process.stdout.write(`${CLAP_LINES_1X.length} lines recorded\n`);
