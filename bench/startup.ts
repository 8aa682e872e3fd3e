/**
 * Start-up figures for `npm run bench`: how long `thinlab --help`, `log`, `at`, `diff` and
 * `explain` take as a user runs them (node bin/thinlab.js, the compiled dist/), each the median of
 * several runs, against `node -e 0` measured in the same run, interleaved with them so that a busy
 * machine slows both alike. `log`, `at` and `diff` read a 1,000-event history made first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
/**
 * The CLI to time: bin/thinlab.js, or another build's entry (BENCH_STARTUP_BIN, say the
 * bin/thinlab.js of a worktree of the commit before, built), so that a change is measured against
 * the code before it in the same minutes of a shared machine.
 */
const BIN = process.env.BENCH_STARTUP_BIN ?? join(ROOT, 'bin', 'thinlab.js');
const RUNS = Number(process.env.BENCH_START_RUNS ?? 11);
const EVENTS = 1000;

export interface StartupRow {
  readonly command: string;
  readonly medianMs: number;
  readonly ratio: number;
  /** CPU time (user + system) of the process, median: what a busy machine does not inflate. */
  readonly medianCpuMs: number;
  readonly cpuRatio: number;
  readonly target: number;
}

export interface StartupFigures {
  /** What bin/thinlab.js ran: the esbuild bundle, tsc's dist/src, or the sources through tsx. */
  readonly build: 'dist/bundle' | 'dist/src' | 'tsx' | 'BENCH_STARTUP_BIN';
  readonly baselineMs: number;
  readonly baselineCpuMs: number;
  readonly rows: readonly StartupRow[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Wall time of one run, and its CPU time (user + system). The CPU time comes from the child's own
 * resource usage, written at exit by a preloaded one-liner (process.cpuUsage counts from the
 * process's start, so node's bootstrap is in it): on a machine shared with other work the wall
 * time mostly measures waiting for a core, the CPU time does not.
 */
const CPU_REPORT = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('cpu-us '+(u.user+u.system)+'\\n')})`;
function timeMs(args: readonly string[], cwd: string): { wallMs: number; cpuMs: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', CPU_REPORT, ...args], {
    cwd,
    env: { ...process.env, THINLAB_STORE: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`bench: ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const cpu = /cpu-us (\d+)\n$/.exec(r.stderr);
  if (cpu === null) throw new Error(`bench: ${args.join(' ')} reported no CPU time`);
  return { wallMs, cpuMs: Number(cpu[1]) / 1000 };
}

/** A history of EVENTS commands: a pool, a thin, writes and status lines. */
function makeHistory(dir: string): void {
  const lines = [
    'dmsetup create pool --table "0 20480 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
    'dmsetup message pool 0 "create_thin 0"',
    'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
  ];
  for (let i = lines.length; i < EVENTS; i++)
    lines.push(
      i % 2 === 0
        ? `dd if=/patterns/A of=/dev/mapper/thin bs=64k count=1 seek=${i % 150} oflag=direct 2>/dev/null`
        : 'dmsetup status pool',
    );
  writeFileSync(join(dir, 'history.sh'), `${lines.join('\n')}\n`);
  const r = spawnSync(process.execPath, [BIN, 'sh', 'history.sh'], {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, THINLAB_STORE: '' },
  });
  if (r.status !== 0) throw new Error(`bench: recording the ${EVENTS}-event history failed (${r.status})`);
}

export function startupBench(): StartupFigures {
  const build =
    process.env.BENCH_STARTUP_BIN !== undefined
      ? 'BENCH_STARTUP_BIN'
      : existsSync(join(ROOT, 'dist', 'bundle', 'main.cjs'))
        ? 'dist/bundle'
        : existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))
          ? 'dist/src'
          : 'tsx';
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-startup-'));
  try {
    makeHistory(dir);
    const commands: Array<[string, string[], number]> = [
      ['thinlab --help', ['--help'], 2],
      [`thinlab log (${EVENTS} events)`, ['log'], 2],
      ['thinlab at 500', ['at', '500'], 3],
      ['thinlab diff 10 900', ['diff', '10', '900'], 3],
      [
        "thinlab explain 'switching pool to fail mode'",
        ['explain', 'device-mapper: thin: 253:0: switching pool to fail mode'],
        3,
      ],
    ];
    const base: Array<{ wallMs: number; cpuMs: number }> = [];
    const times = commands.map(() => [] as Array<{ wallMs: number; cpuMs: number }>);
    // One untimed round warms the file cache for node and for the compiled modules alike.
    timeMs(['-e', '0'], dir);
    for (const [, args] of commands) timeMs([BIN, ...args], dir);
    for (let r = 0; r < RUNS; r++) {
      base.push(timeMs(['-e', '0'], dir));
      for (const [i, [, args]] of commands.entries()) times[i]!.push(timeMs([BIN, ...args], dir));
    }
    const baselineMs = median(base.map((t) => t.wallMs));
    const baselineCpuMs = median(base.map((t) => t.cpuMs));
    const rows = commands.map(([command, , target], i) => {
      const medianMs = median(times[i]!.map((t) => t.wallMs));
      const medianCpuMs = median(times[i]!.map((t) => t.cpuMs));
      return {
        command,
        medianMs,
        ratio: medianMs / baselineMs,
        medianCpuMs,
        cpuRatio: medianCpuMs / baselineCpuMs,
        target,
      };
    });
    return { build, baselineMs, baselineCpuMs, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Markdown table for docs/performance.md. */
export function formatStartup(f: StartupFigures): string {
  const lines = [
    `| command (median of ${RUNS} runs, ${f.build}) | wall time | / node -e 0 | CPU time | / node -e 0 | target |`,
    '|---|---|---|---|---|---|',
    `| node -e 0, same run | ${f.baselineMs.toFixed(0)} ms | 1.00 | ${f.baselineCpuMs.toFixed(0)} ms | 1.00 | - |`,
    ...f.rows.map(
      (r) =>
        `| ${r.command} | ${r.medianMs.toFixed(0)} ms | ${r.ratio.toFixed(2)} | ${r.medianCpuMs.toFixed(0)} ms | ${r.cpuRatio.toFixed(2)} | <= ${r.target} |`,
    ),
  ];
  return lines.join('\n');
}

// `node --import tsx bench/startup.ts` runs this part alone.
if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const load = (): string => loadavg()[0]!.toFixed(1);
  const started = `${new Date().toISOString().slice(11, 16)} UTC, load ${load()}`;
  const f = startupBench();
  process.stdout.write(`${formatStartup(f)}\n(started ${started}, load ${load()} at the end)\n`);
}
