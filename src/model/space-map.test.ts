import { describe, expect, it } from 'vitest';
import { DataSpaceMap } from './space-map.js';

describe('DataSpaceMap', () => {
  it('allocates next-fit from the cursor and wraps to 0', () => {
    const sm = new DataSpaceMap(8);
    expect([sm.allocate(), sm.allocate(), sm.allocate()]).toEqual([0, 1, 2]);
    sm.commit();
    sm.decrement(0);
    sm.commit();
    // Block 0 is free and committed free, but the cursor is at 3.
    expect(sm.allocate()).toBe(3);
    for (let i = 4; i < 8; i++) expect(sm.allocate()).toBe(i);
    expect(sm.allocate()).toBe(0);
    expect(sm.allocate()).toBe(-1);
  });

  it('does not reuse a block freed in this transaction until the next commit', () => {
    const sm = new DataSpaceMap(2);
    sm.allocate();
    sm.allocate();
    sm.commit();
    sm.decrement(1);
    expect(sm.nrFree).toBe(1);
    expect(sm.allocate()).toBe(-1);
    sm.commit();
    expect(sm.allocate()).toBe(1);
  });

  it('rolls back to the committed counts and restarts the cursor where the caller says', () => {
    const sm = new DataSpaceMap(4);
    sm.allocate();
    sm.commit();
    sm.allocate();
    sm.increment(0);
    sm.rollback();
    expect(sm.refcount(0)).toBe(1);
    expect(sm.refcount(1)).toBe(0);
    expect(sm.nrAllocated).toBe(1);
    expect(sm.nrFree).toBe(3);
  });

  it('shows a resize only after the commit', () => {
    const sm = new DataSpaceMap(2);
    sm.resize(5);
    expect(sm.nrBlocks).toBe(2);
    sm.commit();
    expect(sm.nrBlocks).toBe(5);
    expect(sm.nrFree).toBe(5);
  });

  it('refuses to drop a reference that is not there', () => {
    const sm = new DataSpaceMap(2);
    expect(() => sm.decrement(0)).toThrow(/below zero/);
  });
});
