/**
 * `npm run reliability [-- --campaign NAME] [--seed N] [--cases N] [--first N] [--no-kept-real]`: the campaigns the project
 * runs on itself (docs/reliability.md). With no --campaign every campaign runs at its full size;
 * a campaign that cannot run here says so by name, and the run then fails (never a silent pass).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { databaseCampaign } from './database-campaign.js';
import { metadataCampaign } from './metadata-campaign.js';
import { CampaignReport } from './report.js';
import { shellCampaign } from './shell-campaign.js';
import { shellDiffCampaign } from './shell-diff.js';
import { storeKillCampaign } from './store-kill.js';
import { hasRealTools } from '../src/tools/tool-test-support.js';

interface Args {
  campaign: string | null;
  seed: number;
  cases: number | null;
  first: number;
  /** Whether the metadata campaign reuses real outcomes kept by an earlier run (--no-kept-real). */
  keptReal: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { campaign: null, seed: 17, cases: null, first: 0, keptReal: true };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--campaign' && value !== undefined) args.campaign = argv[++i]!;
    else if (argv[i] === '--seed' && value !== undefined) args.seed = Number(argv[++i]);
    else if (argv[i] === '--cases' && value !== undefined) args.cases = Number(argv[++i]);
    else if (argv[i] === '--first' && value !== undefined) args.first = Number(argv[++i]);
    else if (argv[i] === '--no-kept-real') args.keptReal = false;
    else
      throw new Error(
        `reliability: unknown argument '${argv[i]}' (--campaign NAME, --seed N, --cases N, --first N, --no-kept-real)`,
      );
  }
  if (args.first !== 0 && args.campaign !== 'metadata' && args.campaign !== 'shell')
    throw new Error('reliability: --first N is for --campaign metadata or shell (their cases are numbered by seed)');
  return args;
}

/**
 * Where the metadata campaign keeps the real tools' outcomes between runs (RealOutcomeCache):
 * beside the unpacked 1.1.0, under the user's cache directory.
 */
const KEPT_REAL_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'thinlab', 'real-outcomes');

/** Each campaign at its full size, as docs/reliability.md reports it. */
const CAMPAIGNS: Record<
  string,
  (
    seed: number,
    cases: number | null,
    first: number,
    keptRealDir: string | null,
  ) => Promise<CampaignReport> | CampaignReport
> = {
  metadata: (seed, cases, first, keptRealDir) =>
    metadataCampaign({
      seed,
      cases: cases ?? 10_000,
      first,
      real: hasRealTools,
      batch: 50,
      progress: true,
      keptRealDir,
    }),
  shell: (seed, cases, first) => shellCampaign({ seed, lines: cases ?? 100_000, first, progress: true }),
  'shell-diff': (seed, cases) => shellDiffCampaign({ seed, cases: cases ?? 1000 }),
  database: (seed, cases) => databaseCampaign({ seed, cases: cases ?? 200 }),
  'store-kill': (seed, cases) => storeKillCampaign({ seed, randomKills: cases ?? 100, raceRounds: 10 }),
};

/** The kinds of finding that fail a run: everything but the real tool's own hangs. */
const FAILING = /internal error|hang$|heap exhausted|exit status differs|crash|not run|wedged|lost/;

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const names = args.campaign === null ? Object.keys(CAMPAIGNS) : [args.campaign];
  let failed = false;
  for (const name of names) {
    const campaign = CAMPAIGNS[name];
    if (campaign === undefined)
      throw new Error(`reliability: no campaign '${name}' (${Object.keys(CAMPAIGNS).join(', ')})`);
    const report = await campaign(args.seed, args.cases, args.first, args.keptReal ? KEPT_REAL_DIR : null);
    process.stdout.write(report.format());
    for (const kind of report.findings.keys()) if (FAILING.test(kind) && !kind.startsWith('output')) failed = true;
  }
  return failed ? 1 : 0;
}

// An interrupted full-size run (Ctrl-C, or `kill -INT`) still prints what it measured, marked as
// such, and fails: a campaign cut short has not passed.
process.on('SIGINT', () => {
  for (const report of CampaignReport.made) {
    report.find('not run to the end (interrupted)', { where: `seed ${report.seed}`, what: 'SIGINT' });
    process.stdout.write(report.format());
  }
  process.exit(1);
});

process.exitCode = await main();
