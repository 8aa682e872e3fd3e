/**
 * What the page shows, checked without a browser: the block map's exclusive and shared counts
 * against the lab's own thin_ls on the same metadata, the origin guess, the timeline's usage,
 * modes and markers against the pool's status line after each event, and the diff's changed
 * blocks.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Output, recordScript } from '../src/cli/history-commands.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { History } from '../src/replay/history.js';
import { LabRuntime } from '../src/replay/lab-runtime.js';
import { useTempStore } from './temp-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';
import { changedRuns, UiApi, UiRequestError } from '../src/ui/api.js';
import { FREE, guessOrigins, poolBlocks, runLength, SHARED } from '../src/ui/block-map.js';
import { positionView } from '../src/ui/lab-view.js';
import { markersOf } from '../src/replay/event-summaries.js';
import { encodeColumns } from '../src/replay/summary-columns.js';
import { buildTimeline, fromRuns } from '../src/ui/timeline.js';

const POOL = [
  'dmsetup create pool --table "0 8192 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin0 --table "0 16384 thin /dev/mapper/pool 0" && dmsetup mknodes',
  'dd if=/patterns/A of=/dev/mapper/thin0 bs=64k count=4 oflag=direct 2>/dev/null',
  'dmsetup suspend thin0; dmsetup message pool 0 "create_snap 1 0"; dmsetup resume thin0',
  'dmsetup create snap1 --table "0 4096 thin /dev/mapper/pool 1" && dmsetup mknodes',
  'dd if=/patterns/B of=/dev/mapper/snap1 bs=64k count=1 oflag=direct 2>/dev/null',
  'dmsetup message pool 0 "create_thin 2"',
];

/** thin_ls's DEV, MAPPED, EXCLUSIVE and SHARED columns, as the lab's thin_ls prints them. */
function thinLs(shell: LabShell): Map<number, number[]> {
  const text = shell.runScript(
    [
      'dmsetup message pool 0 reserve_metadata_snap',
      'thin_ls -m --no-headers -o DEV,MAPPED_BLOCKS,EXCLUSIVE_BLOCKS,SHARED_BLOCKS /dev/ram0',
      'dmsetup message pool 0 release_metadata_snap',
    ].join('\n'),
  );
  const rows = new Map<number, number[]>();
  for (const line of text.trim().split('\n')) {
    const [dev, ...counts] = line.trim().split(/\s+/).map(Number);
    rows.set(dev!, counts);
  }
  return rows;
}

describe('the block map', () => {
  it("counts exclusive and shared blocks as thin_ls does, and finds the snapshot's origin", () => {
    const shell = new LabShell({ ramdiskKb: 4096 });
    shell.runScript(POOL.join('\n'));
    const pool = shell.machine.livePools()[0]!;
    const blocks = poolBlocks(pool);
    const expected = thinLs(shell);
    expect(expected.size).toBe(3);
    for (const t of blocks.thins) expect([t.mapped, t.exclusive, t.shared]).toEqual(expected.get(t.id));
    // Every block is someone's, shared or free; none leaked in a healthy pool.
    const used = pool.md.spaceMap.nrBlocks - pool.md.spaceMap.nrFree;
    expect([...blocks.owners].filter((o) => o !== FREE).length).toBe(used);
    expect(blocks.leaked).toBe(0);
    expect(blocks.sharedBetween.get('0/1')).toBe(expected.get(0)![2]);
    expect(guessOrigins(pool, blocks)).toEqual(
      new Map([
        [0, null],
        [1, 0],
        [2, null],
      ]),
    );
  });

  it('keeps a map as runs that expand back to the same blocks', () => {
    const owners = Int32Array.from([FREE, FREE, 3, 3, 3, SHARED, FREE]);
    const runs = runLength(owners);
    expect(runs).toEqual([
      [FREE, 2],
      [3, 3],
      [SHARED, 1],
      [FREE, 1],
    ]);
    expect(runs.reduce((n, [, c]) => n + c, 0)).toBe(owners.length);
    expect(
      changedRuns(runs, [
        [FREE, 3],
        [3, 2],
        [SHARED, 2],
      ]),
    ).toEqual([
      [2, 1],
      [6, 1],
    ]);
  });
});

