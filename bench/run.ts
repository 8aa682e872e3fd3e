/**
 * `npm run bench`: the model's speed and memory targets (issue: a 1 TiB pool at 64 KiB blocks
 * holding 8M mapped blocks across 100 thins and snapshots fits in 1 GiB; at least 2M single-block
 * writes per second). Each figure is the median of several runs, next to a baseline measured in
 * the same run: the bare cost of the typed-array stores a write must touch at the least (one
 * mapping slot, one refcount, one data-device slot). Prints a Markdown table for docs/performance.md.
 */
import { cpus, totalmem } from 'node:os';
import { type DmDevice, Machine } from '../src/model/machine.js';
import { historyBench } from './history.js';
import { propsBench } from './props.js';
import { shellBench, shellTable } from './shell.js';
import { formatStartup, startupBench } from './startup.js';
import { toolsBench } from './tools.js';
import { uiBench, uiTable } from './ui.js';

const DATA_BLOCK_SECTORS = 128;
const POOL_BLOCKS = 16_777_216; // 1 TiB of 64 KiB blocks
const THINS = 100;
const ORIGINS = 50;
const TARGET_MAPPED = 8_000_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WRITES_PER_RUN = Number(process.env.BENCH_WRITES ?? 2_000_000);

function must(ok: boolean | number, what: string): void {
  if (ok === false || (typeof ok === 'number' && ok !== 0)) throw new Error(`bench set-up failed: ${what}`);
}

function buildPool(): { machine: Machine; thins: DmDevice[] } {
  const machine = new Machine({ ramdiskKb: [1024 * 1024, (POOL_BLOCKS * DATA_BLOCK_SECTORS) / 2] });
  const pool = machine.create('pool');
  must(pool.ok, 'create pool');
  if (!pool.ok) throw new Error('unreachable');
  must(
    machine.load(
      pool.value,
      `0 ${POOL_BLOCKS * DATA_BLOCK_SECTORS} thin-pool /dev/ram0 /dev/ram1 ${DATA_BLOCK_SECTORS} 0`,
    ).ok,
    'load pool',
  );
  must(machine.resume(pool.value).ok, 'resume pool');
  // The node `dmsetup mknodes` would make, for the thin tables below to name the pool by path.
  machine.addMapperNode('pool', pool.value.minor);
  return { machine, thins: [] };
}

function activate(machine: Machine, id: number): DmDevice {
  const dev = machine.create(`thin${id}`);
  if (!dev.ok) throw new Error(`create thin${id}`);
  must(machine.load(dev.value, `0 ${1 << 30} thin /dev/mapper/pool ${id}`).ok, `load thin${id}`);
  must(machine.resume(dev.value).ok, `resume thin${id}`);
  return dev.value;
}

/** Scale: 50 origins filled with 160K blocks each (8M mappings), 50 snapshots of them. */
function scaleRun(): { heapMiB: number; externalMiB: number; mapped: number; used: number; seconds: number } {
  const start = process.hrtime.bigint();
  const { machine } = buildPool();
  const poolDev = machine.device('pool')!;
  const block = new Uint32Array(DATA_BLOCK_SECTORS).fill(65);
  const perOrigin = TARGET_MAPPED / ORIGINS;
  for (let id = 0; id < ORIGINS; id++) {
    must(machine.message(poolDev, ['create_thin', String(id)]), 'create_thin');
    const dev = activate(machine, id);
    for (let vb = 0; vb < perOrigin; vb++) machine.writeSectors(dev, vb * DATA_BLOCK_SECTORS, block);
  }
  for (let id = ORIGINS; id < THINS; id++) {
    must(machine.message(poolDev, ['create_snap', String(id), String(id - ORIGINS)]), 'create_snap');
  }
  const status = machine.targetStatus(poolDev, false).split(' ');
  const pool = machine.livePools()[0]!;
  let mapped = 0;
  for (const d of pool.md.devices.values()) mapped += d.details.mappedBlocks;
  globalThis.gc?.();
  const mem = process.memoryUsage();
  return {
    heapMiB: mem.heapUsed / 2 ** 20,
    externalMiB: mem.arrayBuffers / 2 ** 20,
    mapped,
    used: Number(status[2]!.split('/')[0]),
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
  };
}

