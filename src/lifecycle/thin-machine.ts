/**
 * A thin device's lifecycle as an xstate machine: created by a message, active while `thin`
 * targets hold it open (with the open count), suspended, deleted. This machine is the one
 * statement of which thin changes are legal: a device is deleted only when nothing holds it open
 * (the kernel's __delete_device answers EBUSY otherwise), suspended only while a target is
 * active, and closed no more times than it was opened. The replay layer checks every change the
 * model made against it (src/replay/lifecycle-tracker.ts).
 */
import { assign, setup } from 'xstate';

export interface ThinContext {
  readonly openCount: number;
}

export type ThinMachineEvent =
  | { readonly type: 'OPEN' }
  | { readonly type: 'CLOSE' }
  | { readonly type: 'SUSPEND' }
  | { readonly type: 'RESUME' }
  | { readonly type: 'DELETE' };

export const thinMachine = setup({
  types: { context: {} as ThinContext, events: {} as ThinMachineEvent, input: {} as Partial<ThinContext> },
  guards: {
    deletable: ({ context }) => context.openCount === 0,
    lastOpener: ({ context }) => context.openCount === 1,
    moreOpeners: ({ context }) => context.openCount > 1,
  },
  actions: {
    open: assign({ openCount: ({ context }) => context.openCount + 1 }),
    close: assign({ openCount: ({ context }) => context.openCount - 1 }),
  },
}).createMachine({
  id: 'thin',
  context: ({ input }) => ({ openCount: input.openCount ?? 0 }),
  initial: 'created',
  states: {
    created: { on: { OPEN: { target: 'active', actions: 'open' }, DELETE: { guard: 'deletable', target: 'deleted' } } },
    active: {
      on: {
        OPEN: { actions: 'open' },
        CLOSE: [
          { guard: 'lastOpener', target: 'created', actions: 'close' },
          { guard: 'moreOpeners', actions: 'close' },
        ],
        SUSPEND: 'suspended',
      },
    },
    // A suspended device can still be removed (its table closed) or get another opener.
    suspended: {
      on: {
        RESUME: 'active',
        OPEN: { actions: 'open' },
        CLOSE: [
          { guard: 'lastOpener', target: 'created', actions: 'close' },
          { guard: 'moreOpeners', actions: 'close' },
        ],
      },
    },
    deleted: { type: 'final' },
  },
});
