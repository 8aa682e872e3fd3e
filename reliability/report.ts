/**
 * What a campaign reports: counts of what it ran, findings by kind (each with the seed that
 * replays it), peak memory and the slowest case. Findings are kept whole for the first few of each
 * kind and counted beyond, so that a bad run does not drown the report.
 */
export interface Finding {
  /** The case, with its seed: enough to run it again alone. */
  readonly where: string;
  readonly what: string;
}

const KEPT_PER_KIND = 5;

export class CampaignReport {
  readonly counts = new Map<string, number>();
  readonly findings = new Map<string, { total: number; first: Finding[] }>();
  private peakRssBytes = 0;
  private slowestMs = 0;
  private readonly startMs = performance.now();

  /** Every report made in this process, so that an interrupted run can still print its figures. */
  static readonly made: CampaignReport[] = [];

  constructor(
    readonly campaign: string,
    readonly seed: number,
  ) {
    CampaignReport.made.push(this);
  }

  count(what: string, by = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + by);
  }

  find(kind: string, f: Finding): void {
    const entry = this.findings.get(kind) ?? { total: 0, first: [] };
    entry.total++;
    if (entry.first.length < KEPT_PER_KIND) entry.first.push(f);
    this.findings.set(kind, entry);
  }

  total(kind: string): number {
    return this.findings.get(kind)?.total ?? 0;
  }

  /** Times one case and samples the memory after it. */
  time<T>(run: () => T): T {
    const start = performance.now();
    try {
      return run();
    } finally {
      this.slowestMs = Math.max(this.slowestMs, performance.now() - start);
      this.sampleMemory();
    }
  }

  /** A case's time, measured elsewhere (in a worker thread). */
  slowest(ms: number): void {
    this.slowestMs = Math.max(this.slowestMs, ms);
  }

  elapsedS(): number {
    return (performance.now() - this.startMs) / 1000;
  }

  sampleMemory(rssBytes = process.memoryUsage().rss): void {
    this.peakRssBytes = Math.max(this.peakRssBytes, rssBytes);
  }

  /** One line: the counts and the findings by kind so far (a long campaign's progress). */
  brief(): string {
    const parts = [...this.counts].map(([what, n]) => `${what} ${n}`);
    for (const [kind, { total }] of this.findings) parts.push(`${kind} ${total}`);
    return `${parts.join('; ')}; peak RSS ${Math.round(this.peakRssBytes / 2 ** 20)} MiB`;
  }

  /** The report as text: one line per count and finding kind, then the first findings. */
  format(): string {
    const lines = [`== ${this.campaign} campaign, seed ${this.seed}`];
    for (const [what, n] of this.counts) lines.push(`  ${what}: ${n}`);
    for (const [kind, { total }] of this.findings) lines.push(`  ${kind}: ${total}`);
    if (this.findings.size === 0) lines.push('  findings: none');
    lines.push(`  peak RSS: ${Math.round(this.peakRssBytes / 2 ** 20)} MiB`);
    lines.push(`  slowest case: ${Math.round(this.slowestMs)} ms`);
    lines.push(`  wall time: ${Math.round((performance.now() - this.startMs) / 1000)} s`);
    for (const [kind, { first }] of this.findings) {
      for (const f of first) lines.push(`-- ${kind}: ${f.where}\n${f.what}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
