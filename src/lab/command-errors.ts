/**
 * The two ways a lab command ends early, shared by every command domain (LVM, Docker, containerd)
 * so that the registry's runner (src/lab/registry.ts) is the one place that turns them into output
 * and an exit status. Both are expected outcomes, not bugs: a broken invariant still crashes with
 * InvariantViolation and is never caught here.
 */

/** The command failed the way the real tool fails: `text` goes to stderr, `status` is its exit status. */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';

  constructor(
    readonly text: string,
    readonly status = 1,
  ) {
    super(text);
  }
}

/**
 * A lab power-loss fault fired in the middle of a command (docker-fault crash-before,
 * containerd-fault crash-during): the machine has already crashed, and `text` says where the
 * command stopped. The command exits 1 after printing it.
 */
export class PowerLoss extends Error {
  override readonly name = 'PowerLoss';

  constructor(readonly text: string) {
    super(text);
  }
}

/**
 * What a command that ended early prints, and its exit status: the one place the lab turns these
 * errors into output. Anything else is a bug and is thrown on.
 */
export function failureStatus(e: unknown, io: { err(text: string): void }): number {
  if (e instanceof CommandFailed) {
    io.err(e.text.endsWith('\n') ? e.text : `${e.text}\n`);
    return e.status;
  }
  if (e instanceof PowerLoss) {
    io.err(`${e.text}\n`);
    return 1;
  }
  throw e;
}

/** The exit status of a refused option, configuration key or path the lab does not model. */
export const NOT_MODELLED_STATUS = 2;

/**
 * What the lab does not model is refused by name, never accepted in silence: one line,
 * `thinlab: not modelled: WHAT`, on stderr, as a CommandFailed with `status` (2 for an option, a
 * key or a path; 127 for a whole command).
 */
export function notModelled(what: string, status = NOT_MODELLED_STATUS): CommandFailed {
  return new CommandFailed(`thinlab: not modelled: ${what}`, status);
}

/** systemctl's verbs for a unit (systemctl(1)): those the lab does not model for a unit are refused by name, not called unknown. */
export const SYSTEMCTL_VERBS: readonly string[] = [
  'status',
  'is-active',
  'is-enabled',
  'is-failed',
  'reload',
  'try-restart',
  'reload-or-restart',
  'kill',
  'show',
  'cat',
  'mask',
  'unmask',
  'reset-failed',
  'clean',
  'freeze',
  'thaw',
  'edit',
  'help',
  'list-dependencies',
];
