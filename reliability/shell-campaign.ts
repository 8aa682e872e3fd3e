/**
 * The shell campaign: generated lines (shell-lines.ts) through the lab shell in a worker thread,
 * counting internal errors (a JavaScript exception escaping the shell, or its text in the output),
 * hangs (a line that has used hangMs of CPU and still runs: the worker is terminated and the
 * campaign goes on with the next line) and heap exhaustion (the worker's heap limit). It reports the shell's
 * problems; it fixes none (the shell's limits are src/shell's work).
 */
import { Worker } from 'node:worker_threads';
import { CampaignReport, type Finding } from './report.js';
import { fixtureLines, shellLine } from './shell-lines.js';
import type { WorkerInput, WorkerMessage } from './shell-worker.js';

export interface ShellCampaignOptions {
  readonly seed: number;
  /** Lines [first, lines) run; first is 0 unless a run goes on from an earlier one's end. */
  readonly lines: number;
  readonly first?: number;
  /** A line that has used this much CPU time and still runs is a hang. */
  readonly hangMs?: number;
  /** The worker's heap: the lab VM has 1 GiB, and the lab should fit well inside it. */
  readonly heapMb?: number;
  /** Lines run in one lab shell before a fresh one. */
  readonly group?: number;
  /**
   * Lines that replace the generated ones at these indexes: a test plants an internal error or a
   * hang this way, to see that the campaign (and the slice in npm test) catches it.
   */
  readonly planted?: Readonly<Record<number, string>>;
  /**
   * Every finding on standard error as it is met, and a line of counts every PROGRESS_LINES
   * lines: a full-size run takes an hour, and its report keeps only the first findings of a kind.
   */
  readonly progress?: boolean;
}

/** How often a run with progress says where it is. */
const PROGRESS_LINES = 1000;

/** A line running this many times the hang timeout in wall time is a hang, whatever CPU it got. */
const WALL_FACTOR = 30;

/** Runs lines [first, end) in one worker; resolves with the index to go on from. */
function runWorker(o: ShellCampaignOptions, first: number, report: CampaignReport, corpus: string[]): Promise<number> {
  const input: WorkerInput = { seed: o.seed, first, end: o.lines, group: o.group ?? 20, planted: o.planted ?? {} };
  const worker = new Worker(new URL('./shell-worker.mjs', import.meta.url), {
    workerData: input,
    resourceLimits: { maxOldGenerationSizeMb: o.heapMb ?? 768 },
  });
  return new Promise((resolve) => {
    // The next worker starts only once this one has exited: a terminated worker that held a heap
    // of 768 MiB beside a fresh one made a peak RSS of 1,865 MiB in session 8's run.
    let goOnFrom: number | null = null;
    let current = first;
    let timer: NodeJS.Timeout | null = null;
    const where = (i: number): string =>
      `line ${i} (seed ${o.seed}): ${(o.planted?.[i] ?? shellLine(corpus, o.seed, i)).slice(0, 300)}`;
    const hangMs = o.hangMs ?? 10_000;
    const found = (kind: string, f: Finding): void => {
      report.find(kind, f);
      if (o.progress === true) process.stderr.write(`shell: ${kind}: ${f.where}\n  ${f.what}\n`);
    };
    const done = (): void => {
      report.count('lines');
      const n = report.counts.get('lines') ?? 0;
      if (o.progress === true && n % PROGRESS_LINES === 0)
        process.stderr.write(`shell: ${n} lines, ${Math.round(report.elapsedS())} s: ${report.brief()}\n`);
    };
    // A hang is a line that used hangMs of CPU, not of wall time: on a machine shared with other
    // work (load 25 on two cores) a line of a second waits for minutes. The main thread only waits
    // for messages, so the process's CPU time is the worker's. A line past WALL_FACTOR times the
    // timeout in wall time is a hang whatever its CPU.
    let lineCpu = process.cpuUsage();
    let lineWallMs = 0;
    const cpuMs = (): number => {
      const u = process.cpuUsage(lineCpu);
      return (u.user + u.system) / 1000;
    };
    const check = (): void => {
      const used = cpuMs();
      if (used < hangMs && performance.now() - lineWallMs < WALL_FACTOR * hangMs) {
        timer = setTimeout(check, Math.max(100, hangMs - used));
        return;
      }
      found('hang', { where: where(current), what: `still running after ${Math.round(used)} ms of CPU` });
      done();
      goOnFrom = current + 1;
      void worker.terminate();
    };
    const arm = (): void => {
      if (timer !== null) clearTimeout(timer);
      lineCpu = process.cpuUsage();
      lineWallMs = performance.now();
      timer = setTimeout(check, hangMs);
    };
    worker.on('message', (m: WorkerMessage) => {
      // A worker being terminated may still say something; its lines are accounted for.
      if (goOnFrom !== null) return;
      if (m.kind === 'start') {
        current = m.index;
        arm();
        return;
      }
      report.sampleMemory(m.rssBytes);
      report.slowest(m.wallMs);
      if (m.internal !== null) found('internal error', { where: where(m.index), what: m.internal });
      done();
    });
    worker.on('error', (e) => {
      if (timer !== null) clearTimeout(timer);
      const kind = /out of memory|heap/i.test(String(e)) ? 'heap exhausted' : 'internal error';
      found(kind, { where: where(current), what: String(e) });
      done();
      goOnFrom = current + 1;
    });
    worker.on('exit', () => {
      if (timer !== null) clearTimeout(timer);
      resolve(goOnFrom ?? o.lines);
    });
  });
}

export async function shellCampaign(o: ShellCampaignOptions): Promise<CampaignReport> {
  const report = new CampaignReport('shell', o.seed);
  const corpus = fixtureLines();
  report.count('fixture lines in the grammar', corpus.length);
  let next = o.first ?? 0;
  while (next < o.lines) next = await runWorker(o, next, report, corpus);
  return report;
}
