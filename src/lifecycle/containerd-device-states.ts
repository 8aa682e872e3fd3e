/**
 * containerd's devmapper snapshotter device states (`device_info.go`, docker-devicemapper.md §3.2)
 * and the rules that move between them: every dm operation goes through `transition` (persist the
 * trying state, run, persist the success state, or stay in the trying state with the error),
 * `MarkFaulty` and `MarkDeviceState` jump to Faulty or Removed from anywhere, and at start
 * `ensureDeviceStates` marks devices stuck mid-operation Faulty and re-activates devices marked
 * Activated whose dm device is gone. The snapshotter runs these; which operation may start from
 * which state is stated by the xstate machine (src/lifecycle/containerd-device-machine.ts), which
 * the replay layer checks every state change against.
 */

export const DEVICE_STATES = [
  'Unknown',
  'Creating',
  'Created',
  'Activating',
  'Activated',
  'Suspending',
  'Suspended',
  'Resuming',
  'Resumed',
  'Deactivating',
  'Deactivated',
  'Removing',
  'Removed',
  'Faulty',
] as const;

export type DeviceState = (typeof DEVICE_STATES)[number];

/** Go's String(): the state's name, except Unknown, which has no case and prints `unknown 0`. */
export function stateString(state: DeviceState): string {
  return state === 'Unknown' ? 'unknown 0' : state;
}

/** The operations `transition` runs, with their trying and success states. */
export const OPERATIONS = {
  create: ['Creating', 'Created'],
  activate: ['Activating', 'Activated'],
  suspend: ['Suspending', 'Suspended'],
  resume: ['Resuming', 'Resumed'],
  deactivate: ['Deactivating', 'Deactivated'],
  remove: ['Removing', 'Removed'],
} as const satisfies Record<string, readonly [DeviceState, DeviceState]>;

export type Operation = keyof typeof OPERATIONS;

export function tryingState(op: Operation): DeviceState {
  return OPERATIONS[op][0];
}

/** The state after an operation: its success state, or its trying state when it failed. */
export function stateAfter(op: Operation, succeeded: boolean): DeviceState {
  return succeeded ? OPERATIONS[op][1] : OPERATIONS[op][0];
}

/** States `ensureDeviceStates` leaves alone at start. */
const STABLE: ReadonlySet<DeviceState> = new Set(['Suspended', 'Resumed', 'Deactivated', 'Removed', 'Faulty']);

export type Reconciliation =
  | { readonly action: 'keep' }
  | { readonly action: 'reactivate'; readonly warning: string }
  | { readonly action: 'faulty'; readonly warning: string };

/** ensureDeviceStates for one device: `live` says whether its dm device exists now. */
export function reconcile(name: string, state: DeviceState, live: boolean): Reconciliation {
  if (STABLE.has(state)) return { action: 'keep' };
  if (state === 'Activated') {
    if (live) return { action: 'keep' };
    return {
      action: 'reactivate',
      warning: `devmapper device "${name}" marked as "${stateString(state)}" but not active, activating it`,
    };
  }
  return {
    action: 'faulty',
    warning: `devmapper device "${name}" has invalid state "${stateString(state)}", marking as faulty`,
  };
}
