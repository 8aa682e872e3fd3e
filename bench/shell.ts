/**
 * The lab shell's long-input cases (issue 17, defects 9 and 10): pattern operators over 40,000
 * characters, which were quadratic (13.4 s against busybox's 0.01 s), and endless producers into
 * `head`, which were fully buffered. The tests check what these print; their speed is measured
 * here, as the median of several runs, against the same script's set-up alone and against the
 * host's busybox (the VM's build) where it is installed; busybox itself is quadratic on some of
 * them (`${x//*p/r}` over 40,000 characters runs past 20 s), so it gets 10 s.
 */
import { spawnSync } from 'node:child_process';
import { LabShell } from '../src/lab/lab-shell.js';

const RUNS = 5;
const SETUP = 'x=$(printf "%40000s" a)';

/**
 * Each case: its script after SETUP, its target in milliseconds (lab, median), and the RAM disk it
 * needs (4 MiB by default).
 */
const CASES: readonly {
  readonly name: string;
  readonly script: string;
  readonly targetMs: number;
  readonly ramdiskKb?: number;
}[] = [
  {
    name: '${x//*p/r}, ${x//a*b/r}, ${x// */r}, ${x/% */r}, ${x/#* /r}',
    script: 'y=${x//*p/r}; y=${x//a*b/r}; y=${x// */r}; y=${x/% */r}; y=${x/#* /r}',
    targetMs: 1000,
  },
  {
    name: '${x%%*p} ${x##*p} ${x%*p} ${x#*p} ${x%% *} ${x##* } ${x%a*} ${x#*  *  *}',
    script: 'y="${x%%*p} ${x##*p} ${x%*p} ${x#*p} ${x%% *} ${x##* } ${x%a*} ${x#*  *  *}"',
    targetMs: 1000,
  },
  { name: '${x// /ab} ${x//?/c}', script: 'y=${x// /ab}; z=${x//?/c}', targetMs: 1000 },
  { name: 'seq 1 1000000000 | head -c 10', script: 'seq 1 1000000000 | head -c 10 >/dev/null', targetMs: 3000 },
  {
    name: 'md5sum of a 3 TB sparse file (refused by name)',
    script: 'truncate -s 3055464578907 /tmp/f; md5sum /tmp/f 2>/dev/null',
    targetMs: 3000,
  },
  {
    name: 'head, tail, od and cut on a 64 MiB device (/dev/ram0)',
    script:
      'head -c 3 /dev/ram0 | wc -c; tail -c 5 /dev/ram0 | wc -c; od /dev/ram0 | tail -n 2; cut -c 1-3 /dev/ram0 | wc -c',
    targetMs: 60_000,
    ramdiskKb: 65536,
  },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function labMs(script: string, ramdiskKb = 4096): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const sh = new LabShell({ ramdiskKb });
    const t0 = process.hrtime.bigint();
    sh.runScript(script);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

/** busybox's own time: null when it is not installed, Infinity past BUSYBOX_LIMIT_MS (it too is quadratic on some). */
const BUSYBOX_LIMIT_MS = 10_000;

function busyboxMs(script: string): number | null {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('busybox', ['sh', '-c', script], { stdio: 'ignore', timeout: BUSYBOX_LIMIT_MS });
    if (r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (r.signal !== null) return Number.POSITIVE_INFINITY;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

export interface ShellBenchRow {
  readonly name: string;
  readonly labMs: number;
  readonly setupMs: number;
  readonly busyboxMs: number | null;
  readonly targetMs: number;
}

export function shellBench(): ShellBenchRow[] {
  const setupMs = labMs(SETUP);
  return CASES.map((c) => {
    const script = `${SETUP}\n${c.script}`;
    // The sparse-file case writes /tmp/f on the host under busybox, and the host has no lab RAM
    // disk: those are left to the lab alone.
    const host = c.script.includes('/tmp/') || c.script.includes('/dev/ram') ? null : busyboxMs(script);
    return { name: c.name, labMs: labMs(script, c.ramdiskKb), setupMs, busyboxMs: host, targetMs: c.targetMs };
  });
}

export function shellTable(rows: readonly ShellBenchRow[]): string {
  const lines = [
    `| lab shell, after \`${SETUP}\` (median of ${RUNS}) | lab | set-up alone | busybox sh | lab / set-up | target |`,
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const host =
      r.busyboxMs === null
        ? '-'
        : Number.isFinite(r.busyboxMs)
          ? `${r.busyboxMs.toFixed(0)} ms`
          : `> ${BUSYBOX_LIMIT_MS / 1000} s`;
    lines.push(
      `| \`${r.name}\` | ${r.labMs.toFixed(0)} ms | ${r.setupMs.toFixed(0)} ms | ${host} | ${(r.labMs / r.setupMs).toFixed(1)} | < ${r.targetMs} ms |`,
    );
  }
  return lines.join('\n');
}
