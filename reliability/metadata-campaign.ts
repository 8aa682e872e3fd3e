/**
 * The metadata campaign: seeded damaged images (metadata-images.ts) through the lab's thin tools
 * (metadata-lab.ts) and the real thin-provisioning-tools 0.9.0 and 1.1.0 (metadata-real.ts), exit
 * statuses compared for thin_check and thin_dump, and the other lab tools run on the same bytes to
 * count internal errors (a tool that throws).
 *
 * Where the time went (docs/reliability.md): one lab copy of the image per tool run, not the
 * tools. Now each case gets one lab per stack, two worker threads run cases (the machine has two
 * cores), and the real tools of one batch run in child shells while the workers do the next.
 * Later (session 12): the real side was bound by 1.1.0's sleeps, not by CPU, so its shells run
 * at once, and its outcomes are kept between runs, so a re-run costs only the lab's side.
 * A case whose lab tools run past `hangMs` is a hang: its worker is ended and replaced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { findRealTools1x } from '../src/tools/real-tools-1x.js';
import type { ToolsRelease } from '../src/tools/release.js';
import { COMPARED, LAB_ONLY, RELEASES, type ToolOutcome } from './metadata-lab.js';
import { baseImages } from './metadata-images.js';
import {
  imagePath,
  isRealHang,
  type RealImageOutcomes,
  RealOutcomeCache,
  type RealTools,
  runRealBatch,
} from './metadata-real.js';
import type { CaseDone, LabCache, MetadataWorkerMessage, WorkerJob } from './metadata-worker.js';
import { runJob } from './metadata-worker.js';
import { CampaignReport, type Finding } from './report.js';

export { COMPARED } from './metadata-lab.js';

export interface MetadataCampaignOptions {
  readonly seed: number;
  /** The case indexes run are `first` (default 0) up to, not including, `cases`. */
  readonly cases: number;
  /** Lets a campaign too long for one sitting run in parts: the same seed, from where the last part ended. */
  readonly first?: number;
  /** Whether the real tools are run (0.9.0 on PATH; 1.1.0 where src/tools/real-tools-1x.ts finds it). */
  readonly real: boolean;
  readonly batch?: number;
  /** Worker threads; 0 runs the cases in this thread (the test slice). */
  readonly workers?: number;
  /** A case whose lab tools run longer is a hang. */
  readonly hangMs?: number;
  /** Names each batch on stderr as it ends. */
  readonly progress?: boolean;
  /**
   * Where the real tools' outcomes are kept between runs (RealOutcomeCache), or null to run the
   * real tools on every image.
   */
  readonly keptRealDir?: string | null;
}

/** The real releases that can run here: 0.9.0 from PATH, 1.1.0 through its wrappers. */
function realTools(report: CampaignReport): RealTools {
  const tools = new Map<ToolsRelease, string>([['0.9.0', '']]);
  const t1x = findRealTools1x();
  if ('binDir' in t1x) tools.set('1.1.0', t1x.binDir);
  else report.count(`real 1.1.0 not compared: ${t1x.missing}`);
  return tools;
}

