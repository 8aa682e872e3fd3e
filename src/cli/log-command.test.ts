/**
 * `thinlab log` reads a branch once, checking the events' checksums as it lists them. These tests
 * damage events where that single read could go wrong: on a later page than the first (after
 * lines were already written), on two pages at once, and in a parent branch's events that a child
 * branch lists. Every position must be listed exactly once, exactly the damaged ones flagged, and
 * the error must name all of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { History } from '../replay/history.js';
import { LabRuntime } from '../replay/lab-runtime.js';
import { isStoreError } from '../store/errors.js';
import { openSqliteStore, type SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { logCommand } from './log-command.js';
import type { Output } from './output.js';

/** More than one page of the SQLite store's reads (4096 events), so damage can lie past the first. */
const EVENTS = 9000;

let dir: string;
let store: SqliteEventStore;
let h: History;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-log-'));
  store = await openSqliteStore(join(dir, 'lab.db'));
  h = new History(store, Number.MAX_SAFE_INTEGER);
  await h.createBranch({
    naming: { name: 'main' },
    parent: null,
    forkPosition: 0,
    ramdiskKb: 65536,
    origin: 'sh',
    head: true,
  });
  const batch = Array.from({ length: EVENTS }, (_, i) => ({
    event: { type: 'ClockAdvanced' as const, version: 1 as const, data: { ms: i + 1 } },
    timeMs: i,
  }));
  await h.append('main', batch, LabRuntime.fresh(), 0);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Changes the stored text of the events at these positions of main (1-based) without fixing their checksums. */
function damage(positions: readonly number[]): void {
  const db = new Database(join(dir, 'lab.db'));
  const change = db.prepare(
    `UPDATE events SET data = replace(data, '"ms":', '"ms": ') WHERE stream_id = 'lab-branch-main' AND revision = ?`,
  );
  for (const p of positions) change.run(p - 1);
  db.close();
}

async function log(branch: string, json = false): Promise<{ out: string; error: unknown }> {
  let out = '';
  const io: Output = { out: (t) => (out += t), err: () => {}, interactive: false };
  // A fresh History, as a new `thinlab log` process has: nothing read before the damage is kept.
  const fresh = new History(store, Number.MAX_SAFE_INTEGER);
  try {
    await logCommand(fresh, { branch, full: false, json }, io);
    return { out, error: null };
  } catch (error) {
    return { out, error };
  }
}

/** The positions listed, and those flagged as damaged, from the text listing. */
function listing(out: string): { positions: number[]; flagged: number[] } {
  const lines = out.split('\n').slice(1, -1);
  const positions = lines.map((l) => Number(l.trim().split(/\s+/)[0]));
  const flagged = lines
    .filter((l) => l.endsWith('[DAMAGED: fails its checksum]'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
  return { positions, flagged };
}

const ALL = Array.from({ length: EVENTS }, (_, i) => i + 1);

describe('thinlab log: one read, the same damage reports', () => {
  it('lists an undamaged branch once, in order, with nothing flagged', async () => {
    const { out, error } = await log('main');
    expect(error).toBeNull();
    expect(listing(out)).toEqual({ positions: ALL, flagged: [] });
  });

  it('flags damage on later pages, and on two pages, listing every event once', async () => {
    const hurt = [5000, 8999, 4097, 9000];
    damage(hurt);
    const { out, error } = await log('main');
    expect(listing(out)).toEqual({ positions: ALL, flagged: [...hurt].sort((a, b) => a - b) });
    expect(isStoreError(error, 'STORE_CORRUPT')).toBe(true);
    expect((error as Error).message).toBe(
      'events main@4097, main@5000, main@8999, main@9000 are damaged: the stored text does not match the checksum written with it',
    );
  });

  it('flags damage on the first page too, and says the same in --json', async () => {
    damage([1, 6000]);
    const { out, error } = await log('main', true);
    const doc = JSON.parse(out) as { events: Array<{ position: number; damaged: boolean }> };
    expect(doc.events.map((e) => e.position)).toEqual(ALL);
    expect(doc.events.filter((e) => e.damaged).map((e) => e.position)).toEqual([1, 6000]);
    expect((error as Error).message).toMatch(/^events main@1, main@6000 are damaged/);
  });

  it("flags a parent's damaged events in a child branch's log", async () => {
    await h.createBranch({
      naming: { name: 'child' },
      parent: 'main',
      forkPosition: 7000,
      ramdiskKb: 65536,
      origin: 'rollback',
      head: false,
    });
    damage([6500, 7001]);
    const { out, error } = await log('child');
    // 7001 is main's own, after the fork: the child never reaches it.
    expect(listing(out)).toEqual({ positions: ALL.slice(0, 7000), flagged: [6500] });
    expect((error as Error).message).toMatch(/^event child@6500 is damaged/);
  });
});
