/**
 * `fault`: the lab directive that injects a fault into the running machine. It is a shell command
 * like any other, so every fault is a `ShellCommandRan` event and a replay of the history injects
 * it again at the same point. Each kind lives in its own module; this file only dispatches.
 *
 *   fault metadata KIND [OPTIONS] DEV   damage dm-thin metadata on DEV (src/faults/metadata-damage.ts)
 *   fault io ...                        I/O errors on block ranges (src/faults/io-faults.ts)
 *
 * Real commands have real equivalents (a `flakey` or `error` table); `fault` exists for what no
 * real command does in one step, and says so in its name.
 */
import type { CommandIo, ShellContext } from '../shell/context.js';
import { METADATA_FAULT } from './metadata-damage.js';

/** One kind of fault: its arguments after the kind's name, and the exit status it ends with. */
export type FaultHandler = (ctx: ShellContext, args: readonly string[], io: CommandIo) => number;

export interface FaultKind {
  readonly name: string;
  /** One line for `fault --help`: the arguments and what the fault does. */
  readonly usage: string;
  readonly run: FaultHandler;
  /** More lines for `fault --help` under the kind's usage (its sub-kinds, say). */
  readonly details?: readonly string[];
}

/** Every kind `fault` knows, in the order `fault --help` lists them. */
const FAULT_KINDS: readonly FaultKind[] = [METADATA_FAULT];

export function faultUsage(): string {
  const lines = ['Usage: fault KIND [ARGS...]', 'Inject a fault into the lab machine (a lab directive; it is recorded and replays).', ''];
  for (const kind of FAULT_KINDS) {
    lines.push(`  fault ${kind.name} ${kind.usage}`);
    lines.push(...(kind.details ?? []));
  }
  return `${lines.join('\n')}\n`;
}

export function faultCommand(ctx: ShellContext, args: readonly string[], io: CommandIo): number {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    (name === undefined ? io.err : io.out)(faultUsage());
    return name === undefined ? 2 : 0;
  }
  const kind = FAULT_KINDS.find((k) => k.name === name);
  if (kind === undefined) {
    io.err(`fault: unknown fault kind '${name}' (known: ${FAULT_KINDS.map((k) => k.name).join(', ') || 'none'})\n`);
    return 2;
  }
  return kind.run(ctx, rest, io);
}
