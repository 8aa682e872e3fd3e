/**
 * thin_check and thin_dump of the lab against the real thin-provisioning-tools 0.9.0 on the same
 * metadata image with 1,000,000 mappings (issue: no slower than the real tools). Skipped, with a
 * line saying so, when the real tools are not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMetadataImage } from '../src/format/metadata-writer.js';
import { MappingTable } from '../src/model/mapping.js';
import type { MetadataImage } from '../src/model/metadata.js';
import { runThinTool } from '../src/tools/index.js';
import { LabShell } from '../src/lab/lab-shell.js';

const MAPPINGS = 1_000_000;
const DEVICES = 4;
const RUNS = 3;

/**
 * Wall-clock times, and CPU times (user + system), which a loaded machine disturbs far less: the
 * machines this runs on are shared, and the lab and the real tool can meet different loads.
 */
export interface ToolRow {
  readonly tool: string;
  readonly labMs: number;
  readonly labFirstMs: number;
  readonly realMs: number;
  readonly labCpuMs: number;
  readonly labFirstCpuMs: number;
  readonly realCpuMs: number;
}

/** The real tool's run, timed by bash's `time` for its CPU time; its output goes to /dev/null. */
function runReal(tool: string, file: string): { wallMs: number; cpuMs: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; { time ${tool} "$0" >/dev/null 2>&1; } 2>&1`, file], {
    encoding: 'latin1',
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`real ${tool} failed: ${r.stdout}${r.stderr}`);
  const [user, system] = r.stdout.trim().split(/\s+/).map(Number);
  return { wallMs, cpuMs: (user! + system!) * 1000 };
}

export interface ToolFigures {
  readonly available: boolean;
  readonly rows: readonly ToolRow[];
}

export function toolsBenchImage(): MetadataImage {
  const perDevice = MAPPINGS / DEVICES;
  const refcounts = new Uint32Array(MAPPINGS);
  const devices = new Map<
    number,
    {
      details: { mappedBlocks: number; transactionId: bigint; creationTime: number; snapshottedTime: number };
      table: MappingTable;
    }
  >();
  for (let d = 0; d < DEVICES; d++) {
    const table = new MappingTable();
    for (let vb = 0; vb < perDevice; vb++) {
      // Scattered blocks (7919 is coprime with the count), so no two mappings merge into a range
      // and the dump has a line per mapping, as a long-lived pool's would.
      const block = ((d * perDevice + vb) * 7919) % MAPPINGS;
      table.insert(vb, block, 0, 1);
      refcounts[block] = 1;
    }
    devices.set(d, {
      details: { mappedBlocks: perDevice, transactionId: 0n, creationTime: 0, snapshottedTime: 0 },
      table,
    });
  }
  return {
    time: 0,
    transactionId: 1n,
    dataBlockSizeSectors: 128,
    nrDataBlocks: MAPPINGS,
    metadataNrBlocks: 32768,
    needsCheck: false,
    devices,
    refcounts,
    heldRoot: null,
    generation: 1,
    metadataCursor: 0,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function toolsBench(): ToolFigures {
  const real = spawnSync('thin_check', ['-V'], { encoding: 'latin1' });
  if (real.status !== 0) return { available: false, rows: [] };
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-tools-'));
  try {
    const bytes = writeMetadataImage(toolsBenchImage(), 32768);
    const file = join(dir, 'big.img');
    writeFileSync(file, bytes);
    const shell = new LabShell({ files: new Map([['big.img', bytes]]) });
    const rows: ToolRow[] = [];
    for (const [tool, args] of [
      ['thin_check', []],
      ['thin_dump', []],
    ] as const) {
      const lab: number[] = [];
      const labCpu: number[] = [];
      const realMs: number[] = [];
      const realCpu: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        let sink = 0;
        const t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        const status = runThinTool(tool, { machine: shell.machine, fs: shell.fs }, [...args, '/files/big.img'], {
          stdin: () => new Uint8Array(0),
          out: (d: Uint8Array | string) => {
            sink += d.length;
          },
          err: () => undefined,
        } as never);
        lab.push(Number(process.hrtime.bigint() - t0) / 1e6);
        const cpu = process.cpuUsage(c0);
        labCpu.push((cpu.user + cpu.system) / 1000);
        if (status !== 0 || (tool === 'thin_dump' && sink < 40 * MAPPINGS)) throw new Error(`lab ${tool} failed`);
        const real = runReal(tool, file);
        realMs.push(real.wallMs);
        realCpu.push(real.cpuMs);
      }
      // The first lab run also turns the file's stored sectors into bytes (the lab's page cache is
      // cold then); later runs reuse them, as the real tool's reads hit the kernel's page cache.
      rows.push({
        tool,
        labMs: median(lab),
        labFirstMs: lab[0]!,
        realMs: median(realMs),
        labCpuMs: median(labCpu),
        labFirstCpuMs: labCpu[0]!,
        realCpuMs: median(realCpu),
      });
    }
    return { available: true, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
