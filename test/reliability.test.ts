/**
 * A short seeded slice of each reliability campaign (reliability/, docs/reliability.md), so that
 * `npm test` keeps them working and holds the lab to their goals on a few cases; `npm run
 * reliability` runs them at full size.
 */
import { describe, expect, it } from 'vitest';
import { databaseCampaign } from '../reliability/database-campaign.js';
import { metadataCampaign } from '../reliability/metadata-campaign.js';
import { shellCampaign } from '../reliability/shell-campaign.js';
import { storeKillCampaign } from '../reliability/store-kill.js';
import { hasRealTools } from '../src/tools/tool-test-support.js';

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

  it('shell: generated lines run to the end, and every finding names its seed and line', async () => {
    // The shell's limits are src/shell's work (issue 17 items 2 and 3): the campaign reports them.
    const report = await shellCampaign({ seed: 17, lines: 25, hangMs: 10_000 });
    expect(report.counts.get('lines')).toBe(25);
    for (const { first } of report.findings.values())
      for (const f of first) expect(f.where).toMatch(/^line \d+ \(seed 17\): ./);
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
    expect(
      (report.counts.get('random kills') ?? 0) + (report.counts.get('random-kill recordings that finished first') ?? 0),
    ).toBe(1);
    expect(report.counts.get('races')).toBe(3);
    expect(report.findings.get('wedged or lost history')?.first ?? []).toEqual([]);
  }, 300_000);
});
