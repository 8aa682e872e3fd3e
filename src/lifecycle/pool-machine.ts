/**
 * The pool's lifecycle as an xstate machine: its modes, whether it is suspended, and needs_check.
 * The states and guards come from src/model/lifecycle.ts, the same rules the pool model applies,
 * so there is one copy of them. The replay layer feeds this machine the lifecycle changes the
 * model makes (never the writes themselves) and refuses any change the machine does not allow.
 */
import { assign, setup } from 'xstate';
import { modeChangeAllowed, POOL_MODES, type PoolMode } from '../model/lifecycle.js';

export interface PoolContext {
  readonly needsCheck: boolean;
  readonly suspended: boolean;
}

export type PoolMachineEvent =
  | { readonly type: 'MODE'; readonly to: PoolMode; readonly needsCheck: boolean }
  | { readonly type: 'NEEDS_CHECK_SET' }
  | { readonly type: 'SUSPEND' }
  | { readonly type: 'RESUME' };

const modeState = (from: PoolMode) => ({
  on: {
    MODE: POOL_MODES.filter((to) => to !== from).map((to) => ({
      guard: ({ event }: { event: PoolMachineEvent }) =>
        event.type === 'MODE' && event.to === to && modeChangeAllowed(from, to, event.needsCheck),
      target: to,
    })),
  },
});

export const poolMachine = setup({
  types: { context: {} as PoolContext, events: {} as PoolMachineEvent, input: {} as Partial<PoolContext> },
}).createMachine({
  id: 'pool',
  context: ({ input }) => ({ needsCheck: input.needsCheck ?? false, suspended: input.suspended ?? false }),
  initial: 'write',
  on: {
    // needs_check is only ever set by the kernel; only the repair tools clear it, offline.
    NEEDS_CHECK_SET: { guard: ({ context }) => !context.needsCheck, actions: assign({ needsCheck: true }) },
    SUSPEND: { guard: ({ context }) => !context.suspended, actions: assign({ suspended: true }) },
    RESUME: { guard: ({ context }) => context.suspended, actions: assign({ suspended: false }) },
  },
  states: {
    write: modeState('write'),
    out_of_data_space: modeState('out_of_data_space'),
    out_of_metadata_space: modeState('out_of_metadata_space'),
    read_only: modeState('read_only'),
    fail: modeState('fail'),
  },
});
