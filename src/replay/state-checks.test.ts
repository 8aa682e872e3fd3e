/**
 * A missing thing never holds: a check on a pool that is not there, or a named invariant on a lab
 * with no pool, fails naming it (the one evaluation bisect, run and whatif share), and whatif
 * follows a check on both sides of the inserted command.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../store/event-store.js';
import { openSqliteStore } from '../store/sqlite/sqlite-event-store.js';
import { History } from './history.js';
import { LabRuntime } from './lab-runtime.js';
import { evaluateCheck, parseCheckExpr, parseInvariantName } from './state-checks.js';
import { whatIf } from './whatif.js';

const POOL =
  'dmsetup create pool --table "0 8192 thin-pool /dev/ram0 /dev/ram1 128 0 1 error_if_no_space" && dmsetup mknodes';

describe('evaluateCheck on what is not there', () => {
  it('fails a pool check on a missing pool, naming it and the pools that are there', () => {
    const lab = LabRuntime.fresh({ ramdiskKb: 4096 });
    for (const expr of ['pool_mode nosuchpool=write', 'used_data_blocks nosuchpool<8', 'needs_check nosuchpool=false'])
      expect(evaluateCheck(parseCheckExpr(expr), lab.shell.machine)).toMatchObject({
        ok: false,
        missing: true,
        actual: "no live pool named 'nosuchpool' (there is no live pool)",
      });
    lab.runCommand(POOL);
    expect(evaluateCheck(parseCheckExpr('pool_mode nosuchpool=write'), lab.shell.machine)).toMatchObject({
      ok: false,
      missing: true,
      actual: "no live pool named 'nosuchpool' (live pools: pool)",
    });
    const present = evaluateCheck(parseCheckExpr('pool_mode pool=write'), lab.shell.machine);
    expect(present).toEqual({ name: 'pool_mode pool=write', ok: true, expected: 'write', actual: 'write' });
  });

  it('fails a named invariant on a lab with no live pool (`invariants`, every pool consistent, holds of none), and holds them on a healthy pool', () => {
    const lab = LabRuntime.fresh({ ramdiskKb: 4096 });
    expect(evaluateCheck(parseInvariantName('writable'), lab.shell.machine)).toMatchObject({
      ok: false,
      missing: true,
      actual: 'there is no live pool to check',
    });
    expect(evaluateCheck(parseCheckExpr('invariants'), lab.shell.machine)).toMatchObject({
      ok: true,
      actual: 'every pool consistent (no live pool)',
    });
    lab.runCommand(POOL);
    expect(evaluateCheck(parseInvariantName('writable'), lab.shell.machine)).toMatchObject({
      ok: true,
      actual: 'holds',
    });
    expect(evaluateCheck(parseCheckExpr('invariants'), lab.shell.machine).ok).toBe(true);
  });
});

describe('whatif --expect', () => {
  let dir: string;
  let store: EventStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'thinlab-checks-'));
    store = await openSqliteStore(join(dir, 'lab.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows a check on both sides: where it first fails after the insertion, and at the end', async () => {
    const h = new History(store);
    await h.createBranch({
      naming: { name: 'b' },
      parent: null,
      forkPosition: 0,
      ramdiskKb: 4096,
      origin: 'sh',
      head: true,
    });
    const runtime = LabRuntime.fresh({ ramdiskKb: 4096 });
    let length = 0;
    for (const c of [POOL, 'dmsetup message pool 0 "create_thin 0"', 'echo one', 'echo two']) {
      length = await h.append('b', [{ event: runtime.runCommand(c), timeMs: 0 }], runtime, length);
    }
    const r = await whatIf(h, {
      branch: 'b',
      at: 2,
      inject: 'dmsetup remove pool',
      naming: { name: 'w' },
      checks: [parseCheckExpr('pool_mode pool=write'), parseInvariantName('writable')],
    });
    const [mode, writable] = r.checks;
    expect(mode!.name).toBe('pool_mode pool=write');
    expect(mode!.original).toEqual({
      firstFailure: null,
      end: { name: 'pool_mode pool=write', ok: true, expected: 'write', actual: 'write' },
    });
    // The removed pool is missing from position 3 of the what-if branch on: that fails, naming it.
    expect(mode!.whatIf.firstFailure).toMatchObject({
      position: 3,
      result: { ok: false, missing: true, actual: "no live pool named 'pool' (there is no live pool)" },
    });
    expect(mode!.whatIf.end.ok).toBe(false);
    expect(writable!.whatIf.firstFailure).toMatchObject({
      position: 3,
      result: { actual: 'there is no live pool to check' },
    });
    expect(writable!.original.firstFailure).toBeNull();
  });
});
