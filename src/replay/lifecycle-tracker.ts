/**
 * Checks every lifecycle change the model made against the lifecycle machines (src/lifecycle):
 * pool modes, needs_check, suspend/resume, thin devices opened, closed and deleted, and the state
 * of each containerd devmapper device. It keeps one machine snapshot per pool, thin and device and
 * folds the changes through xstate's pure `transition` (no actors), looking only at small
 * summaries before and after a command, so the cost is per command, never per write. The rules
 * themselves are the machines'; this module only turns two summaries into machine events. A
 * change the machines do not allow is a bug in the model and is reported as a LifecycleViolation.
 */
import { initialTransition, transition, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import { OPERATIONS, type DeviceState, type Operation } from '../lifecycle/containerd-device-states.js';
import type { CtrdState } from '../containerd/snapshotter.js';
import { containerdDeviceMachine, type DeviceMachineEvent } from '../lifecycle/containerd-device-machine.js';
import { poolMachine, type PoolMachineEvent } from '../lifecycle/pool-machine.js';
import { thinMachine, type ThinMachineEvent } from '../lifecycle/thin-machine.js';
import type { PoolMode } from '../model/lifecycle.js';
import type { Machine } from '../model/machine.js';

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
  /** How many live `thin` targets hold each thin (by `pool/id`), whether or not its pool still lists it. */
  readonly targets: ReadonlyMap<string, number>;
  /** containerd's device records by `name#id` (a Faulty record replaced by a new id is a new device). */
  readonly devices: ReadonlyMap<string, DeviceState>;
}

export function summarize(machine: Machine, containerd?: CtrdState): LifecycleSummary {
  const pools = new Map<string, PoolSummary>();
  const thins = new Map<string, ThinSummary>();
  const suspendedThins = new Set<unknown>();
  const targets = new Map<string, number>();
  for (const dev of machine.deviceList()) {
    if (dev.live?.type !== 'thin') continue;
    if (dev.suspended) suspendedThins.add(dev.live.thin);
    const key = `${machine.poolDevice(dev.live.pool)?.name ?? dev.live.pool.name}/${dev.live.thin.id}`;
    targets.set(key, (targets.get(key) ?? 0) + 1);
  }
  for (const pool of machine.livePools()) {
    const name = machine.poolDevice(pool)?.name ?? pool.name;
    pools.set(name, { mode: pool.mode, needsCheck: pool.md.needsCheck, suspended: pool.suspended });
    for (const [id, thin] of pool.md.devices) {
      thins.set(`${name}/${id}`, { openCount: thin.openCount, suspended: suspendedThins.has(thin) });
    }
  }
  const devices = new Map<string, DeviceState>();
  for (const record of Object.values(containerd?.devices ?? {}))
    devices.set(`${record.name}#${record.deviceId}`, record.state);
  return { pools, thins, targets, devices };
}

export class LifecycleViolation extends Error {
  override readonly name = 'LifecycleViolation';
}

type PoolSnapshot = SnapshotFrom<typeof poolMachine>;
type ThinSnapshot = SnapshotFrom<typeof thinMachine>;
type DeviceSnapshot = SnapshotFrom<typeof containerdDeviceMachine>;

/** Every event a containerd device can take, for finding how one state led to another. */
const DEVICE_EVENTS: readonly DeviceMachineEvent[] = [
  ...(Object.keys(OPERATIONS) as Operation[]).map((op) => ({ type: 'TRY', op }) as const),
  { type: 'SUCCEED' },
  { type: 'FAIL', error: '' },
  { type: 'MARK_FAULTY' },
  { type: 'MARK_REMOVED' },
  { type: 'RESTART', live: true },
  { type: 'RESTART', live: false },
];

export class LifecycleTracker {
  private pools = new Map<string, PoolSnapshot>();
  private thins = new Map<string, ThinSnapshot>();
  private devices = new Map<string, DeviceSnapshot>();
  private last: LifecycleSummary = { pools: new Map(), thins: new Map(), targets: new Map(), devices: new Map() };

  /** Starts tracking from the lab's current state (after a checkpoint is loaded, say). */
  reset(summary: LifecycleSummary): void {
    this.pools = new Map([...summary.pools].map(([name, p]) => [name, this.bornPool(p, `pool ${name}`, 'start')]));
    this.thins = new Map([...summary.thins].map(([key, t]) => [key, this.bornThin(t, `thin ${key}`, 'start')]));
    this.devices = new Map();
    for (const [key, state] of summary.devices)
      this.devices.set(key, this.deviceTo(this.bornDevice(key), state, `containerd device ${key}`, 'start'));
    this.last = summary;
  }

