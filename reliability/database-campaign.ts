/**
 * The damaged-database campaign: a recorded SQLite database, byte-flipped (seeded), given to the
 * read-only commands a user runs on it. Each must end in a one-line error or a success, never a
 * crash (a stack trace or several lines of JavaScript) or a hang. The commands run as the user
 * runs them, in a child process of bin/thinlab.js.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CampaignReport } from './report.js';
import { caseSeed, Rng } from './rng.js';

const THINLAB = join(import.meta.dirname, '..', 'bin', 'thinlab.js');
const COMMANDS: readonly (readonly string[])[] = [['log', '--full'], ['replay'], ['branches'], ['at', '3']];
const TIMEOUT_MS = 120_000;

const RECORDING = `dmsetup create pool --table "0 2048 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes
dmsetup message pool 0 "create_thin 0"
dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes
dd if=/patterns/A of=/dev/mapper/thin bs=64k count=2 oflag=direct
dmsetup status pool
`;

function thinlab(args: readonly string[], cwd: string) {
  return spawnSync(process.execPath, [THINLAB, ...args], {
    cwd,
    encoding: 'latin1',
    timeout: TIMEOUT_MS,
    env: { ...process.env, THINLAB_STORE: '' },
  });
}

export interface DatabaseCampaignOptions {
  readonly seed: number;
  readonly cases: number;
}

/** How a command ended on a damaged database: fine, or the finding it is. */
function classify(r: ReturnType<typeof thinlab>): string | null {
  if (r.error !== undefined || r.signal !== null) return 'hang';
  if (r.status === 0) return null;
  const lines = r.stderr.trimEnd().split('\n');
  if (lines.length === 1 && !/^\s+at /m.test(r.stderr)) return null;
  return 'crash';
}

export function databaseCampaign(o: DatabaseCampaignOptions): CampaignReport {
  const report = new CampaignReport('database', o.seed);
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-db-campaign-'));
  try {
    writeFileSync(join(dir, 'rec.sh'), RECORDING);
    const recorded = thinlab(['sh', '--db', 'base.db', 'rec.sh'], dir);
    if (recorded.status !== 0) throw new Error(`the recording failed: ${recorded.stderr}`);
    const base = readFileSync(join(dir, 'base.db'));
    for (let i = 0; i < o.cases; i++) {
      const seed = caseSeed(o.seed, i);
      const rng = new Rng(seed);
      const bytes = Uint8Array.from(base);
      const flips: string[] = [];
      for (let n = rng.int(1, 8); n > 0; n--) {
        const at = rng.int(0, bytes.length - 1);
        const mask = rng.int(1, 255);
        bytes[at]! ^= mask;
        flips.push(`${at}^${mask}`);
      }
      report.count('damaged databases');
      for (const args of COMMANDS) {
        // Each command gets its own copy: a command that writes must not change what the next one sees.
        writeFileSync(join(dir, 'case.db'), bytes);
        rmSync(join(dir, 'case.db-wal'), { force: true });
        rmSync(join(dir, 'case.db-shm'), { force: true });
        const r = report.time(() => thinlab([...args, '--db', 'case.db'], dir));
        report.count('commands run');
        const finding = classify(r);
        if (r.status === 0) report.count('succeeded (damage not reached)');
        else if (finding === null) report.count('one-line errors');
        else
          report.find(finding, {
            where: `case ${i} (seed ${seed}, flips ${flips.join(',')})`,
            what: `thinlab ${args.join(' ')}: status ${r.status}\n${r.stderr.slice(0, 1500)}`,
          });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
