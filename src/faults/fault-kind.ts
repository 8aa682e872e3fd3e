/**
 * What a kind of the `fault` directive is (src/faults/fault-command.ts dispatches on them), kept
 * apart from the dispatcher so that the kinds' modules and the dispatcher import it, not each other.
 */
import type { ShellContext } from '../lab/context.js';
import type { CommandIo } from '../shell/io.js';

/** One kind of fault: its arguments after the kind's name, and the exit status it ends with. */
export type FaultHandler = (ctx: ShellContext, args: readonly string[], io: CommandIo) => number;

export interface FaultKind {
  readonly name: string;
  /** One line for `fault --help`: the arguments and what the fault does. */
  readonly usage: string;
  readonly run: FaultHandler;
  /** More lines for `fault --help` under the kind's usage (its sub-kinds, say). */
  readonly details?: readonly string[];
  /**
   * Checks the arguments without a machine (a scenario file is checked before it runs): what is
   * wrong with them, or null. Devices are looked up only when the fault runs.
   */
  readonly check?: (args: readonly string[]) => string | null;
}

/**
 * A kind whose arguments are parsed once for both uses: checking a scenario file (no machine) and
 * running. Bad arguments end the command with `fault NAME: what is wrong` and status 2.
 */
export function parsedFaultKind<R>(
  name: string,
  usage: string,
  parse: (args: readonly string[]) => R | string,
  run: (ctx: ShellContext, request: R, io: CommandIo) => number,
): FaultKind {
  return {
    name,
    usage,
    run: (ctx, args, io) => {
      const request = parse(args);
      if (typeof request === 'string') {
        io.err(`fault ${name}: ${request}\n`);
        return 2;
      }
      return run(ctx, request, io);
    },
    check: (args) => {
      const request = parse(args);
      return typeof request === 'string' ? request : null;
    },
  };
}
