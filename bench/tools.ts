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
import { LabShell } from '../src/shell/shell.js';

const MAPPINGS = 1_000_000;
const DEVICES = 4;
const RUNS = 3;

export interface ToolFigures {
  readonly available: boolean;
  readonly rows: ReadonlyArray<{ tool: string; labMs: number; labFirstMs: number; realMs: number }>;
}

export function toolsBenchImage(): MetadataImage {
  const perDevice = MAPPINGS / DEVICES;
  const refcounts = new Uint32Array(MAPPINGS);
  const devices = new Map<number, { details: { mappedBlocks: number; transactionId: bigint; creationTime: number; snapshottedTime: number }; table: MappingTable }>();
  for (let d = 0; d < DEVICES; d++) {
    const table = new MappingTable();
    for (let vb = 0; vb < perDevice; vb++) {
      // Scattered blocks (7919 is coprime with the count), so no two mappings merge into a range
      // and the dump has a line per mapping, as a long-lived pool's would.
      const block = ((d * perDevice + vb) * 7919) % MAPPINGS;
      table.insert(vb, block, 0, 1);
      refcounts[block] = 1;
    }
    devices.set(d, { details: { mappedBlocks: perDevice, transactionId: 0n, creationTime: 0, snapshottedTime: 0 }, table });
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
    const rows: Array<{ tool: string; labMs: number; labFirstMs: number; realMs: number }> = [];
    for (const [tool, args] of [
      ['thin_check', []],
      ['thin_dump', []],
    ] as const) {
      const lab: number[] = [];
      const realMs: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        let sink = 0;
        const t0 = process.hrtime.bigint();
        const status = runThinTool(tool, { machine: shell.machine, fs: shell.fs }, [...args, '/files/big.img'], {
          stdin: () => new Uint8Array(0),
          out: (d: Uint8Array | string) => {
            sink += d.length;
          },
          err: () => undefined,
        } as never);
        lab.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (status !== 0 || (tool === 'thin_dump' && sink < 40 * MAPPINGS)) throw new Error(`lab ${tool} failed`);
        const t1 = process.hrtime.bigint();
        const out = spawnSync(tool, [...args, file], { maxBuffer: 1 << 30 });
        realMs.push(Number(process.hrtime.bigint() - t1) / 1e6);
        if (out.status !== 0) throw new Error(`real ${tool} failed: ${out.stderr}`);
      }
      // The first lab run also turns the file's stored sectors into bytes (the lab's page cache is
      // cold then); later runs reuse them, as the real tool's reads hit the kernel's page cache.
      rows.push({ tool, labMs: median(lab), labFirstMs: lab[0]!, realMs: median(realMs) });
    }
    return { available: true, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
