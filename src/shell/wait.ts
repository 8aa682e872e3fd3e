/**
 * What a lab command waits for when it cannot finish at once. The lab is single-threaded and its
 * clock is simulated, so a command that would block in the kernel is written as a generator that
 * yields a Wait; whoever runs it decides what waiting means. In the foreground the shell runs the
 * clock (and any background job that becomes runnable) until the wait ends; in a background job the
 * job is parked and the script goes on, and the job resumes once its wait has ended.
 */
import type { BlockDev } from '../model/machine.js';
import type { IoTicket } from '../model/pool.js';

export type Wait =
  /** A bio the pool has not finished (queued while out of data space, or a flush). */
  | { readonly kind: 'io'; readonly ticket: IoTicket }
  /** I/O to a suspended device: until it is resumed (only a command can do that, never the clock). */
  | { readonly kind: 'resume'; readonly dev: BlockDev }
  /** `sleep`: until the simulated clock reaches this time. */
  | { readonly kind: 'sleep'; readonly untilMs: number }
  /**
   * Until the commands queued before it on a lock have run (`ready()`): a command whose turn comes
   * after theirs (src/lab/dmsetup-lock.ts). Only other jobs can end it.
   */
  | { readonly kind: 'turn'; readonly ready: () => boolean }
  /** `wait`: until these background jobs have finished. */
  | { readonly kind: 'jobs'; readonly pids: readonly number[] }
  /**
   * A pipeline's command waiting on a pipe (src/shell/pipeline.ts): until `ready()`. `stream` is
   * the pipe, so that a pipeline knows its own pipes' waits from those it must pass up. A
   * `drainable` wait may be ended by the writer filling the pipe; the others only by the pipeline.
   */
  | { readonly kind: 'pipe'; readonly stream: object; readonly drainable: boolean; readonly ready: () => boolean };

/**
 * A command that may wait. It is resumed with true when its wait ended, or false when nothing can
 * ever end it (a write queued with no_space_timeout 0 and nothing left to run), so it can stop
 * instead of hanging.
 */
export type Steps<T> = Generator<Wait, T, boolean>;
