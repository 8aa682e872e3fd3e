/**
 * A containerd devmapper device's lifecycle as an xstate machine, one state per value of
 * containerd's `DeviceState` (14, in iota order): TRY an operation (its trying state is persisted
 * first), SUCCEED or FAIL it (a failure stays in the trying state), MARK_FAULTY and MARK_REMOVED
 * from anywhere, and RESTART, which applies `ensureDeviceStates` (`reconcile` in
 * src/lifecycle/containerd-device-states.ts, the snapshotter's own code). This machine is the one statement
 * of which operation may start from which state (TRY_FROM); the replay layer checks every state
 * change the snapshotter made against it (src/replay/lifecycle-tracker.ts).
 */
import { assign, setup } from 'xstate';
import {
  DEVICE_STATES,
  OPERATIONS,
  reconcile,
  stateAfter,
  tryingState,
  type DeviceState,
  type Operation,
} from './containerd-device-states.js';

export interface DeviceContext {
  readonly name: string;
  readonly error: string;
  /** The operation whose trying state the device is in, if any. */
  readonly pending: Operation | null;
}

export type DeviceMachineEvent =
  | { readonly type: 'TRY'; readonly op: Operation }
  | { readonly type: 'SUCCEED' }
  | { readonly type: 'FAIL'; readonly error: string }
  | { readonly type: 'MARK_FAULTY' }
  | { readonly type: 'MARK_REMOVED' }
  | { readonly type: 'RESTART'; readonly live: boolean };

const OPS = Object.keys(OPERATIONS) as Operation[];

/**
 * The states each operation may start from, as the snapshotter runs them: a device is created
 * once, when its record is new; activated when created, or again at restart when it is marked
 * Activated but gone; a parent is suspended (and then resumed) around a snapshot of it while
 * loaded; a device is deactivated from any state it reached (commit, remove) and removed only
 * once deactivated. A Faulty record is replaced by a new device with a new id, never created again.
 */
export const TRY_FROM: Readonly<Record<Operation, readonly DeviceState[]>> = {
  create: ['Unknown'],
  activate: ['Created', 'Activated'],
  suspend: ['Activated', 'Resumed', 'Deactivated'],
  resume: ['Suspended'],
  deactivate: DEVICE_STATES.filter((s) => s !== 'Unknown' && s !== 'Creating'),
  remove: ['Deactivated'],
};

/** The transitions of one state: TRY the operations TRY_FROM allows, the two marks, and the restart rule. */
function transitionsFrom(state: DeviceState): Record<string, unknown> {
  const tries = OPS.filter((op) => TRY_FROM[op].includes(state)).map((op) => ({
    guard: ({ event }: { event: DeviceMachineEvent }) => event.type === 'TRY' && event.op === op,
    target: tryingState(op),
    actions: assign({ pending: op, error: '' }),
  }));
  const restart = [
    {
      guard: ({ context, event }: { context: DeviceContext; event: DeviceMachineEvent }) =>
        event.type === 'RESTART' && reconcile(context.name, state, event.live).action === 'faulty',
      target: 'Faulty',
    },
    {
      guard: ({ context, event }: { context: DeviceContext; event: DeviceMachineEvent }) =>
        event.type === 'RESTART' && reconcile(context.name, state, event.live).action === 'reactivate',
      target: 'Activating',
      actions: assign({ pending: 'activate' as Operation }),
    },
  ];
  const outcome = OPS.filter((op) => tryingState(op) === state).flatMap((op) => [
    {
      guard: ({ event }: { event: DeviceMachineEvent }) => event.type === 'SUCCEED',
      target: stateAfter(op, true),
      actions: assign({ pending: null, error: '' }),
    },
  ]);
  return {
    TRY: tries,
    SUCCEED: outcome,
    FAIL: {
      actions: assign({
        error: ({ event }: { event: DeviceMachineEvent }) => (event.type === 'FAIL' ? event.error : ''),
      }),
    },
    MARK_FAULTY: { target: 'Faulty', actions: assign({ pending: null }) },
    MARK_REMOVED: { target: 'Removed', actions: assign({ pending: null }) },
    RESTART: restart,
  };
}

const states = Object.fromEntries(DEVICE_STATES.map((s) => [s, { on: transitionsFrom(s) }]));

export const containerdDeviceMachine = setup({
  types: { context: {} as DeviceContext, events: {} as DeviceMachineEvent, input: {} as { name: string } },
}).createMachine({
  id: 'containerd-device',
  context: ({ input }) => ({ name: input.name, error: '', pending: null }),
  initial: 'Unknown',
  // The states are generated from DEVICE_STATES; xstate's types cannot follow that, hence the cast.
  states: states as never,
});
