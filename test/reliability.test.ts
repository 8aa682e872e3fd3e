/**
 * A short seeded slice of each reliability campaign (reliability/, docs/reliability.md), so that
 * `npm test` keeps them working and holds the lab to their goals on a few cases; `npm run
 * reliability` runs them at full size.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseCampaign } from '../reliability/database-campaign.js';
import { metadataCampaign } from '../reliability/metadata-campaign.js';
import { shellCampaign } from '../reliability/shell-campaign.js';
import { storeKillCampaign } from '../reliability/store-kill.js';
import { hasRealTools } from '../src/tools/tool-test-support.js';

/** What the shell campaign must never find (docs/reliability.md): each is a defect of the lab shell. */
const SHELL_PROBLEMS = ['internal error', 'hang', 'heap exhausted'] as const;

describe('reliability campaigns, a seeded slice', () => {
  it('metadata: damaged images, held snapshots among them, never throw and exit as 0.9.0 and 1.1.0 do', async () => {
    const report = await metadataCampaign({ seed: 17, cases: 12, real: hasRealTools, batch: 12, workers: 0 });
    expect(report.counts.get('images')).toBe(12);
    expect(report.counts.get('images with a held snapshot')).toBeGreaterThan(0);
    expect(report.findings.get('internal error')?.first ?? []).toEqual([]);
    expect(report.findings.get('exit status differs from 0.9.0')?.first ?? []).toEqual([]);
    expect(report.total('hang')).toBe(0);
    if (hasRealTools) expect(report.counts.get('compared with the real 0.9.0')).toBeGreaterThan(0);
  });

  it.skipIf(!hasRealTools)(
    'metadata: real outcomes kept by one run are what the next run compares with',
    async () => {
      const keptRealDir = mkdtempSync(join(tmpdir(), 'thinlab-kept-real-'));
      try {
        const options = { seed: 17, cases: 6, real: true, batch: 6, workers: 0, keptRealDir } as const;
        const first = await metadataCampaign(options);
        const ran = first.counts.get('distinct images run by the real tools') ?? 0;
        expect(ran).toBeGreaterThan(0);
        const again = await metadataCampaign(options);
        expect(again.counts.get('images whose real outcomes were kept from an earlier run')).toBe(ran);
        expect(again.counts.get('distinct images run by the real tools')).toBe(0);
        expect(again.counts.get('compared with the real 0.9.0')).toBe(first.counts.get('compared with the real 0.9.0'));
        // The kept files are what the second run reads: a kept exit status made wrong by hand is
        // found as a difference, where the real tools' own run found none.
        const [tag] = readdirSync(keptRealDir);
        const [file] = readdirSync(join(keptRealDir, tag!));
        const path = join(keptRealDir, tag!, file!);
        const kept = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { status: number; text: string }>;
        kept['0.9.0 0']!.status += 100;
        writeFileSync(path, JSON.stringify(kept));
        const tampered = await metadataCampaign(options);
        expect(first.total('exit status differs from 0.9.0')).toBe(0);
        expect(tampered.total('exit status differs from 0.9.0')).toBe(1);
      } finally {
        rmSync(keptRealDir, { recursive: true, force: true });
      }
    },
    300_000,
  );

  it('shell: generated lines run to the end with no internal error, hang or heap exhaustion', async () => {
    const report = await shellCampaign({ seed: 17, lines: 25, hangMs: 10_000 });
    expect(report.counts.get('lines')).toBe(25);
    for (const kind of SHELL_PROBLEMS) expect(report.findings.get(kind)?.first ?? [], kind).toEqual([]);
  });

  it('shell: a planted internal error and a planted hang are found, each named by its seed and line', async () => {
    // The assertions above can fail: the campaign sees what it is planted with. The hang is an
    // endless writer, stopped only by the campaign's step budget after about 0.7 s of CPU, with a
    // hang timeout of 0.3 s of CPU.
    const endless = 'seq 1 1000000000 | wc -l';
    const report = await shellCampaign({
      seed: 17,
      lines: 4,
      hangMs: 300,
      planted: { 1: 'echo "RangeError: planted"', 2: endless },
    });
    expect(report.findings.get('internal error')?.first.map((f) => f.where)).toEqual([
      'line 1 (seed 17): echo "RangeError: planted"',
    ]);
    expect(report.findings.get('hang')?.first.map((f) => f.where)).toContain(`line 2 (seed 17): ${endless}`);
    expect(report.counts.get('lines')).toBe(4);
  });

  it('database: damaged databases give each command a success or a one-line error, never a crash or a hang', () => {
    const report = databaseCampaign({ seed: 17, cases: 1 });
    expect(report.counts.get('commands run')).toBe(4);
    expect(report.findings.get('crash')?.first ?? []).toEqual([]);
    expect(report.findings.get('hang')?.first ?? []).toEqual([]);
  }, 300_000);

  it('store kill -9: a recording killed at a random time and one round of races leave a whole history', async () => {
    // The kill at every write runs in test/store-processes.test.ts (a slice) and `npm run reliability`.
    const report = await storeKillCampaign({ seed: 17, randomKills: 1, raceRounds: 1, everyWrite: false });
    expect(report.counts.get('random kills')).toBe(1);
    expect(report.counts.get('recordings timed for the kill window')).toBe(1);
    expect(report.counts.get('races')).toBe(3);
    expect(report.findings.get('wedged or lost history')?.first ?? []).toEqual([]);
  }, 300_000);
});
