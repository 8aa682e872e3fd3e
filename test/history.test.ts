/**
 * The event-sourced core end to end on the SQLite store: recording, state at any position,
 * rollback as a branch, diff, checkpoints, determinism, and the errors for bad positions,
 * branches and events.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastCommandAt, type Output, pieceMode, recordScript, scriptPieceText } from '../src/cli/history-commands.js';
import { scriptPieces, topLevelCommands } from '../src/lab/script-pieces.js';
import { diffLabs } from '../src/replay/diff.js';
import { History, HistoryError } from '../src/replay/history.js';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { stateHash } from '../src/replay/lab-snapshot.js';
import type { EventStore } from '../src/store/event-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';
import { testSlice } from './slice.js';

const SCRIPT = [
  'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 2" && dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
  'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=3 oflag=direct',
  'dmsetup suspend thin; dmsetup message pool 0 "create_snap 1 0"; dmsetup resume thin',
  'dd if=/patterns/B of=/dev/mapper/thin bs=64k count=1 seek=1 oflag=direct',
  'dmsetup status pool',
  'dd if=/patterns/C of=/dev/mapper/thin bs=64k count=6 seek=8 oflag=direct',
  'dmsetup status pool',
].join('\n');

const quiet: Output = { out: () => {}, err: () => {}, interactive: false };

let dir: string;
let store: EventStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-history-'));
  store = await openSqliteStore(join(dir, 'lab.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The state after running the first n commands directly, without the store. */
function direct(n: number): LabRuntime {
  const r = LabRuntime.fresh();
  for (const c of topLevelCommands(r.shell, SCRIPT).slice(0, n)) r.runCommand(c);
  return r;
}