  /** Feeds the changes from the last summary to this one; throws on a change the rules forbid. */
  advance(next: LifecycleSummary, what: string): void {
    for (const [name, p] of next.pools) {
      const before = this.last.pools.get(name);
      let s = this.pools.get(name);
      if (before === undefined || s === undefined) {
        this.pools.set(name, this.bornPool(p, `pool ${name}`, what));
        continue;
      }
      const who = `pool ${name}`;
      if (p.needsCheck && !before.needsCheck) s = this.step(poolMachine, s, { type: 'NEEDS_CHECK_SET' }, who, what);
      if (p.mode !== before.mode)
        s = this.step(poolMachine, s, { type: 'MODE', to: p.mode, needsCheck: p.needsCheck }, who, what);
      if (p.suspended !== before.suspended)
        s = this.step(poolMachine, s, { type: p.suspended ? 'SUSPEND' : 'RESUME' }, who, what);
      this.pools.set(name, s);
    }
    for (const name of [...this.pools.keys()]) if (!next.pools.has(name)) this.pools.delete(name);
    for (const [key, t] of next.thins) {
      const before = this.last.thins.get(key);
      const s = this.thins.get(key);
      this.thins.set(
        key,
        before === undefined || s === undefined
          ? this.bornThin(t, `thin ${key}`, what)
          : this.thinTo(s, before, t, `thin ${key}`, what),
      );
    }
    for (const [key, s] of [...this.thins]) {
      if (next.thins.has(key)) continue;
      // A thin that vanished while its pool stayed was deleted by a message. One command may
      // close it (remove its device) and then delete it, so the openers whose targets are gone
      // are closed first; the delete must then be legal, which it is not while a target holds it.
      if (next.pools.has(key.slice(0, key.lastIndexOf('/')))) {
        const before = this.last.thins.get(key) ?? { openCount: 0, suspended: false };
        const stillHeld = Math.min(before.openCount, next.targets.get(key) ?? 0);
        const closed = this.thinTo(
          s,
          before,
          { openCount: stillHeld, suspended: before.suspended },
          `thin ${key}`,
          what,
        );
        this.step(thinMachine, closed, { type: 'DELETE' }, `thin ${key}`, what);
      }
      this.thins.delete(key);
    }
    for (const [key, state] of next.devices) {
      const s = this.devices.get(key) ?? this.bornDevice(key);
      this.devices.set(key, this.deviceTo(s, state, `containerd device ${key}`, what));
    }
    for (const key of [...this.devices.keys()]) if (!next.devices.has(key)) this.devices.delete(key);
    this.last = next;
  }

  /** The machines' view, for `thinlab at`: pool modes and thin states. */
  states(): { pools: Record<string, string>; thins: Record<string, string> } {
    const pools: Record<string, string> = {};
    const thins: Record<string, string> = {};
    for (const [k, s] of this.pools) pools[k] = String(s.value);
    for (const [k, s] of this.thins) thins[k] = String(s.value);
    return { pools, thins };
  }

  /** One event through a machine, refused when the machine does not allow it there. */
  private step<S extends PoolSnapshot | ThinSnapshot | DeviceSnapshot>(
    machine: AnyStateMachine,
    snapshot: S,
    event: PoolMachineEvent | ThinMachineEvent | DeviceMachineEvent,
    who: string,
    what: string,
  ): S {
    // Each caller passes a snapshot of the machine it names and that machine's own events; the
    // union of the three machines' types is more than xstate's signatures can follow, hence the casts.
    if (!snapshot.can(event as never)) {
      throw new LifecycleViolation(
        `${who}: ${event.type}${'to' in event ? ` ${event.to}` : ''} is not allowed from ${JSON.stringify(snapshot.value)} (after: ${what})`,
      );
    }
    return transition(machine, snapshot as never, event as never)[0] as S;
  }

  /** A pool that appeared: from the machine's start, moved to the mode the model gave it. */
  private bornPool(p: PoolSummary, who: string, what: string): PoolSnapshot {
    const [start] = initialTransition(poolMachine, { needsCheck: p.needsCheck, suspended: p.suspended });
    return p.mode === 'write'
      ? start
      : this.step(poolMachine, start, { type: 'MODE', to: p.mode, needsCheck: p.needsCheck }, who, what);
  }

  /** A thin that appeared: created, then opened (and suspended) as the model has it. */
  private bornThin(t: ThinSummary, who: string, what: string): ThinSnapshot {
    const [start] = initialTransition(thinMachine, {});
    return this.thinTo(start, { openCount: 0, suspended: false }, t, who, what);
  }

  private thinTo(s: ThinSnapshot, before: ThinSummary, after: ThinSummary, who: string, what: string): ThinSnapshot {
    for (let n = before.openCount; n < after.openCount; n++) s = this.step(thinMachine, s, { type: 'OPEN' }, who, what);
    for (let n = before.openCount; n > after.openCount; n--)
      s = this.step(thinMachine, s, { type: 'CLOSE' }, who, what);
    if (after.suspended !== before.suspended && after.openCount > 0)
      s = this.step(thinMachine, s, { type: after.suspended ? 'SUSPEND' : 'RESUME' }, who, what);
    return s;
  }

  private bornDevice(key: string): DeviceSnapshot {
    return initialTransition(containerdDeviceMachine, { name: key.slice(0, key.lastIndexOf('#')) })[0];
  }

  /**
   * A containerd device moved between two states within one command, perhaps through several
   * (create then activate): the machine must have a way from the one to the other. The ways are
   * found breadth first over every event the machine takes, through its own transitions.
   */
  private deviceTo(s: DeviceSnapshot, to: DeviceState, who: string, what: string): DeviceSnapshot {
    if (s.value === to) return s;
    const seen = new Set<string>([String(s.value)]);
    let frontier = [s];
    while (frontier.length > 0) {
      const further: DeviceSnapshot[] = [];
      for (const from of frontier) {
        for (const event of DEVICE_EVENTS) {
          if (!from.can(event)) continue;
          const [n] = transition(containerdDeviceMachine, from, event);
          if (n.value === to) return n;
          if (!seen.has(String(n.value))) {
            seen.add(String(n.value));
            further.push(n);
          }
        }
      }
      frontier = further;
    }
    throw new LifecycleViolation(
      `${who}: ${String(s.value)} -> ${to} is not allowed by containerd's device states (after: ${what})`,
    );
  }
}
