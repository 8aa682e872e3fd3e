/**
 * Keeps one xstate actor per pool and per thin device and feeds them the lifecycle changes a
 * command made to the model: mode changes, needs_check, suspend/resume, thin devices opened,
 * closed and deleted. It looks only at small summaries before and after a command, so the cost is
 * per command, never per write. A change the machines do not allow is a bug in the model and is
 * reported as such.
 */
import { createActor, type Actor } from 'xstate';
import type { PoolMode } from '../model/lifecycle.js';
import type { Machine } from '../model/machine.js';
import { poolMachine, type PoolMachineEvent } from '../lifecycle/pool-machine.js';
import { thinMachine, type ThinMachineEvent } from '../lifecycle/thin-machine.js';

interface PoolSummary {
  readonly mode: PoolMode;
  readonly needsCheck: boolean;
  readonly suspended: boolean;
}

interface ThinSummary {
  readonly openCount: number;
  readonly suspended: boolean;
}

export interface LifecycleSummary {
  readonly pools: ReadonlyMap<string, PoolSummary>;
  readonly thins: ReadonlyMap<string, ThinSummary>;
}

export function summarize(machine: Machine): LifecycleSummary {
  const pools = new Map<string, PoolSummary>();
  const thins = new Map<string, ThinSummary>();
  const suspendedThins = new Set<unknown>();
  for (const dev of machine.deviceList()) {
    if (dev.live?.type === 'thin' && dev.suspended) suspendedThins.add(dev.live.thin);
  }
  for (const pool of machine.livePools()) {
    const name = machine.poolDevice(pool)?.name ?? pool.name;
    pools.set(name, { mode: pool.mode, needsCheck: pool.md.needsCheck, suspended: pool.suspended });
    for (const [id, thin] of pool.md.devices) {
      thins.set(`${name}/${id}`, { openCount: thin.openCount, suspended: suspendedThins.has(thin) });
    }
  }
  return { pools, thins };
}

export class LifecycleViolation extends Error {
  override readonly name = 'LifecycleViolation';
}

type PoolActor = Actor<typeof poolMachine>;
type ThinActor = Actor<typeof thinMachine>;

export class LifecycleTracker {
  private readonly pools = new Map<string, PoolActor>();
  private readonly thins = new Map<string, ThinActor>();
  private last: LifecycleSummary = { pools: new Map(), thins: new Map() };

  /** Starts tracking from the lab's current state (after a checkpoint is loaded, say). */
  reset(summary: LifecycleSummary): void {
    for (const a of this.pools.values()) a.stop();
    for (const a of this.thins.values()) a.stop();
    this.pools.clear();
    this.thins.clear();
    for (const [name, p] of summary.pools) this.pools.set(name, this.startPool(p));
    for (const [key, t] of summary.thins) this.thins.set(key, this.startThin(t));
    this.last = summary;
  }

  /** Feeds the changes from the last summary to this one; throws on a change the rules forbid. */
  advance(next: LifecycleSummary, what: string): void {
    for (const [name, p] of next.pools) {
      const before = this.last.pools.get(name);
      const actor = this.pools.get(name);
      if (before === undefined || actor === undefined) {
        this.pools.get(name)?.stop();
        this.pools.set(name, this.startPool(p));
        continue;
      }
      if (p.needsCheck && !before.needsCheck) this.send(actor, { type: 'NEEDS_CHECK_SET' }, `pool ${name}`, what);
      if (p.mode !== before.mode) this.send(actor, { type: 'MODE', to: p.mode, needsCheck: p.needsCheck }, `pool ${name}`, what);
      if (p.suspended !== before.suspended) this.send(actor, { type: p.suspended ? 'SUSPEND' : 'RESUME' }, `pool ${name}`, what);
    }
    for (const name of [...this.pools.keys()]) {
      if (!next.pools.has(name)) {
        this.pools.get(name)!.stop();
        this.pools.delete(name);
      }
    }
    for (const [key, t] of next.thins) {
      const before = this.last.thins.get(key);
      const actor = this.thins.get(key);
      if (before === undefined || actor === undefined) {
        this.thins.get(key)?.stop();
        this.thins.set(key, this.startThin(t));
        continue;
      }
      for (let n = before.openCount; n < t.openCount; n++) this.send(actor, { type: 'OPEN' }, `thin ${key}`, what);
      for (let n = before.openCount; n > t.openCount; n--) this.send(actor, { type: 'CLOSE' }, `thin ${key}`, what);
      if (t.suspended !== before.suspended && t.openCount > 0) {
        this.send(actor, { type: t.suspended ? 'SUSPEND' : 'RESUME' }, `thin ${key}`, what);
      }
    }
    for (const key of [...this.thins.keys()]) {
      if (next.thins.has(key)) continue;
      const actor = this.thins.get(key)!;
      const poolStillThere = next.pools.has(key.slice(0, key.lastIndexOf('/')));
      // A thin that vanished while its pool stayed was deleted by a message. One command may
      // close it (remove its device) and then delete it, so its openers are closed first; the
      // delete must then be legal.
      if (poolStillThere) {
        const openers = this.last.thins.get(key)?.openCount ?? 0;
        for (let n = 0; n < openers; n++) this.send(actor, { type: 'CLOSE' }, `thin ${key}`, what);
        this.send(actor, { type: 'DELETE' }, `thin ${key}`, what);
      }
      actor.stop();
      this.thins.delete(key);
    }
    this.last = next;
  }

  /** The machines' view, for `thinlab at`: pool modes and thin states. */
  states(): { pools: Record<string, string>; thins: Record<string, string> } {
    const pools: Record<string, string> = {};
    const thins: Record<string, string> = {};
    for (const [k, a] of this.pools) pools[k] = String(a.getSnapshot().value);
    for (const [k, a] of this.thins) thins[k] = String(a.getSnapshot().value);
    return { pools, thins };
  }

  private send<E extends PoolMachineEvent | ThinMachineEvent>(actor: Actor<any>, event: E, who: string, what: string): void {
    const snapshot = actor.getSnapshot();
    if (!snapshot.can(event)) {
      throw new LifecycleViolation(`${who}: ${event.type}${'to' in event ? ` ${event.to}` : ''} is not allowed from ${JSON.stringify(snapshot.value)} (after: ${what})`);
    }
    actor.send(event);
  }

  private startPool(p: PoolSummary): PoolActor {
    const snapshot = poolMachine.resolveState({ value: p.mode, context: { needsCheck: p.needsCheck, suspended: p.suspended } });
    return createActor(poolMachine, { snapshot, input: {} }).start();
  }

  private startThin(t: ThinSummary): ThinActor {
    const value = t.openCount === 0 ? 'created' : t.suspended ? 'suspended' : 'active';
    const snapshot = thinMachine.resolveState({ value, context: { openCount: t.openCount } });
    return createActor(thinMachine, { snapshot, input: {} }).start();
  }
}
