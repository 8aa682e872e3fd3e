/**
 * The checkpoint policy: spacing by the last checkpoint's size, where History puts them, and that
 * they stay a cache: `thinlab at` and `diff` print the same with them, without them, and from a
 * database whose checkpoints were written the old way (one per 10,000 events) or lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atCommand, diffCommand, recordScript } from '../cli/history-commands.js';
import type { Output } from '../cli/output.js';
import type { EventStore } from '../store/event-store.js';
import { openSqliteStore } from '../store/sqlite/sqlite-event-store.js';
import { checkpointEvery, checkpointSpacing, DEFAULT_CHECKPOINT_POLICY } from './checkpoint-policy.js';
import { History } from './history.js';

describe('checkpointSpacing', () => {
  const policy = { minEvents: 100, maxEvents: 10_000, bytesPerEvent: 256 };

  it('puts the first checkpoint of a branch minEvents in, its size being unknown', () => {
    expect(checkpointSpacing(policy, null)).toBe(100);
  });

  it("spaces checkpoints by the last one's size, within minEvents .. maxEvents", () => {
    expect(checkpointSpacing(policy, 25_000)).toBe(100);
    expect(checkpointSpacing(policy, 256 * 737 + 1)).toBe(738);
    expect(checkpointSpacing(policy, 1_887_436)).toBe(7373);
    expect(checkpointSpacing(policy, 20 * 1024 * 1024)).toBe(10_000);
  });

  it('keeps a fixed spacing for checkpointEvery(N), and refuses a spacing that is not a positive count', () => {
    expect(checkpointSpacing(checkpointEvery(3), null)).toBe(3);
    expect(checkpointSpacing(checkpointEvery(3), 50_000_000)).toBe(3);
    expect(() => checkpointEvery(0)).toThrow('a checkpoint spacing must be a positive number of events, got 0');
    expect(() => checkpointEvery(2.5)).toThrow(RangeError);
  });
});

/** A pool on small RAM disks, a thin, then writes and status lines: a lab of about 25 KB. */
function script(commands: number): string {
  const lines = [
    'dmsetup create pool --table "0 20480 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
    'dmsetup message pool 0 "create_thin 0"',
    'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0" && dmsetup mknodes',
  ];
  for (let i = lines.length; i < commands; i++)
    lines.push(
      i % 2 === 0
        ? `dd if=/patterns/${'ABC'[i % 3]} of=/dev/mapper/thin bs=64k count=1 seek=${i % 150} oflag=direct 2>/dev/null`
        : 'dmsetup status pool',
    );
  return `${lines.join('\n')}\n`;
}

const COMMANDS = 250;
const quiet: Output = { out: () => {}, err: () => {}, interactive: false };

describe('checkpoints are a cache', () => {
  let dir: string;
  const stores: EventStore[] = [];
  /** Database name -> History reading it. */
  const histories = new Map<string, History>();

  async function record(name: string, checkpoints: ConstructorParameters<typeof History>[1]): Promise<History> {
    const store = await openSqliteStore(join(dir, `${name}.db`));
    stores.push(store);
    const h = new History(store, checkpoints);
    await recordScript(h, script(COMMANDS), { continueBranch: false, ramdiskKb: 65536, trace: false }, quiet);
    histories.set(name, h);
    return h;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'thinlab-checkpoints-'));
    await record('policy', DEFAULT_CHECKPOINT_POLICY);
    await record('none', Number.MAX_SAFE_INTEGER);
    await record('old', 10_000);
  }, 300_000);

  afterAll(async () => {
    for (const s of stores) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function printed(h: History, run: (h: History, io: Output) => Promise<void>): Promise<string> {
    let out = '';
    await run(h, { out: (t) => (out += t), err: () => {}, interactive: false });
    return out;
  }

  it('stores the first checkpoint 100 events in and spaces the next by its size, and reads from the nearest', async () => {
    const h = histories.get('policy')!;
    const expected: number[] = [];
    for (let p = 100; p <= COMMANDS; ) {
      const found = await h.nearestCheckpoint('main', p);
      expect(found.position).toBe(p);
      expected.push(p);
      p += checkpointSpacing(DEFAULT_CHECKPOINT_POLICY, found.state!.byteLength);
    }
    // A lab this small (about 26 KB, near the 25.6 KB where the spacing leaves its minimum of 100)
    // gets a checkpoint about every 100 events: no read replays much more than 100 commands.
    expect(expected[0]).toBe(100);
    expect(expected).toHaveLength(2);
    expect(expected[1]! - expected[0]!).toBeLessThanOrEqual(110);
    expect((await h.store.checkpointStats('lab-branch-main')).count).toBe(expected.length);
    expect((await h.nearestCheckpoint('main', 199)).position).toBe(100);
    expect((await histories.get('none')!.store.checkpointStats('lab-branch-main')).count).toBe(0);
    expect((await histories.get('old')!.store.checkpointStats('lab-branch-main')).count).toBe(0);
  });

  it('prints the same `at` and `diff` with checkpoints, without, and from an old database', async () => {
    const moments: Array<[string, string]> = [
      ['0', '100'],
      ['99', '100'],
      ['100', '101'],
      ['150', '250'],
      ['201', '57'],
    ];
    for (const [a, b] of moments) {
      const at = (h: History) => printed(h, (x, io) => atCommand(x, { position: b }, io));
      const diff = (h: History) => printed(h, (x, io) => diffCommand(x, { a, b }, io));
      const want = { at: await at(histories.get('none')!), diff: await diff(histories.get('none')!) };
      expect(want.at).toMatch(new RegExp(`^main@${b} `));
      for (const name of ['policy', 'old']) {
        const h = histories.get(name)!;
        expect({ at: await at(h), diff: await diff(h) }, `${name}: ${a} ${b}`).toEqual(want);
      }
    }
  }, 120_000);

  it('writes a lost checkpoint again at the next append, and a new process adds to an old database by the policy', async () => {
    const path = join(dir, 'policy.db');
    const db = new Database(path);
    // The branch's last checkpoint is lost (the one after 100, wherever its size put it).
    const lost = db.prepare('DELETE FROM checkpoints WHERE revision = (SELECT MAX(revision) FROM checkpoints)').run();
    expect(lost.changes).toBe(1);
    db.close();
    // A new process (a new History) continues the branch, which is due for a checkpoint since 100.
    const h = new History(histories.get('policy')!.store);
    await recordScript(h, 'dmsetup status pool\n', { continueBranch: true, ramdiskKb: 65536, trace: false }, quiet);
    expect((await h.nearestCheckpoint('main', 251)).position).toBe(251);
    const old = new History(histories.get('old')!.store);
    await recordScript(old, 'dmsetup status pool\n', { continueBranch: true, ramdiskKb: 65536, trace: false }, quiet);
    expect((await old.nearestCheckpoint('main', 251)).position).toBe(251);
    expect(await printed(old, (x, io) => atCommand(x, { position: '251' }, io))).toBe(
      await printed(h, (x, io) => atCommand(x, { position: '251' }, io)),
    );
  }, 120_000);
});
