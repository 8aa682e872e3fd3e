/**
 * The kill -9 sweep: a recording is run as a real `thinlab` process and killed with SIGKILL at
 * its Nth store write, just before the commit and just after it, for every N until a run ends
 * on its own; after each kill the database must open, pass its structure checks and hold either
 * the state before that write or the one after it:
 *
 * - the database opens read-only and passes its checks, and every branch listed replays to its end;
 * - the recording's branch is either absent or listed, and then it is the head (created and
 *   made head in one write: never half of it);
 * - the branch holds exactly the events committed before the kill (one more when killed after
 *   the commit) - never a torn batch;
 * - a new default recording afterwards succeeds (the database is not wedged).
 *
 * Exported for the reliability campaigns (`npm run reliability`); a slice runs in `npm test`
 * (test/store-processes.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Output, recordScript } from '../src/cli/history-commands.js';
import { History } from '../src/replay/history.js';
import { isStoreError } from '../src/store/errors.js';
import { openSqliteStore, type SqliteEventStore } from '../src/store/sqlite/sqlite-event-store.js';
import { ROOT } from './thinlab-process.js';

export interface SweepOptions {
  /** The script each recording runs. */
  readonly script: string;
  /** Record this first, without faults, so the sweep also covers an existing database. */
  readonly before?: string;
  /** Stop after this many write points even if the recording has more. */
  readonly maxWrites?: number;
}

export interface SweepPoint {
  readonly write: number;
  readonly phase: 'before-commit' | 'after-commit';
  /** Whether the process died by SIGKILL (false: it finished before reaching the write). */
  readonly killed: boolean;
  /** Branches and their lengths after the kill. */
  readonly branches: Readonly<Record<string, number>>;
  readonly head: string | null;
}

export interface SweepResult {
  readonly points: SweepPoint[];
  /** Problems found: empty when every kill left the old or the new state. */
  readonly problems: string[];
}

function thinlab(args: readonly string[], cwd: string, input: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'thinlab.js'), ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: '1', ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export async function inspect(dbPath: string): Promise<{ branches: Record<string, number>; head: string | null }> {
  let store: SqliteEventStore;
  try {
    store = await openSqliteStore(dbPath, { readOnly: true });
  } catch (e) {
    // Killed before its first migration committed (empty) or between two (partly migrated):
    // no lab yet, which a writing open completes.
    if (isStoreError(e, 'STORE_MISSING') || isStoreError(e, 'STORE_TOO_OLD')) return { branches: {}, head: null };
    throw e;
  }
  try {
    const h = new History(store);
    await h.check();
    const branches: Record<string, number> = {};
    for (const b of await h.branches()) {
      branches[b.name] = await h.length(b.name);
      await h.stateAt(b.name, branches[b.name]!); // Replays, checking every event.
    }
    return { branches, head: await h.head() };
  } finally {
    await store.close();
  }
}

/** After a kill: a new default recording on the database must work (it is not wedged). */
export async function recordAfterwards(dbPath: string): Promise<void> {
  const store = await openSqliteStore(dbPath);
  try {
    const h = new History(store);
    await h.check();
    await recordScript(h, 'echo still-works\n', { continueBranch: false, ramdiskKb: 65536, trace: false }, quiet);
  } finally {
    await store.close();
  }
}

const quiet: Output = { out: () => undefined, err: () => undefined, interactive: false };

/** Runs the sweep; `onPoint` sees each point as it is done (progress for long campaigns). */
export async function runKillSweep(options: SweepOptions, onPoint?: (p: SweepPoint) => void): Promise<SweepResult> {
  const problems: string[] = [];
  const points: SweepPoint[] = [];
  const commands = options.script.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length;
  const template = mkdtempSync(join(tmpdir(), 'thinlab-kill-base-'));
  try {
    // The database the recordings start from, made once and copied for each kill.
    if (options.before !== undefined) thinlab(['sh', '--db', 'lab.db', '--branch', 'base'], template, options.before);
    const baseline = existsSync(join(template, 'lab.db')) ? await inspect(join(template, 'lab.db')) : null;
    for (let write = 1; write <= (options.maxWrites ?? Number.MAX_SAFE_INTEGER); write++) {
      const lengths: number[] = [];
      let finished = false;
      for (const phase of ['before-commit', 'after-commit'] as const) {
        const point = await killOnce(template, baseline, write, phase, options.script, commands, problems);
        if (point === null) continue;
        lengths.push(point.branches.rec ?? -1);
        finished ||= !point.killed;
        points.push(point);
        onPoint?.(point);
      }
      // Killed just after a commit, the recording holds at most one event more than just before it.
      if (lengths.length === 2 && (lengths[1]! < lengths[0]! || lengths[1]! > lengths[0]! + 1))
        problems.push(`write ${write}: 'rec' had ${lengths[0]} events killed before the commit, ${lengths[1]} after`);
      if (finished) break;
    }
  } finally {
    rmSync(template, { recursive: true, force: true });
  }
  return { points, problems };
}

async function killOnce(
  template: string,
  baseline: { branches: Record<string, number> } | null,
  write: number,
  phase: 'before-commit' | 'after-commit',
  script: string,
  commands: number,
  problems: string[],
): Promise<SweepPoint | null> {
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-kill-'));
  const db = join(dir, 'lab.db');
  const where = `write ${write} ${phase}`;
  try {
    if (existsSync(join(template, 'lab.db'))) copyFileSync(join(template, 'lab.db'), db);
    const env = { THINLAB_KILL_AT_WRITE: `${write}${phase === 'after-commit' ? ':after' : ''}` };
    const run = thinlab(['sh', '--db', 'lab.db', '--branch', 'rec'], dir, script, env);
    const killed = run.signal === 'SIGKILL';
    if (!killed && run.status !== 0) problems.push(`${where}: the recording failed: ${run.stderr.trim()}`);
    const state = existsSync(db) ? await inspect(db) : { branches: {}, head: null };
    for (const [name, length] of Object.entries(baseline?.branches ?? {}))
      if (state.branches[name] !== length) problems.push(`${where}: branch ${name} changed from ${length} events`);
    const rec = state.branches.rec;
    if (rec !== undefined && state.head !== 'rec') problems.push(`${where}: 'rec' exists but is not the head`);
    if (rec !== undefined && rec > commands) problems.push(`${where}: 'rec' has ${rec} events of ${commands}`);
    if (!killed && rec !== commands) problems.push(`${where}: finished with ${rec ?? 'no'} events of ${commands}`);
    await recordAfterwards(db);
    return { write, phase, killed, branches: state.branches, head: state.head };
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message}`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
