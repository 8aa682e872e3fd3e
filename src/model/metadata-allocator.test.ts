/**
 * The allocator against the kernel: probe 95's history (fixtures/kernel-probes/95-metadata-block-layout,
 * recorded on Linux 6.1) replayed through it, each committed step compared field by field with
 * what the oracle read off the metadata device, and the first 256 entries of the metadata bitmap
 * byte for byte.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setBitmapEntry } from '../format/layout.js';
import { MetadataAllocator, type MetadataPlan } from './metadata-allocator.js';

interface ProbeStep {
  readonly name: string;
  readonly fields: ReadonlyMap<string, number>;
  readonly bitmapHex: string;
}

/** The probe's sections: `--- NAME`, three lines of `key=value` (prefixed per space map), and an od dump. */
function parseLayoutProbe(text: string): ProbeStep[] {
  const steps: ProbeStep[] = [];
  for (const section of text.split(/^--- /m).slice(1)) {
    const lines = section.split('\n');
    const fields = new Map<string, number>();
    let prefix = '';
    for (const line of lines.slice(1, 4)) {
      for (const word of line.split(' ')) {
        const [key, value] = word.split('=');
        if (value === undefined) {
          prefix = `${key}.`;
          continue;
        }
        fields.set(`${prefix}${key}`, Number(value));
      }
      prefix = '';
    }
    steps.push({ name: lines[0]!, fields, bitmapHex: odBytes(lines.slice(4)) });
  }
  return steps;
}

/** The 64 bytes an `od -A d -t x1 -j 16 -N 64` dump shows, `*` lines repeating the line before. */
function odBytes(lines: readonly string[]): string {
  const bytes: string[] = [];
  let last: string[] = [];
  let offset = 16;
  for (const line of lines) {
    const words = line.trim().split(/\s+/);
    if (words[0] === '*') continue;
    const at = Number(words[0]);
    while (offset < at && bytes.length < 64) {
      bytes.push(...last.slice(0, at - offset));
      offset += last.length;
    }
    last = words.slice(1);
    if (last.length === 0) break;
    bytes.push(...last);
    offset = at + last.length;
  }
  return bytes.slice(0, 64).join(' ');
}

function planFields(plan: MetadataPlan): Map<string, number> {
  return new Map([
    ['held_root', plan.held?.block ?? 0],
    ['mapping_root', plan.mappingRoot],
    ['details_root', plan.detailsRoot],
    ['data_sm.nr_blocks', plan.nrDataBlocks],
    ['data_sm.nr_allocated', plan.dataAllocated],
    ['data_sm.index_root', plan.dataIndexRoot],
    ['data_sm.refcount_root', plan.dataRefCountRoot],
    ['metadata_sm.nr_blocks', plan.metadataNrBlocks],
    ['metadata_sm.nr_allocated', plan.metadataAllocated],
    ['metadata_sm.index', plan.metadataIndex],
    ['metadata_sm.refcount_root', plan.metadataRefCountRoot],
    ['metadata_sm.bitmap0', plan.metadataBitmaps[0]!.block],
  ]);
}

