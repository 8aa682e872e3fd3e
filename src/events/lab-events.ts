/**
 * The lab's event schema. A lab's history is a stream of these, and its state is the fold of the
 * stream over a fresh lab machine (src/replay). Each event records a command and its outcome, so
 * that a replay can print the original output without deciding anything again, and can check that
 * deciding again gives the same answer.
 *
 * - `ShellCommandRan`: one top-level command of the lab shell (a line, or a compound command),
 *   with what it printed, its exit status and the device-mapper operations it made the kernel do
 *   (a `docker run` and the snapshot messages, table loads and resumes beneath it; a plain
 *   `dmsetup create` and its create and load). Refused commands (the kernel said no) are recorded
 *   too, with the kernel's error in their output: they change nothing but are part of what
 *   happened.
 * - `BlocksWritten`: a write of whole sectors of one byte value straight to a device, for programs
 *   that drive the model without a shell (property tests, the bench).
 * - `ClockAdvanced`: simulated time passing with nothing else happening.
 */
export const LAB_EVENT_TYPES = ['ShellCommandRan', 'BlocksWritten', 'ClockAdvanced', 'ImageAttached'] as const;
export type LabEventType = (typeof LAB_EVENT_TYPES)[number];

export interface ShellCommandRan {
  readonly type: 'ShellCommandRan';
  /**
   * 4 exactly when `mode` is present: a thinlab that knows no modes (it reads up to 3) refuses a
   * script piece by name instead of replaying it as a prompt line, which runs differently (a
   * failed expansion ends a script, not a line). A line at a prompt stays 3, readable by both.
   */
  readonly version: 3 | 4;
  readonly data: {
    readonly command: string;
    readonly output: string;
    readonly status: number;
    /**
     * `dm create NAME`, `dm load NAME: TABLE`, `dm message NAME 0 create_snap 7 5 -> EEXIST` ...,
     * in order. Absent in events written before they were recorded (versions 1 and 2).
     */
    readonly operations?: readonly string[];
    /**
     * How the shell ran the command (src/shell/session.ts, `PieceMode`): a piece of a script file
     * (`script`), the last one (`script-end`, after which the EXIT trap fires), or, when absent, a
     * line as at an interactive prompt (events written before scripts ran as scripts).
     */
    readonly mode?: 'script' | 'script-end';
  };
}

export interface BlocksWritten {
  readonly type: 'BlocksWritten';
  readonly version: 1;
  readonly data: {
    readonly device: string;
    readonly sector: number;
    readonly sectors: number;
    /** The byte every sector holds (65 = 'A'). */
    readonly byte: number;
    /** The errno the write ended with, 0 for success. */
    readonly errno: number;
  };
}

export interface ClockAdvanced {
  readonly type: 'ClockAdvanced';
  readonly version: 1;
  readonly data: { readonly ms: number };
}

/**
 * A host image placed on a RAM disk (`thinlab sh --attach FILE:/dev/ramN`). The bytes are in the
 * event, so a replay rebuilds the disk without the host file (which may have changed or be gone):
 * only its non-zero 4 KiB blocks, merged into runs, base64-encoded. `sha256` and `file` say which
 * image it was, for `thinlab log`.
 */
export interface ImageAttached {
  readonly type: 'ImageAttached';
  readonly version: 1;
  readonly data: {
    readonly device: string;
    readonly file: string;
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly runs: ReadonlyArray<{ readonly offset: number; readonly base64: string }>;
  };
}

export type LabEvent = ShellCommandRan | BlocksWritten | ClockAdvanced | ImageAttached;

/** The current version of each event type: what the code writes. */
export const CURRENT_VERSION: Readonly<Record<LabEventType, number>> = {
  ShellCommandRan: 4,
  BlocksWritten: 1,
  ClockAdvanced: 1,
  ImageAttached: 1,
};