/** Compares one case's lab outcomes with the real ones and records what it finds. */
function checkCase(
  done: CaseDone,
  real: RealImageOutcomes | undefined,
  report: CampaignReport,
  log: ((line: string) => void) | null,
): void {
  const { where, result } = done;
  report.count('images');
  if (done.held) report.count('images with a held snapshot');
  report.sampleMemory(done.rssBytes);
  report.slowest(done.ms);
  for (const { release } of RELEASES)
    result.compared[release].forEach((lab, t) => {
      const argv = COMPARED[t]!.join(' ');
      report.count('tool runs');
      if ('internal' in lab) {
        report.find('internal error', { where, what: `${release} ${argv}: ${lab.internal}` });
        return;
      }
      const theirs = real?.get(`${release} ${t}`);
      if (theirs === undefined) return;
      if (isRealHang(theirs.status)) {
        report.find(`real ${release} hung (not compared)`, { where, what: `${argv}: lab ${lab.status}` });
        return;
      }
      if (lab.text.includes('thinlab: not modelled:')) {
        report.count(`refused by name (${release})`);
        return;
      }
      report.count(`compared with the real ${release}`);
      if (theirs.status !== lab.status) report.count(`  of which exit status differs from ${release}: ${argv}`);
      // The report keeps five findings of a kind whole; a long run names every disagreement as it
      // meets it, so that each can be triaged from its seed and case after the run.
      if (theirs.status !== lab.status)
        log?.(`metadata: ${where}: ${release} ${argv}: lab ${lab.status}, real ${theirs.status}\n`);
      if (theirs.status !== lab.status)
        report.find(`exit status differs from ${release}`, {
          where,
          what: `${argv}: lab ${lab.status}, real ${theirs.status}\n--- real\n${theirs.text}\n--- lab\n${lab.text}`,
        });
      else if (theirs.text !== lab.text) {
        log?.(`metadata: ${where}: ${release} ${argv}: output differs (status ${lab.status})\n`);
        report.find(`output differs from ${release} (same status)`, {
          where,
          what: `${argv}\n--- real\n${theirs.text}\n--- lab\n${lab.text}`,
        });
      }
    });
  report.count('tool runs', LAB_ONLY.length);
  for (const what of result.labOnlyInternal) report.find('internal error', { where, what });
}

/** A worker thread running jobs, replaced when a case hangs in it. */
class CaseWorker {
  private worker: Worker;
  private current: { index: number; since: number } | null = null;

  constructor(private readonly hangMs: number) {
    this.worker = CaseWorker.spawn();
  }

  private static spawn(): Worker {
    return new Worker(new URL('./metadata-worker.mjs', import.meta.url), { workerData: { metadataWorker: true } });
  }