function planBitmapHex(plan: MetadataPlan): string {
  const bytes = new Uint8Array(64);
  for (const [b, count] of plan.metadataCounts) if (b < 256) setBitmapEntry(bytes, 0, b, Math.min(count, 3));
  return [...bytes].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

const blocks = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Probe 95's history, as the pool runs it: one transaction per message and per forced commit. */
function probe95History(): MetadataPlan[] {
  const a = MetadataAllocator.format(16384);
  const plans: MetadataPlan[] = [];
  const step = (): void => {
    a.commit();
    plans.push(a.plan()!);
  };
  const write = (vb: number, data: number): void => {
    a.allocateData(data);
    a.insertMapping(0, vb, data);
  };
  a.resizeData(1024);
  step();
  a.createThin(0);
  step();
  write(0, 0);
  step();
  write(1, 1);
  step();
  // The oracle's `dd` of 8 blocks spanned the pool's periodic commit: two transactions.
  for (const vb of blocks(2, 6)) write(vb, vb);
  a.commit();
  for (const vb of blocks(6, 10)) write(vb, vb);
  step();
  step();
  a.createSnap(1, 0);
  step();
  write(0, 10);
  step();
  a.createThin(2);
  a.commit();
  a.createThin(3);
  step();
  a.deleteThin(1);
  step();
  a.reserveMetadataSnap();
  step();
  a.releaseMetadataSnap();
  step();
  return plans;
}

/** Probe 97's history: four single-block writes, a snapshot of a snapshot, and a copy out of the shared leaf. */
function probe97History(): MetadataPlan[] {
  const a = MetadataAllocator.format(16384);
  const plans: MetadataPlan[] = [];
  a.resizeData(1024);
  a.commit();
  a.createThin(0);
  a.commit();
  for (const vb of blocks(0, 4)) {
    a.allocateData(vb);
    a.insertMapping(0, vb, vb);
    a.commit();
  }
  plans.push(a.plan()!);
  a.createSnap(1, 0);
  a.commit();
  a.createSnap(2, 1);
  a.commit();
  plans.push(a.plan()!);
  a.allocateData(4);
  a.insertMapping(0, 0, 4);
  a.commit();
  plans.push(a.plan()!);
  return plans;
}

const layoutProbe = (name: string): ProbeStep[] =>
  parseLayoutProbe(readFileSync(new URL(`../../fixtures/kernel-probes/${name}`, import.meta.url), 'utf8'));

function expectStep(plan: MetadataPlan, expected: ProbeStep): void {
  const fields = planFields(plan);
  for (const [key, value] of expected.fields) {
    if (key === 'trans_id') continue;
    expect([key, fields.get(key)]).toEqual([key, value]);
  }
  expect(planBitmapHex(plan)).toBe(expected.bitmapHex);
}

describe('MetadataAllocator over probe 97', () => {
  const probe = layoutProbe('97-metadata-layout-sharing.out');
  const plans = probe97History();
  it('replays as many committed steps as the probe printed', () => expect(plans.length).toBe(probe.length));
  probe.forEach((expected, i) => {
    it(`puts every structure where Linux 6.1 did: ${expected.name}`, () => expectStep(plans[i]!, expected));
  });
});

describe('MetadataAllocator', () => {
  const probe = layoutProbe('95-metadata-block-layout.out');
  const plans = probe95History();

  it('replays as many committed steps as the probe printed', () => {
    expect(plans.length).toBe(probe.length);
  });

  probe.forEach((expected, i) => {
    it(`puts every structure where Linux 6.1 did: ${expected.name}`, () => expectStep(plans[i]!, expected));
  });
});

describe('MetadataAllocator on a full metadata device', () => {
  /** A 32-block device (as fixtures/kernel/21's) with one thin, then thins created until a transaction runs out of blocks. */
  function fillToExhaustion(): { a: MetadataAllocator; committedUsed: number; thins: number } {
    const a = MetadataAllocator.format(32);
    a.resizeData(512);
    a.createThin(0);
    a.commit();
    let committedUsed = a.usedBlocks();
    let thins = 1;
    for (; thins < 64; thins++) {
      a.createThin(thins);
      if (a.outOfBlocks) break;
      a.commit();
      committedUsed = a.usedBlocks();
    }
    return { a, committedUsed, thins };
  }

  it('follows nothing more once out of blocks, and the rollback takes it back to its last commit', () => {
    const { a, committedUsed, thins } = fillToExhaustion();
    expect(thins).toBeLessThan(64);
    const plan = a.plan();
    expect(plan).not.toBeNull();
    a.createThin(99);
    a.rollback();
    expect(a.inexactReason).toBeNull();
    expect(a.usedBlocks()).toBe(committedUsed);
    expect(a.plan()!.deviceRoots).toEqual(plan!.deviceRoots);
  });

  it('gives up when a transaction that ran out of blocks is committed', () => {
    const { a } = fillToExhaustion();
    a.commit();
    expect(a.inexactReason).toMatch(/ran out of metadata blocks/);
    expect(a.plan()).toBeNull();
  });
});