describe('the LVM view', () => {
  it("gives each volume's Data% and Meta% as lvs prints them", () => {
    const runtime = LabRuntime.fresh({ ramdiskKb: 65536 });
    const shell = runtime.shell;
    shell.runScript(
      [
        'pvcreate /dev/ram0',
        'vgcreate vg /dev/ram0',
        'lvcreate -L 32M -T vg/pool',
        'lvcreate -V 16M -T vg/pool -n thin1',
        'dd if=/patterns/A of=/dev/vg/thin1 bs=64k count=20 oflag=direct 2>/dev/null',
      ].join('\n'),
    );
    const lvs = shell.runLine('lvs --noheadings -o lv_name,data_percent,metadata_percent\n');
    const view = positionView(runtime.lab, runtime.lifecycleStates());
    const printed = view.lvm[0]!.volumes.map((v) =>
      `${v.name} ${v.dataPercent?.toFixed(2) ?? ''} ${v.metaPercent?.toFixed(2) ?? ''}`.trim(),
    );
    expect(printed).toEqual(
      lvs
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).join(' ')),
    );
    expect(printed.length).toBe(2);
  });
});

describe('markers', () => {
  it('come from the operations and commands of an event, and only those', () => {
    const ran = (command: string, operations: string[] = []) =>
      ({ type: 'ShellCommandRan', version: 3, data: { command, output: '', status: 0, operations } }) as const;
    expect(markersOf(ran('x', ['dm message pool 0 create_snap 1 0']))).toEqual(['snapshot']);
    expect(markersOf(ran('x', ['dm message pool 0 delete 1']))).toEqual(['delete']);
    expect(markersOf(ran('blkdiscard /dev/mapper/thin'))).toEqual(['discard']);
    expect(markersOf(ran('fault io /dev/ram1 0+8 write'))).toEqual(['fault']);
    expect(markersOf(ran('crash'))).toEqual(['crash']);
    expect(markersOf(ran('dmsetup status'))).toEqual([]);
  });
});

const quiet: Output = { out: () => {}, err: () => {}, interactive: false };
const temp = useTempStore('ui-model');

