import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { DEVICE_STATES, reconcile, stateString, tryingState } from './containerd-device-states.js';
import { containerdDeviceMachine, type DeviceMachineEvent } from './containerd-device-machine.js';

function run(events: DeviceMachineEvent[]): { state: string; error: string } {
  const actor = createActor(containerdDeviceMachine, { input: { name: 'pool-snap-1' } }).start();
  for (const e of events) actor.send(e);
  const snap = actor.getSnapshot();
  return { state: String(snap.value), error: snap.context.error };
}

describe("containerd's device states", () => {
  it('has the 14 states in iota order, Unknown printing as Go prints it', () => {
    expect(DEVICE_STATES).toHaveLength(14);
    expect(DEVICE_STATES.indexOf('Faulty')).toBe(13);
    expect(DEVICE_STATES.indexOf('Activated')).toBe(4);
    expect(stateString('Unknown')).toBe('unknown 0');
    expect(stateString('Removing')).toBe('Removing');
  });

  it('moves through create, activate, suspend, resume, deactivate and remove', () => {
    expect(run([{ type: 'TRY', op: 'create' }, { type: 'SUCCEED' }]).state).toBe('Created');
    expect(
      run([{ type: 'TRY', op: 'create' }, { type: 'SUCCEED' }, { type: 'TRY', op: 'activate' }, { type: 'SUCCEED' }])
        .state,
    ).toBe('Activated');
    const full = run(
      ['create', 'activate', 'suspend', 'resume', 'deactivate', 'remove'].flatMap((op) => [
        { type: 'TRY', op } as DeviceMachineEvent,
        { type: 'SUCCEED' } as DeviceMachineEvent,
      ]),
    );
    expect(full.state).toBe('Removed');
  });

  it('stays in the trying state with the error when an operation fails', () => {
    expect(
      run([
        { type: 'TRY', op: 'create' },
        { type: 'FAIL', error: 'invalid argument' },
      ]),
    ).toEqual({ state: 'Creating', error: 'invalid argument' });
  });

  it('marks a device stuck mid-operation Faulty at restart, and re-activates an Activated one that is gone', () => {
    // The six operations in this order are a legal life; each is stuck after the ones before it succeeded.
    const life = ['create', 'activate', 'suspend', 'resume', 'deactivate', 'remove'] as const;
    life.forEach((stuck, i) => {
      const before = life
        .slice(0, i)
        .flatMap((op) => [{ type: 'TRY', op }, { type: 'SUCCEED' }] as DeviceMachineEvent[]);
      expect(run([...before, { type: 'TRY', op: stuck }]).state).toBe(tryingState(stuck));
      expect(run([...before, { type: 'TRY', op: stuck }, { type: 'RESTART', live: false }]).state).toBe('Faulty');
    });
    expect(run([{ type: 'TRY', op: 'create' }, { type: 'SUCCEED' }, { type: 'RESTART', live: false }]).state).toBe(
      'Faulty',
    );
    const activated = [
      { type: 'TRY', op: 'create' },
      { type: 'SUCCEED' },
      { type: 'TRY', op: 'activate' },
      { type: 'SUCCEED' },
    ] as DeviceMachineEvent[];
    expect(run([...activated, { type: 'RESTART', live: true }]).state).toBe('Activated');
    expect(run([...activated, { type: 'RESTART', live: false }]).state).toBe('Activating');
    expect(
      run([...activated, { type: 'TRY', op: 'deactivate' }, { type: 'SUCCEED' }, { type: 'RESTART', live: false }])
        .state,
    ).toBe('Deactivated');
    expect(run([{ type: 'MARK_FAULTY' }, { type: 'RESTART', live: false }]).state).toBe('Faulty');
  });

  it('starts an operation only from the states the snapshotter runs it from', () => {
    const activated = [
      { type: 'TRY', op: 'create' },
      { type: 'SUCCEED' },
      { type: 'TRY', op: 'activate' },
      { type: 'SUCCEED' },
    ] as DeviceMachineEvent[];
    expect(run([...activated, { type: 'TRY', op: 'create' }]).state).toBe('Activated');
    expect(run([...activated, { type: 'TRY', op: 'remove' }]).state).toBe('Activated');
    expect(run([{ type: 'TRY', op: 'activate' }]).state).toBe('Unknown');
  });

  it('agrees with the rule the snapshotter applies, for every state', () => {
    for (const s of DEVICE_STATES) {
      const r = reconcile('d', s, false);
      expect(['keep', 'reactivate', 'faulty']).toContain(r.action);
      if (s === 'Activated') expect(r.action).toBe('reactivate');
      if (['Suspended', 'Resumed', 'Deactivated', 'Removed', 'Faulty'].includes(s)) expect(r.action).toBe('keep');
    }
    expect(reconcile('pool-snap-3', 'Creating', false)).toEqual({
      action: 'faulty',
      warning: 'devmapper device "pool-snap-3" has invalid state "Creating", marking as faulty',
    });
  });
});