/** Single-block writes to fresh blocks of one thin: provisioning on every write. */
function writeRun(): number {
  const { machine } = buildPool();
  const poolDev = machine.device('pool')!;
  must(machine.message(poolDev, ['create_thin', '0']), 'create_thin');
  const dev = activate(machine, 0);
  const block = new Uint32Array(DATA_BLOCK_SECTORS).fill(66);
  const t0 = process.hrtime.bigint();
  for (let vb = 0; vb < WRITES_PER_RUN; vb++) machine.writeSectors(dev, vb * DATA_BLOCK_SECTORS, block);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return WRITES_PER_RUN / seconds;
}

/**
 * Baseline: what a naive model does per provisioning write, an object per mapping in a Map and a
 * refcount array, with the same data-device store. It is what "compact typed structures" are
 * measured against; it also needs far more memory (not measured here).
 */
function baselineRun(memory?: { bytes: number }): number {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const mappings = new Map<number, { dataBlock: number; time: number }>();
  const refcounts = new Uint32Array(POOL_BLOCKS);
  const content = new Uint32Array(POOL_BLOCKS);
  let next = 0;
  const t0 = process.hrtime.bigint();
  for (let vb = 0; vb < WRITES_PER_RUN; vb++) {
    if (!mappings.has(vb)) {
      while (refcounts[next] !== 0) next++;
      refcounts[next] = 1;
      mappings.set(vb, { dataBlock: next, time: 0 });
    }
    content[mappings.get(vb)!.dataBlock] = 66;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (memory !== undefined) {
    globalThis.gc?.();
    memory.bytes = process.memoryUsage().heapUsed - heapBefore + refcounts.byteLength + content.byteLength;
  }
  if (mappings.size !== WRITES_PER_RUN) throw new Error('baseline lost mappings');
  return WRITES_PER_RUN / seconds;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the bench is one script read top to bottom: each figure measured in turn, in the order docs/performance.md reports them.
async function main(): Promise<void> {
  const writes: number[] = [];
  const baselines: number[] = [];
  // One untimed round first, so that every timed run sees optimised code.
  baselineRun();
  writeRun();
  for (let r = 0; r < RUNS; r++) {
    baselines.push(baselineRun());
    writes.push(writeRun());
    process.stderr.write(
      `run ${r + 1}/${RUNS}: ${(writes[r]! / 1e6).toFixed(2)}M writes/s, baseline ${(baselines[r]! / 1e6).toFixed(1)}M/s\n`,
    );
  }
  process.stderr.write('start-up: thinlab commands against node -e 0...\n');
  const startup = startupBench();
  const naiveMemory = { bytes: 0 };
  baselineRun(naiveMemory);
  const scale = scaleRun();
  const w = median(writes);
  const b = median(baselines);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `| figure | value | target |`,
    `|---|---|---|`,
    `| single-block provisioning writes (median of ${RUNS} runs of ${WRITES_PER_RUN.toLocaleString('en')}) | ${(w / 1e6).toFixed(2)}M writes/s | >= 2M/s |`,
    `| baseline: naive model (Map of objects per mapping), same run | ${(b / 1e6).toFixed(1)}M writes/s | - |`,
    `| model / baseline | ${(w / b).toFixed(3)} | - |`,
    `| memory per mapping: naive baseline (Map of objects, ${WRITES_PER_RUN.toLocaleString('en')} mappings) | ${(naiveMemory.bytes / WRITES_PER_RUN).toFixed(0)} bytes | - |`,
    `| memory per mapping: model (the 1 TiB pool below, heap + typed arrays / mappings) | ${(((scale.heapMiB + scale.externalMiB) * 2 ** 20) / scale.mapped).toFixed(0)} bytes | - |`,
    `| 1 TiB pool (16,777,216 blocks of 64 KiB), ${scale.used.toLocaleString('en')} data blocks mapped, ${scale.mapped.toLocaleString('en')} mappings over ${ORIGINS} thins + ${THINS - ORIGINS} snapshots: JS heap | ${scale.heapMiB.toFixed(0)} MiB | - |`,
    `| same: typed arrays (outside the JS heap) | ${scale.externalMiB.toFixed(0)} MiB | - |`,
    `| same: heap + typed arrays | ${(scale.heapMiB + scale.externalMiB).toFixed(0)} MiB | < 1024 MiB |`,
    `| building that pool | ${scale.seconds.toFixed(1)} s | - |`,
  ];
  process.stdout.write(
    `machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n\n${lines.join('\n')}\n`,
  );
  process.stdout.write(`\n${formatStartup(startup)}\n`);
  process.stderr.write('event log: appending, replaying and seeking...\n');
  const hist = await historyBench();
  const history = [
    `| figure | value | target |`,
    `|---|---|---|`,
    `| append to SQLite in batches of 1000 (1M BlocksWritten events, with their summaries) | ${(hist.appendPerSecond / 1e3).toFixed(0)}K events/s | >= 100K/s |`,
    `| computing each event's summary while recording | ${hist.summaryMicrosPerEvent.toFixed(2)} µs/event | - |`,
    `| raw better-sqlite3 insert loop, same row shape, same run (the ceiling) | ${(hist.rawInsertPerSecond / 1e3).toFixed(0)}K rows/s | - |`,
    `| append / raw | ${(hist.appendPerSecond / hist.rawInsertPerSecond).toFixed(2)} | - |`,
    `| full replay of those events (read, decode, apply, check) | ${(hist.replayPerSecond / 1e3).toFixed(0)}K events/s | >= 500K/s |`,
    `| seek to a position, ${20} spread-out positions: median / p95 | ${hist.seekMedianMs.toFixed(0)} / ${hist.seekP95Ms.toFixed(0)} ms | p95 < 200 ms |`,
    `| checkpoints (every 10,000 events): count, total size | ${hist.checkpoints}, ${(hist.checkpointBytes / 2 ** 20).toFixed(1)} MiB | - |`,
    `| database file | ${(hist.databaseBytes / 2 ** 20).toFixed(0)} MiB | - |`,
  ];
  process.stdout.write(`\n${history.join('\n')}\n`);
  process.stderr.write('thinlab ui: the usage plot and slider moves on a 1M-event branch...\n');
  process.stdout.write(`\n${uiTable(await uiBench())}\n`);
  process.stderr.write('thin tools: lab against the real 0.9.0 binaries...\n');
  const tools = toolsBench();
  if (!tools.available)
    process.stdout.write('\nthin tools: the real thin-provisioning-tools are not installed; skipped\n');
  else {
    const lines = [
      '| tool, image with 1,000,000 mappings (median of 3) | lab | lab, first run | real 0.9.0 | lab / real | first / real | target |',
      '|---|---|---|---|---|---|---|',
    ];
    for (const r of tools.rows) {
      lines.push(
        `| ${r.tool}, wall clock | ${r.labMs.toFixed(0)} ms | ${r.labFirstMs.toFixed(0)} ms | ${r.realMs.toFixed(0)} ms | ${(r.labMs / r.realMs).toFixed(2)} | ${(r.labFirstMs / r.realMs).toFixed(2)} | <= 1 |`,
      );
      lines.push(
        `| ${r.tool}, CPU time | ${r.labCpuMs.toFixed(0)} ms | ${r.labFirstCpuMs.toFixed(0)} ms | ${r.realCpuMs.toFixed(0)} ms | ${(r.labCpuMs / r.realCpuMs).toFixed(2)} | ${(r.labFirstCpuMs / r.realCpuMs).toFixed(2)} | <= 1 |`,
      );
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
  process.stderr.write('lab shell: pattern operators over 40,000 characters, endless producers...\n');
  const shell = shellBench();
  process.stdout.write(`\n${shellTable(shell)}\n`);
  process.stderr.write('property tests: sequences of 50 commands with every invariant on...\n');
  const props = propsBench();
  process.stdout.write(
    `\n| figure | value | target |\n|---|---|---|\n` +
      `| property sequences of 50 drawn commands (${(props.commandsRun / props.sequences).toFixed(1)} run on average), every per-command invariant on (median of 5 passes over ${props.sequences}) | ${props.checkedPerSecond.toFixed(0)} seq/s | >= 2000 seq/s |\n` +
      `| baseline: the same sequences, model and reference only, no invariant checked | ${props.baselinePerSecond.toFixed(0)} seq/s | - |\n` +
      `| checked / baseline | ${(props.checkedPerSecond / props.baselinePerSecond).toFixed(2)} | - |\n` +
      `| whole fast-check campaign (fc.commands up to 50, drawing included, 7-9 off) | ${props.campaignPerSecond.toFixed(0)} seq/s | - |\n`,
  );
  const failed =
    startup.rows.some((r) => r.ratio > r.target) ||
    props.checkedPerSecond < 2000 ||
    w < 2e6 ||
    scale.heapMiB + scale.externalMiB >= 1024 ||
    hist.appendPerSecond < 1e5 ||
    hist.replayPerSecond < 5e5 ||
    hist.seekP95Ms >= 200 ||
    shell.some((r) => r.labMs >= r.targetMs);
  if (failed) process.stdout.write('\nA target was missed.\n');
}

await main();
