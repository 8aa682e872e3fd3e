/**
 * Bisect over a recorded branch: it finds the known first bad position in about log2(n) states,
 * each reached from a checkpoint, and reads the expressions `thinlab bisect --expect` takes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { History } from '../replay/history.js';
import type { EventStore } from '../store/event-store.js';
import { openSqliteStore } from '../store/sqlite/sqlite-event-store.js';
import { bisect, parseBisectExpr, parseInvariantName } from './bisect.js';
import { parseScenario } from './load.js';
import { runScenario } from './run.js';

let dir: string;
let store: EventStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-bisect-'));
  store = await openSqliteStore(join(dir, 'lab.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A pool of 64 blocks written one block per command: after event 3 + k, k blocks are used. */
async function recordFill(h: History): Promise<number> {
  const writes = Array.from(
    { length: 60 },
    (_, i) => `      dd if=/patterns/A of=/dev/mapper/thin bs=64k count=1 seek=${i} oflag=direct 2>/dev/null`,
  );
  const scenario = parseScenario(
    'fill.yaml',
    [
      'title: fill',
      'steps:',
      '  - run: |',
      '      dmsetup create pool --table "0 8192 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
      '      dmsetup message pool 0 "create_thin 0"',
      '      dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
      ...writes,
    ].join('\n'),
  );
  await h.createBranch({
    naming: { name: 'fill' },
    parent: null,
    forkPosition: 0,
    ramdiskKb: 65536,
    origin: 'sh',
    head: true,
  });
  let length = 0;
  await runScenario(scenario, {
    record: async (event, timeMs, runtime) => {
      length = await h.append('fill', [{ event, timeMs }], runtime, length);
    },
  });
  return length;
}

describe('bisect', () => {
  it('finds the first bad position with O(log n) states from checkpoints', async () => {
    const h = new History(store, 8);
    expect(await recordFill(h)).toBe(63);
    const spy = vi.spyOn(h, 'stateAt');
    const outcome = await bisect(h, 'fill', parseBisectExpr('used_data_blocks pool<30'));
    expect(outcome.kind).toBe('found');
    if (outcome.kind !== 'found') return;
    expect(outcome.good.position).toBe(32);
    expect(outcome.bad.position).toBe(33);
    expect(outcome.bad.check).toMatchObject({ ok: false, actual: '30' });
    expect(spy.mock.calls.length).toBe(outcome.statesLooked);
    // Each state starts from the checkpoint at or below it (every 8 events here).
    expect((await h.nearestCheckpoint('fill', 33)).position).toBe(32);
    expect(outcome.statesLooked).toBeLessThanOrEqual(Math.ceil(Math.log2(63)) + 1);
  });

  it('says when the expectation holds at the end, and searches up to a given position', async () => {
    const h = new History(store, 8);
    await recordFill(h);
    expect((await bisect(h, 'fill', parseBisectExpr('invariants'))).kind).toBe('holds');
    expect((await bisect(h, 'fill', parseBisectExpr('used_data_blocks pool<30'), 20)).kind).toBe('holds');
    const early = await bisect(h, 'fill', parseBisectExpr('used_data_blocks pool <= 5'), 20);
    expect(early.kind === 'found' && early.bad.position).toBe(9);
    const mode = await bisect(h, 'fill', parseBisectExpr('pool_mode pool=read_only'));
    // The pool appears at event 1 already failing (write mode): before it, it was not there.
    expect(mode.kind).toBe('found');
    if (mode.kind !== 'found') return;
    expect(mode.bad.position).toBe(1);
    expect(mode.good).toMatchObject({ position: 0, check: { ok: false, missing: true } });
  });

  it('never answers "holds" about a pool that is not there, nor an invariant with no pool', async () => {
    const h = new History(store, 8);
    await recordFill(h);
    for (const expr of ['pool_mode nosuchpool=write', 'used_data_blocks nosuchpool<8']) {
      const outcome = await bisect(h, 'fill', parseBisectExpr(expr));
      expect(outcome.kind).toBe('missing');
      if (outcome.kind !== 'missing') return;
      expect(outcome.bad.position).toBe(63);
      expect(outcome.bad.check.actual).toBe("no live pool named 'nosuchpool' (live pools: pool)");
    }
    // Position 0 is the fresh lab: no device at all.
    const none = await bisect(h, 'fill', parseInvariantName('writable'), 0);
    expect(none.kind === 'missing' && none.bad.check.actual).toBe('there is no live pool to check');
    const pool = await bisect(h, 'fill', parseBisectExpr('pool_mode pool=write'), 0);
    expect(pool.kind === 'missing' && pool.bad.check.actual).toBe("no live pool named 'pool' (there is no live pool)");
  });

  it('reads the expression forms and refuses others', () => {
    expect(parseBisectExpr('pool_mode pool=write')).toEqual({ kind: 'pool_mode', pool: 'pool', mode: 'write' });
    expect(parseBisectExpr('needs_check p=true')).toEqual({ kind: 'needs_check', pool: 'p', value: true });
    expect(parseBisectExpr('used_data_blocks docker-pool>=12')).toEqual({
      kind: 'used_data_blocks',
      pool: 'docker-pool',
      op: '>=',
      value: 12,
    });
    expect(parseBisectExpr('invariants')).toEqual({ kind: 'invariants' });
    expect(() => parseBisectExpr('pool_mode pool=rw')).toThrow(/not a pool mode/);
    expect(() => parseBisectExpr('output_contains x')).toThrow(/cannot read the expectation/);
  });
});