  /** Runs a job; a hung case is reported as `hung` and the rest of the job goes to a new worker. */
  run(job: WorkerJob, onDone: (d: CaseDone) => void, onHang: (index: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const left = new Set(job.indexes);
      const timer = setInterval(() => {
        if (this.current === null || performance.now() - this.current.since < this.hangMs) return;
        const hung = this.current.index;
        left.delete(hung);
        onHang(hung);
        this.current = null;
        void this.worker.terminate();
        this.worker = CaseWorker.spawn();
        this.listen(job, left, onDone, finish, reject);
        this.worker.postMessage({ ...job, indexes: [...left] });
      }, 1000);
      const finish = (): void => {
        clearInterval(timer);
        resolve();
      };
      this.listen(job, left, onDone, finish, reject);
      this.worker.postMessage(job);
    });
  }

  private listen(
    job: WorkerJob,
    left: Set<number>,
    onDone: (d: CaseDone) => void,
    finish: () => void,
    reject: (e: Error) => void,
  ): void {
    const worker = this.worker;
    worker.removeAllListeners();
    worker.on('error', (e) => reject(new Error(`metadata worker for seed ${job.seed}: ${e.message}`)));
    worker.on('message', (m: MetadataWorkerMessage) => {
      if (m.kind === 'start') this.current = { index: m.index, since: performance.now() };
      else if (m.kind === 'done') {
        this.current = null;
        left.delete(m.index);
        onDone(m);
      } else {
        worker.removeAllListeners();
        finish();
      }
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Runs the real tools once per distinct image of a batch (an image met before keeps its outcomes
 * in `seen`, by key; one run before keeps them in `kept`, by digest) and returns each case's
 * outcomes. The images not run are removed here.
 */
async function realOutcomes(
  dir: string,
  done: readonly CaseDone[],
  tools: RealTools,
  seen: Map<string, RealImageOutcomes>,
  kept: RealOutcomeCache | null,
  report: CampaignReport,
): Promise<Map<number, RealImageOutcomes | undefined>> {
  const first = new Map<string, CaseDone>();
  for (const d of done) if (!seen.has(d.key) && !first.has(d.key) && !d.repeated) first.set(d.key, d);
  for (const [key, d] of first) {
    const before = kept?.get(d.digest);
    if (before === undefined) continue;
    seen.set(key, before);
    first.delete(key);
    report.count('images whose real outcomes were kept from an earlier run');
  }
  const run = new Set([...first.values()].map((d) => d.index));
  for (const d of done) if (!run.has(d.index)) rmSync(imagePath(dir, d.index), { force: true });
  const outcomes = await runRealBatch(dir, [...run], tools);
  for (const [key, d] of first) {
    const mine = new Map<string, ToolOutcome>();
    for (const release of tools.keys())
      COMPARED.forEach((_, t) => {
        const o = outcomes.get(`${release} ${d.index} ${t}`);
        if (o !== undefined) mine.set(`${release} ${t}`, o);
      });
    seen.set(key, mine);
    kept?.put(d.digest, mine);
  }
  report.count('distinct images run by the real tools', run.size);
  return new Map(done.map((d) => [d.index, seen.get(d.key)]));
}

/** The batches' indexes, dealt to `n` jobs in turn (cases differ in cost by base image). */
function deal(first: number, end: number, n: number): number[][] {
  const jobs: number[][] = Array.from({ length: n }, () => []);
  for (let i = first; i < end; i++) jobs[(i - first) % n]!.push(i);
  return jobs.filter((j) => j.length > 0);
}

/** Runs the campaign and returns its report (counts, findings, peak memory, slowest case). */
export async function metadataCampaign(o: MetadataCampaignOptions): Promise<CampaignReport> {
  const report = new CampaignReport('metadata', o.seed);
  const tools = o.real ? realTools(report) : new Map<ToolsRelease, string>();
  const dir = o.real ? mkdtempSync(join(tmpdir(), 'thinlab-reliability-')) : null;
  const batch = o.batch ?? 100;
  const nWorkers = o.workers ?? 2;
  const workers = Array.from({ length: nWorkers }, () => new CaseWorker(o.hangMs ?? 120_000));
  const bases = nWorkers === 0 ? baseImages() : null;
  const labCache: LabCache = new Map();
  let pendingReal: Promise<void> = Promise.resolve();
  const seenReal = new Map<string, RealImageOutcomes>();
  const kept = o.real && o.keptRealDir != null ? new RealOutcomeCache(o.keptRealDir, tools) : null;
  try {
    for (let first = o.first ?? 0; first < o.cases; first += batch) {
      const end = Math.min(o.cases, first + batch);
      const done: CaseDone[] = [];
      const where = (index: number): Finding => ({ where: `case ${index} (seed ${o.seed})`, what: 'lab tools' });
      const onHang = (index: number): void => report.find('hang', where(index));
      if (bases !== null)
        runJob(
          bases,
          { seed: o.seed, indexes: deal(first, end, 1)[0]!, dir },
          (m) => {
            if (m.kind === 'done') done.push(m);
          },
          labCache,
        );
      else
        await Promise.all(
          deal(first, end, nWorkers).map((indexes, w) =>
            workers[w]!.run({ seed: o.seed, indexes, dir }, (d) => done.push(d), onHang),
          ),
        );
      // The previous batch's real tools have run beside this batch's lab; wait for them first.
      await pendingReal;
      const compare = async (): Promise<void> => {
        done.sort((a, b) => a.index - b.index);
        const real = dir === null ? null : await realOutcomes(dir, done, tools, seenReal, kept, report);
        for (const d of done) {
          if (d.repeated) report.count('images met again (lab outcomes reused)');
          checkCase(d, real?.get(d.index), report, o.progress === true ? (l) => process.stderr.write(l) : null);
        }
        if (o.progress === true)
          process.stderr.write(
            `metadata: ${end} of ${o.cases} cases, ${Math.round(report.elapsedS())} s: ${report.brief()}\n`,
          );
      };
      pendingReal = compare();
    }
    await pendingReal;
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

export type { Finding };
