/**
 * The thin read path writes into the caller's array: unmapped ranges as zeros, mapped ones straight
 * from the data device's store. A caller that reuses one array (the property tests do) must see
 * exactly what a fresh read shows, and the data device's error ranges must still fail the read.
 */
import { describe, expect, it } from 'vitest';
import { Machine, type DmDevice } from './machine.js';
import { MappingTable } from './mapping.js';
import { SectorStore } from './sectors.js';

const BLOCK = 128;

function labWithThin(): { machine: Machine; thin: DmDevice } {
  const machine = new Machine({ ramdiskKb: 4096 });
  const pool = machine.create('pool');
  if (!pool.ok) throw new Error('create pool');
  expect(machine.load(pool.value, `0 ${16 * BLOCK} thin-pool /dev/ram0 /dev/ram1 ${BLOCK} 0`).ok).toBe(true);
  expect(machine.resume(pool.value).ok).toBe(true);
  expect(machine.message(pool.value, ['create_thin', '0'], 0)).toBe(0);
  // The node `dmsetup mknodes` makes: the thin's table names its pool by path.
  machine.addMapperNode('pool', pool.value.minor);
  const thin = machine.create('t0');
  if (!thin.ok) throw new Error('create t0');
  expect(machine.load(thin.value, `0 ${4 * BLOCK} thin /dev/mapper/pool 0`).ok).toBe(true);
  expect(machine.resume(thin.value).ok).toBe(true);
  return { machine, thin: thin.value };
}

function write(machine: Machine, dev: DmDevice, sector: number, tokens: Uint32Array): void {
  const ticket = machine.writeSectors(dev, sector, tokens);
  if (!ticket.done) machine.runUntil(Number.POSITIVE_INFINITY, () => ticket.done);
  expect(ticket.errno).toBe(0);
}

function livePool(_machine: Machine, thin: DmDevice) {
  const t = thin.live;
  if (t?.type !== 'thin') throw new Error('no thin target');
  return { pool: t.pool, dev: t.thin };
}

describe('ThinPool.read into a reused array', () => {
  it('overwrites stale contents: zeros where unmapped, the written tokens where mapped', () => {
    const { machine, thin } = labWithThin();
    write(machine, thin, BLOCK, new Uint32Array(BLOCK).fill(65));
    const mixed = new Uint32Array(8).fill(66);
    mixed[3] = 67;
    write(machine, thin, 3 * BLOCK + 16, mixed);
    const { pool, dev } = livePool(machine, thin);
    const out = new Uint32Array(4 * BLOCK).fill(0xdead);
    expect(pool.read(dev, 0, 4 * BLOCK, out)).toBe(0);
    const fresh = machine.readSectors(thin, 0, 4 * BLOCK);
    if (!fresh.ok) throw new Error('read');
    expect([...out]).toEqual([...fresh.value]);
    expect(out.subarray(0, BLOCK).every((t) => t === 0)).toBe(true);
    expect(out.subarray(BLOCK, 2 * BLOCK).every((t) => t === 65)).toBe(true);
    expect(out.subarray(2 * BLOCK, 3 * BLOCK).every((t) => t === 0)).toBe(true);
    // A partial write to a new block with zeroing on: zeros around the written sectors.
    expect([...out.subarray(3 * BLOCK + 14, 3 * BLOCK + 26)]).toEqual([0, 0, 66, 66, 66, 67, 66, 66, 66, 66, 0, 0]);
  });

  it('fails with EIO when the data device has an error range under a mapped block, not elsewhere', () => {
    const { machine, thin } = labWithThin();
    write(machine, thin, 0, new Uint32Array(BLOCK).fill(65));
    const { pool, dev } = livePool(machine, thin);
    const dataBlock = dev.table.lookupData(0);
    expect(dataBlock).toBeGreaterThanOrEqual(0);
    const ram1 = machine.ramdisks[1]!;
    ram1.faults.errorRanges = [{ startSector: dataBlock * BLOCK + 5, lengthSectors: 1, direction: 'read' }];
    const out = new Uint32Array(4 * BLOCK);
    expect(pool.read(dev, 0, BLOCK, out)).toBe(5);
    // The unmapped blocks do not touch the data device.
    expect(pool.read(dev, BLOCK, 3 * BLOCK, out)).toBe(0);
    ram1.faults.errorRanges = [{ startSector: dataBlock * BLOCK + 5, lengthSectors: 1, direction: 'write' }];
    expect(pool.read(dev, 0, BLOCK, out)).toBe(0);
    expect(out.subarray(0, BLOCK).every((t) => t === 65)).toBe(true);
  });
});

describe('SectorStore.readInto', () => {
  it('writes uniform and mixed chunks at an offset of the caller array, leaving the rest alone', () => {
    const store = new SectorStore(512);
    store.fill(0, 128, 7);
    store.write(130, Uint32Array.of(1, 2, 3));
    const out = new Uint32Array(10).fill(99);
    store.readInto(126, 6, out, 2);
    expect([...out]).toEqual([99, 99, 7, 7, 0, 0, 1, 2, 99, 99]);
  });
});

describe('MappingTable.forEach on one page', () => {
  it('visits a lone page beyond the first with its own virtual block numbers, in order', () => {
    const t = new MappingTable();
    for (const vb of [1000, 770, 900]) t.insert(vb, vb + 1, 3, 1);
    const seen: number[][] = [];
    t.forEach((vb, d, time) => seen.push([vb, d, time]));
    expect(seen).toEqual([
      [770, 771, 3],
      [900, 901, 3],
      [1000, 1001, 3],
    ]);
  });
});