describe('history', () => {
  it('gives the same state at every position as running the commands directly', async () => {
    const h = new History(store, 3);
    const { branch, length } = await recordScript(
      h,
      SCRIPT,
      { continueBranch: false, ramdiskKb: 65536, trace: false },
      quiet,
    );
    expect(branch).toBe('main');
    expect(length).toBe(9);
    for (let n = 0; n <= length; n++) {
      expect(stateHash((await h.stateAt('main', n)).lab), `position ${n}`).toBe(stateHash(direct(n).lab));
    }
    // Checkpoints were stored every 3 events and are used to seek.
    expect((await store.checkpointStats('lab-branch-main')).count).toBe(3);
    expect((await h.nearestCheckpoint('main', 8)).position).toBe(6);
  });

  it('passes over a checkpoint of an older format and replays the events instead', async () => {
    const h = new History(store, 3);
    await recordScript(h, SCRIPT, { continueBranch: false, ramdiskKb: 65536, trace: false }, quiet);
    // What an older thinlab left at revision 5: a snapshot this one cannot read.
    await store.saveCheckpoint('lab-branch-main', 5n, new Uint8Array(serialize({ format: 1, graph: { old: true } })));
    expect((await h.nearestCheckpoint('main', 8)).position).toBe(6);
    expect(stateHash((await h.stateAt('main', 8)).lab)).toBe(stateHash(direct(8).lab));
  });

  it('rolls back by branching: the old branch keeps every event, the new one goes its own way', async () => {
    const h = new History(store);
    await recordScript(h, SCRIPT, { continueBranch: false, ramdiskKb: 65536, trace: false }, quiet);
    await h.createBranch({
      naming: { name: 'what-if' },
      parent: 'main',
      forkPosition: 4,
      ramdiskKb: 0,
      origin: 'rollback',
      head: false,
    });
    await h.setHead('what-if');
    const { length } = await recordScript(
      h,
      'dd if=/patterns/H of=/dev/mapper/thin bs=64k count=1 seek=2 oflag=direct',
      { continueBranch: true, ramdiskKb: 65536, trace: false },
      quiet,
    );
    expect(length).toBe(5);
    expect(await h.length('main')).toBe(9);
    expect(stateHash((await h.stateAt('what-if', 4)).lab)).toBe(stateHash((await h.stateAt('main', 4)).lab));
    const d = diffLabs((await h.stateAt('main', 4)).shell.machine, (await h.stateAt('what-if', 5)).shell.machine);
    const thin = d.thins.find((t) => t.key === 'pool/0')!;
    // The what-if branch overwrote block 2 in place: same mapping, nothing added or moved.
    expect(thin).toMatchObject({ leftOnly: 0, rightOnly: 0, different: 0, same: 3 });
    const d2 = diffLabs((await h.stateAt('main', 4)).shell.machine, (await h.stateAt('main', 6)).shell.machine);
    // After the snapshot, main's write to block 1 broke sharing: the origin's block 1 moved.
    expect(d2.thins.find((t) => t.key === 'pool/0')).toMatchObject({ different: 1, same: 2 });
    expect(d2.thins.find((t) => t.key === 'pool/1')).toMatchObject({ leftMapped: null, rightMapped: 3 });
  });

  it('refuses a position outside the branch, an unknown branch and an unreadable event', async () => {
    const h = new History(store);
    await recordScript(h, SCRIPT, { continueBranch: false, ramdiskKb: 65536, trace: false }, quiet);
    await expect(h.stateAt('main', 10)).rejects.toThrow(/position 10 is outside branch 'main' \(0..9\)/);
    await expect(h.stateAt('nope', 0)).rejects.toThrow(HistoryError);
    await expect(
      h.createBranch({
        naming: { name: 'main' },
        parent: null,
        forkPosition: 0,
        ramdiskKb: 65536,
        origin: 'sh',
        head: true,
      }),
    ).rejects.toThrow(/already exists/);
    await expect(
      h.createBranch({
        naming: { name: 'x y' },
        parent: null,
        forkPosition: 0,
        ramdiskKb: 65536,
        origin: 'sh',
        head: true,
      }),
    ).rejects.toThrow(/bad branch name/);
    await store.append('lab-branch-main', [{ type: 'Teleported', version: 1, data: {}, timeMs: 0 }], 8n);
    await expect(h.stateAt('main', 10)).rejects.toThrow(/main@10: unknown event type 'Teleported'/);
    // Nothing already in the log was lost: the first nine events still replay.
    expect(stateHash((await h.stateAt('main', 9)).lab)).toBe(stateHash(direct(9).lab));
  });
});

describe('determinism', () => {
  const fixtures = join(import.meta.dirname, '..', 'fixtures', 'kernel');
  const scenarios = join(import.meta.dirname, '..', 'scenarios');
  const files = [
    ...readdirSync(fixtures)
      .filter((f) => f.endsWith('.sh'))
      .map((f) => join(fixtures, f)),
    ...readdirSync(scenarios)
      .filter((f) => f.endsWith('.sh'))
      .map((f) => join(scenarios, f)),
  ];
  // test:fast replays every third script (test/slice.ts); `npm test` replays them all.
  for (const file of testSlice(files)) {
    it(`replays ${file.split('/').slice(-2).join('/')} to byte-identical state twice`, async () => {
      const h = new History(store, 25);
      const script = readFileSync(file, 'latin1');
      const { branch, length } = await recordScript(
        h,
        script,
        { continueBranch: false, ramdiskKb: 65536, trace: false },
        quiet,
      );
      // The same pieces run directly, each in the mode a script file runs it in.
      const recorded = LabRuntime.fresh();
      const pieces = scriptPieces(recorded.shell, script);
      const last = lastCommandAt(pieces);
      for (const [i, piece] of pieces.entries()) {
        if (piece.command === '' || recorded.shell.exitStatus !== null) continue;
        const mode = pieceMode(false, i === last);
        recorded.runCommand(scriptPieceText(piece, mode, script), mode);
      }
      const first = await h.stateAt(branch, length);
      const second = await h.stateAt(branch, length);
      expect(stateHash(first.lab)).toBe(stateHash(recorded.lab));
      expect(stateHash(second.lab)).toBe(stateHash(first.lab));
    });
  }
});
