/**
 * The branch registry's behaviour on a store (src/replay/branch-registry.ts, History): run by
 * test/branch-registry.test.ts on SQLite and on the KurrentDB adapter against the loopback fake,
 * so both adapters are held to the same branch semantics.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BranchNaming, History, HistoryError, type NewBranch } from '../src/replay/history.js';
import { isStoreError } from '../src/store/errors.js';
import type { EventStore } from '../src/store/event-store.js';

export const freshBranch = (naming: BranchNaming, extra: Partial<NewBranch> = {}): NewBranch => ({
  naming,
  parent: null,
  forkPosition: 0,
  ramdiskKb: 65536,
  origin: 'sh',
  head: true,
  ...extra,
});

/** Records `commands` at the end of `branch` (a fresh lab when it is empty). */
export async function record(h: History, branch: string, commands: readonly string[]): Promise<number> {
  let length = await h.length(branch);
  const runtime = await h.stateAt(branch, length);
  for (const c of commands)
    length = await h.append(branch, [{ event: runtime.runCommand(c), timeMs: 0 }], runtime, length);
  return length;
}

async function failure(action: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await action();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a failure');
}

export function runBranchRegistrySuite(name: string, open: () => Promise<EventStore>): void {
  describe(`branch registry: ${name}`, () => {
    let stores: EventStore[] = [];
    const history = async (): Promise<History> => {
      const store = await open();
      stores.push(store);
      return new History(store);
    };
    beforeEach(() => {
      stores = [];
    });
    afterEach(async () => {
      for (const s of stores) await s.close();
    });

    it('creates a branch and moves the head in one write; a second creator of the name gets BRANCH_EXISTS', async () => {
      const a = await history();
      const b = await history();
      await a.registry();
      await b.registry(); // Both have read the registry before either writes: a race.
      const [first, second] = await Promise.allSettled([
        a.createBranch(freshBranch({ name: 'main' })),
        b.createBranch(freshBranch({ name: 'main' }, { ramdiskKb: 4096 })),
      ]);
      const won = [first, second].filter((o) => o.status === 'fulfilled');
      const lost = [first, second].filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(HistoryError);
      expect(lost[0]!.reason.code).toBe('BRANCH_EXISTS');
      // The loser is told what the other process made, not just that the name is taken.
      expect(lost[0]!.reason.message).toMatch(
        /another process created it just now: made by thinlab sh from a fresh lab/,
      );
      const fresh = await history();
      expect((await fresh.branches()).map((x) => x.name)).toEqual(['main']);
      expect(await fresh.head()).toBe('main');
    });

    it('gives racing default names distinct branches: main, run-2, run-3 ... none lost, none twice', async () => {
      const writers = await Promise.all([history(), history(), history()]);
      const made = await Promise.all(
        writers.flatMap((h) =>
          [0, 1, 2, 3].map(() => h.createBranch(freshBranch({ first: 'main', stem: 'run' })).then((b) => b.name)),
        ),
      );
      expect(new Set(made).size).toBe(12);
      const listed = (await (await history()).branches()).map((b) => b.name).sort();
      expect(listed).toEqual([...made].sort());
      expect(listed).toContain('main');
      expect(listed).toContain('run-12');
    });

    it('deletes a branch without touching the events another branch shares, and refuses a parent', async () => {
      const h = await history();
      await h.createBranch(freshBranch({ name: 'main' }));
      await record(h, 'main', ['echo one', 'echo two', 'echo three']);
      await h.createBranch(freshBranch({ name: 'fork' }, { parent: 'main', forkPosition: 2, origin: 'rollback' }));
      await record(h, 'fork', ['echo four']);
      const refused = await failure(() => h.deleteBranches(['main']));
      expect(refused.code).toBe('BRANCH_IN_USE');
      expect(refused.message).toMatch(/'fork' \(from main@2\) starts from it/);
      await h.deleteBranches(['fork']);
      expect((await h.branches()).map((b) => b.name)).toEqual(['main']);
      expect((await h.stateAt('main', 3)).shell.machine.nowMs).toBeGreaterThan(0);
      await h.deleteBranches(['main']);
      expect(await h.branches()).toEqual([]);
      expect(await h.head()).toBeNull();
      // A new branch of a deleted name starts empty: it never inherits the deleted one's events.
      const again = await h.createBranch(freshBranch({ name: 'main' }));
      expect(again.stream).not.toBe('lab-branch-main');
      expect(await h.length('main')).toBe(0);
    });

    it('prunes what run, whatif and the demos made when nothing starts from it, never the head', async () => {
      const h = await history();
      await h.createBranch(freshBranch({ name: 'main' }));
      await record(h, 'main', ['echo a', 'echo b']);
      await h.createBranch(freshBranch({ name: 'scenario' }, { origin: 'run', head: false }));
      await h.createBranch(
        freshBranch({ name: 'w1' }, { parent: 'main', forkPosition: 1, origin: 'whatif', head: false }),
      );
      await h.createBranch(
        freshBranch({ name: 'w2' }, { parent: 'w1', forkPosition: 1, origin: 'whatif', head: false }),
      );
      await h.createBranch(
        freshBranch({ name: 'kept' }, { parent: 'main', forkPosition: 2, origin: 'rollback', head: false }),
      );
      await h.createBranch(freshBranch({ name: 'demo' }, { origin: 'demo', head: true }));
      const r = await h.prune();
      expect(r.deleted.sort()).toEqual(['scenario', 'w1', 'w2']);
      expect((await h.branches()).map((b) => b.name)).toEqual(['main', 'kept', 'demo']);
      expect(await h.head()).toBe('demo');
      expect((await h.prune()).deleted).toEqual([]);
    });

    it('refuses a stored RAM-disk size out of range as a damaged registry', async () => {
      const h = await history();
      await h.store.append(
        'lab-registry',
        [
          {
            type: 'BranchCreated',
            version: 1,
            data: { name: 'main', stream: 'lab-branch-main', parent: null, forkPosition: 0, ramdiskKb: -5, head: true },
            timeMs: 0,
          },
        ],
        'no_stream',
      );
      const e = await failure(async () => (await history()).branches());
      expect(isStoreError(e, 'STORE_CORRUPT')).toBe(true);
      expect(e.message).toMatch(/branch 'main'\) has a RAM-disk size of -5 KiB/);
    });

    it('says another process moved the branch when an append loses the race', async () => {
      const a = await history();
      await a.createBranch(freshBranch({ name: 'main' }));
      await record(a, 'main', ['echo one']);
      const b = await history();
      const runtime = await a.stateAt('main', 1);
      await record(b, 'main', ['echo two', 'echo three']);
      const e = await failure(() => a.append('main', [{ event: runtime.runCommand('echo x'), timeMs: 0 }], runtime, 1));
      expect(e.code).toBe('BRANCH_MOVED');
      expect(e.message).toMatch(/another process moved branch 'main'.*now has 3 events where this process expected 1/);
      expect(await a.length('main')).toBe(3);
    });
  });
}
