/**
 * The pool's lifecycle as an xstate machine: its modes, whether it is suspended, and needs_check.
 * This machine is the one statement of which pool changes are legal at all; the pool model
 * decides what the kernel does (set_pool_mode in src/model/lifecycle.ts) and the replay layer
 * checks every change it made against this machine (src/replay/lifecycle-tracker.ts).
 *
 * The rules, from dm-thin.c set_pool_mode: fail mode is never left; write mode cannot be entered
 * while the metadata needs checking; needs_check is only ever set while the pool runs (only the
 * repair tools clear it, offline); suspend and resume alternate. Any other mode change is legal:
 * the kernel may degrade a pool to any mode, and a commit or a resize brings it back to write.
 */
import { assign, setup } from 'xstate';
import { POOL_MODES, type PoolMode } from '../model/lifecycle.js';

export interface PoolContext {
  readonly needsCheck: boolean;
  readonly suspended: boolean;
}

export type PoolMachineEvent =
  | { readonly type: 'MODE'; readonly to: PoolMode; readonly needsCheck: boolean }
  | { readonly type: 'NEEDS_CHECK_SET' }
  | { readonly type: 'SUSPEND' }
  | { readonly type: 'RESUME' };

/** The mode changes out of one mode; fail mode has none. */
const modeState = (from: PoolMode) => ({
  on: {
    MODE:
      from === 'fail'
        ? []
        : POOL_MODES.filter((to) => to !== from).map((to) => ({
            guard: ({ event }: { event: PoolMachineEvent }) =>
              event.type === 'MODE' && event.to === to && !(to === 'write' && event.needsCheck),
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
