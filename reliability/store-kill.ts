/**
 * The hook for the store's kill -9 sweeps (issue 17 item 5: a kill at every store write of a
 * recording and at random times, and concurrent recorders on one database). They need the
 * transactional branches another engineer is building in src/store, so the sweep registers here
 * when it exists. Until then the campaign reports itself as not run, by name, and the reliability
 * run fails on it: a campaign that did not run is never counted as passed.
 */
import { CampaignReport } from './report.js';

/** A sweep: kills recordings at store writes and checks that no committed event was torn or lost. */
export type StoreKillSweep = (report: CampaignReport, seed: number) => Promise<void>;

const sweeps: StoreKillSweep[] = [];

/** Where src/store's sweep plugs in (called from this folder, so the store stays a port). */
export function registerStoreKillSweep(sweep: StoreKillSweep): void {
  sweeps.push(sweep);
}

export async function storeKillCampaign(seed: number): Promise<CampaignReport> {
  const report = new CampaignReport('store-kill', seed);
  if (sweeps.length === 0)
    report.find('not run', {
      where: 'reliability/store-kill.ts',
      what: 'no kill -9 sweep is registered: it waits for the transactional branches of src/store (issue 17 item 1)',
    });
  for (const sweep of sweeps) await sweep(report, seed);
  return report;
}
