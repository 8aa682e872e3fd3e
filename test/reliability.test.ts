/**
 * A short seeded slice of each reliability campaign (reliability/, docs/reliability.md), so that
 * `npm test` keeps them working and holds the lab to their goals on a few cases; `npm run
 * reliability` runs them at full size.
 */
import { describe, expect, it } from 'vitest';
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
    if (hasRealTools) expect(report.counts.get('compared with the real tool')).toBeGreaterThan(0);
  });

  it('shell: generated lines run to the end, and every finding names its seed and line', async () => {
    // The shell's limits are src/shell's work (issue 17 items 2 and 3): the campaign reports them.
    const report = await shellCampaign({ seed: 17, lines: 25, hangMs: 10_000 });
    expect(report.counts.get('lines')).toBe(25);
    for (const { first } of report.findings.values())
      for (const f of first) expect(f.where).toMatch(/^line \d+ \(seed 17\): ./);
  });

  it('store kill -9: says it did not run until the store registers its sweep', async () => {
    const report = await storeKillCampaign(17);
    expect(report.total('not run') + (report.counts.get('kills') ?? 0)).toBeGreaterThan(0);
  });
});
