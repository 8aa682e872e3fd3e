/**
 * dmsetup commands that wait for a pool's metadata lock. A pool's commit takes the lock and writes
 * the metadata device; when a device in that device's stack is suspended, the writes wait there
 * until it is resumed, and the commit holds the lock all that time. On Linux 6.1 and 6.12 alike
 * (fixtures/kernel/190): a flushing pool status waits (its own commit writes the superblock even
 * when nothing changed), so do a pool suspend and a message (each commits), and, while a commit
 * waits, a thin's status; a noflush status, `table` and `info` do not. A thin table's load waits
 * too (thin_ctr opens the thin in the pool's metadata under the lock, fixtures/kernel/200); a
 * `dmsetup create` has made its device before, so the device is there, with no table, meanwhile.
 * A failed message takes the lock and commits nothing: with no commit waiting it returns at once
 * (fixtures/kernel/200). In the foreground, with no
 * background job left to resume the device, the real dmsetup would wait forever: the lab says so
 * and stops the command.
 */
import type { DmDevice, Machine } from '../model/machine.js';
import type { ThinPool } from '../model/pool.js';
import type { CommandIo } from '../shell/io.js';
import type { Steps } from '../shell/wait.js';

/** What a command does with a device's pool lock: only takes it, or commits (which writes). */
export type LockUse = 'takes' | 'commits';

/** A device the command works on, and what it does with its pool's lock. */
export type LockedDevice = readonly [DmDevice, LockUse];

/**
 * The pool devices that a table's `thin` lines name, each as a device whose lock the load takes:
 * thin_ctr opens the thin device in the pool's metadata (dm_pool_open_thin_device) under it.
 * Paths resolve as the kernel's dm_get_device does; a line that names no pool is left to the load.
 */
export function thinTablePools(m: Machine, table: string): LockedDevice[] {
  const locked: LockedDevice[] = [];
  for (const line of table.split('\n')) {
    const [, , type, poolPath] = line.trim().split(/\s+/);
    if (type !== 'thin' || poolPath === undefined) continue;
    const dev = m.resolve(poolPath);
    if (dev !== null && dev.kind === 'dm' && dev.live?.type === 'thin-pool') locked.push([dev, 'takes']);
  }
  return locked;
}

/** A wait for a pool's metadata lock: the pool, the device whose resume ends it, and whether the command began the commit. */
interface LockWait {
  readonly pool: ThinPool;
  readonly resume: DmDevice;
  readonly beganCommit: boolean;
}

/**
 * What the command waits for before it runs, if anything. A command that commits starts its
 * commit, which then waits holding the lock: a message behind a flushing status waits for the
 * resume too, even one that fails (fixtures/kernel/200).
 */
function lockWaitBefore(m: Machine, devs: readonly LockedDevice[]): LockWait | null {
  for (const [dev, use] of devs) {
    const w = m.metadataLockWait(dev, use === 'commits');
    if (w === null) continue;
    const beganCommit = !w.pool.commitWaitsForResume;
    if (beganCommit) w.pool.commit();
    return { pool: w.pool, resume: w.resume, beganCommit };
  }
  return null;
}

/** The device whose resume the command waits for before it runs, if any. */
function waitBefore(m: Machine, devs: readonly LockedDevice[]): DmDevice | null {
  return lockWaitBefore(m, devs)?.resume ?? null;
}

/**
 * How many dmsetup commands wait in each pool's lock queue behind a commit that holds it. The
 * kernel's rw_semaphore hands the lock over in the order it was asked for: when the commit ends,
 * those queued run before the committing command can take the lock again (to read its status).
 * Kept beside the pool, not in it: only the commands parked in the shell's jobs are counted.
 */
const queuedOnLock = new WeakMap<ThinPool, number>();

const queueCount = (pool: ThinPool): number => queuedOnLock.get(pool) ?? 0;

/** The device whose resume the command's own commit waits for once it has run, if any. */
function waitAfter(m: Machine, devs: readonly LockedDevice[]): DmDevice | null {
  return waitBefore(
    m,
    devs.map(([dev]) => [dev, 'takes'] as const),
  );
}

function stopped(io: CommandIo, command: string, resume: DmDevice): number {
  io.err(
    `thinlab: dmsetup ${command}: waits for the pool's metadata lock, held by a commit whose writes wait for suspended device ${resume.name}; ` +
      `nothing in the lab will resume it: a real dmsetup would wait forever, thinlab stops waiting\nCommand failed.\n`,
  );
  return 1;
}

/** What the command does once its own commit has finished: only a pool's status reads under the lock again. */
export interface LockOptions {
  /**
   * The command reads what it prints under the lock after its commit (a flushing pool status: its
   * counts). When its commit waited, the commands queued on the lock meanwhile run first, so it
   * prints what they did (fixtures/kernel-probes/203: used metadata 830 after a waiting create_thin).
   */
  readonly readsAfterCommit?: boolean;
}

/**
 * Runs `run` as the kernel would under the pools' locks: first waits while a commit holds one
 * (or, for a device it `commits`, while its own commit would wait), then runs, then waits for a commit
 * the command itself left waiting. Runs at once, without a generator, when nothing waits.
 */
export function underMetadataLock(
  m: Machine,
  devs: readonly LockedDevice[],
  command: string,
  io: CommandIo,
  run: () => number,
  options: LockOptions = {},
): number | Steps<number> {
  const first = lockWaitBefore(m, devs);
  if (first === null) {
    const status = run();
    const after = waitAfter(m, devs);
    return after === null ? status : waitForResume(m, devs, command, io, status, after);
  }
  return (function* (): Steps<number> {
    const queued = !first.beganCommit;
    if (queued) queuedOnLock.set(first.pool, queueCount(first.pool) + 1);
    try {
      for (let resume: DmDevice | null = first.resume; resume !== null; resume = waitBefore(m, devs)) {
        if (!(yield { kind: 'resume', dev: resume })) return stopped(io, command, resume);
      }
    } finally {
      if (queued) queuedOnLock.set(first.pool, queueCount(first.pool) - 1);
    }
    // The commit it began has ended: the commands queued behind it take the lock first. When
    // nothing can run them (false), it reads at once.
    if (first.beganCommit && options.readsAfterCommit === true && queueCount(first.pool) > 0)
      yield { kind: 'turn', ready: () => queueCount(first.pool) === 0 };
    const status = run();
    const after = waitAfter(m, devs);
    return after === null ? status : yield* waitForResume(m, devs, command, io, status, after);
  })();
}

function* waitForResume(
  m: Machine,
  devs: readonly LockedDevice[],
  command: string,
  io: CommandIo,
  status: number,
  first: DmDevice,
): Steps<number> {
  for (let resume: DmDevice | null = first; resume !== null; resume = waitAfter(m, devs)) {
    if (!(yield { kind: 'resume', dev: resume })) return stopped(io, command, resume);
  }
  return status;
}
