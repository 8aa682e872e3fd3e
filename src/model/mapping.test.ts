import { describe, expect, it } from 'vitest';
import { MappingTable, PAGE_BLOCKS } from './mapping.js';

describe('MappingTable', () => {
  it('keeps a shared copy unchanged when the other side writes', () => {
    const a = new MappingTable();
    a.insert(3, 30, 0, 1);
    a.insert(PAGE_BLOCKS + 1, 31, 0, 1);
    const b = a.shareAll();
    a.insert(3, 99, 1, 2);
    a.remove(PAGE_BLOCKS + 1, 2);
    expect(b.lookupData(3)).toBe(30);
    expect(b.lookupData(PAGE_BLOCKS + 1)).toBe(31);
    expect(a.lookupData(3)).toBe(99);
    expect(a.lookupData(PAGE_BLOCKS + 1)).toBe(-1);
  });

  it('rolls back to the last commit, and its committed view ignores later writes', () => {
    const t = new MappingTable();
    t.insert(1, 10, 0, 1);
    t.commit();
    const view = t.committedView();
    t.insert(1, 11, 0, 2);
    t.insert(2, 12, 0, 2);
    expect(view.lookupData(1)).toBe(10);
    expect(view.lookupData(2)).toBe(-1);
    t.rollback();
    expect(t.lookupData(1)).toBe(10);
    expect(t.lookupData(2)).toBe(-1);
    expect(t.count()).toBe(1);
  });

  it('reports mappings in order and the highest block', () => {
    const t = new MappingTable();
    for (const vb of [700, 5, 300]) t.insert(vb, vb * 2, 0, 1);
    const seen: number[] = [];
    t.forEach((vb) => seen.push(vb));
    expect(seen).toEqual([5, 300, 700]);
    expect(t.highest()).toBe(700);
    const ranged: number[] = [];
    t.forEachInRange(6, 701, (vb) => ranged.push(vb));
    expect(ranged).toEqual([300, 700]);
  });
});