describe('the timeline and the API', () => {
  const FILL = [
    ...POOL,
    'dd if=/patterns/C of=/dev/mapper/thin0 bs=64k count=64 seek=8 oflag=direct 2>/dev/null',
    'dmsetup status pool',
    'dmsetup message pool 0 "delete 2"',
  ].join('\n');

  it("samples every position as the pool's status line says, with modes and markers", async () => {
    const h = new History(temp.store);
    const { branch, length } = await recordScript(
      h,
      FILL,
      { continueBranch: false, ramdiskKb: 4096, trace: false },
      quiet,
    );
    const t = await buildTimeline(h, branch);
    expect(t.length).toBe(length);
    const sent = t.pools[0]!;
    expect(sent.name).toBe('pool');
    const pool = Object.fromEntries(
      (['dataUsed', 'dataTotal', 'metaUsed', 'metaTotal', 'mode', 'lowWaterBlocks'] as const).map((c) => [
        c,
        fromRuns(sent[c]),
      ]),
    );
    expect(pool.dataUsed!.length).toBe(length + 1);
    expect(pool.dataUsed![0]).toBeNull();
    for (const position of [1, 4, 7, length]) {
      const runtime = await h.stateAt(branch, position);
      const dev = runtime.shell.machine.device('pool')!;
      const words = runtime.shell.machine.targetStatus(dev, true).split(/\s+/);
      expect(`${pool.metaUsed![position]}/${pool.metaTotal![position]}`).toBe(words[1]);
      expect(`${pool.dataUsed![position]}/${pool.dataTotal![position]}`).toBe(words[2]);
    }
    // 8192 sectors of 128: 64 blocks; the fill asks for more, so the pool ran out of space.
    expect(pool.dataUsed![length]).toBe(pool.dataTotal![length]);
    expect(sent.modes[pool.mode![length]!]).toBe('out_of_data_space');
    expect(t.markers.map((m) => m.kind)).toEqual(['snapshot', 'delete']);
    expect(t.markers[0]!.position).toBe(5);
    // Runs: the pool's size is one run, while the usage moved.
    expect(sent.dataTotal.length).toBeLessThan(pool.dataTotal!.length);
    expect(sent.dataUsed.length).toBeGreaterThan(1);
  });

  it('reads the summaries stored when recording, and replays (then stores) only what has none', async () => {
    const h = new History(temp.store, 4);
    const { branch, length } = await recordScript(
      h,
      FILL,
      { continueBranch: false, ramdiskKb: 4096, trace: false },
      quiet,
    );
    const stream = (await h.branch(branch)).stream;
    const stored = await temp.store.readSummaries(stream);
    // One chunk per command, merged at each checkpoint (every 4 events): 0-3 and 4-7 merged.
    expect(stored.map((c) => [Number(c.firstRevision), c.count])).toEqual([
      [0, 4],
      [4, 4],
      ...Array.from({ length: length - 8 }, (_, i) => [8 + i, 1]),
    ]);
    const recorded = await h.summaries(branch);
    expect(recorded.count).toBe(length);
    // The same history in a store without summaries: every one is computed by replay and stored.
    const bare = await openSqliteStore(join(temp.dir, 'bare.db'));
    try {
      const copy = new History(bare, 4);
      await recordScript(copy, FILL, { continueBranch: false, ramdiskKb: 4096, trace: false }, quiet);
      const db = (bare as unknown as { path: string }).path;
      const { default: Database } = await import('better-sqlite3');
      const raw = new Database(db);
      raw.exec('DELETE FROM event_summaries');
      raw.close();
      const replayed = await copy.summaries(branch);
      expect(encodeColumns(replayed)).toBe(encodeColumns(recorded));
      const backfilled = await bare.readSummaries((await copy.branch(branch)).stream);
      expect(backfilled.map((c) => [Number(c.firstRevision), c.count])).toEqual([[0, length]]);
      // A damaged chunk is passed over and computed again, never shown.
      await bare.saveSummaries((await copy.branch(branch)).stream, {
        firstRevision: 0n,
        count: 3,
        data: '{"format":1',
      });
      expect(encodeColumns(await copy.summaries(branch))).toBe(encodeColumns(recorded));
    } finally {
      await bare.close();
    }
  });

  it("a branch's summaries are its parent's up to the fork, then its own", async () => {
    const h = new History(temp.store);
    const { branch, length } = await recordScript(
      h,
      FILL,
      { continueBranch: false, ramdiskKb: 4096, trace: false },
      quiet,
    );
    const api = new UiApi(h);
    await api.runWhatIf({ branch, at: 6, inject: 'dmsetup message pool 0 "create_thin 9"' });
    const whatif = `${branch}-whatif-6`;
    const parent = await buildTimeline(h, branch);
    const child = await buildTimeline(h, whatif);
    expect(child.length).toBe(length + 1);
    const column = (t: typeof parent) => fromRuns(t.pools[0]!.dataUsed);
    expect(column(child).slice(0, 7)).toEqual(column(parent).slice(0, 7));
    expect(column(child).slice(8)).toEqual(column(parent).slice(7));
  });

  it('answers bad requests with a clear error and the diff as `thinlab diff` prints it', async () => {
    const h = new History(temp.store);
    const { branch, length } = await recordScript(
      h,
      FILL,
      { continueBranch: false, ramdiskKb: 4096, trace: false },
      quiet,
    );
    const api = new UiApi(h);
    await expect(api.at(branch, length + 1)).rejects.toThrow(`position ${length + 1} is outside branch '${branch}'`);
    await expect(api.diff('nope', `${branch}@1`)).rejects.toThrow(UiRequestError);
    await expect(api.branchHere({ branch, position: -1, name: 'x' })).rejects.toThrow("'position' must be a position");
    await expect(api.runWhatIf({ branch, at: 2, inject: 'fault io' })).rejects.toThrow(/^inject: /);
    expect((await h.branches()).map((b) => b.name)).toEqual([branch]);
    const d = await api.diff(`${branch}@6`, `${branch}@7`);
    expect(d.text).toContain(`--- ${branch}@6\n+++ ${branch}@7\n`);
    expect(d.text).toContain('thin pool/1:');
    // The write to the snapshot broke the sharing of one block: the snapshot's new copy (block 4,
    // the first free one) is its own, and the origin's block 0 is no longer shared. Nothing else moved.
    expect(d.changed.pool).toEqual([
      [0, 1],
      [4, 1],
    ]);
  });
});
