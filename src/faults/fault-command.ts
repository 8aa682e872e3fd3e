/**
 * `fault`: the lab directive that injects a fault into the running machine. It is a shell command
 * like any other, so every fault is a `ShellCommandRan` event and a replay of the history injects
 * it again at the same point. Each kind lives in its own module; this file only dispatches.
 *
 *   fault metadata KIND [OPTIONS] DEV   damage dm-thin metadata on DEV (src/faults/metadata-damage.ts)
 *   fault io ...                        I/O errors on sector ranges (src/faults/io-errors.ts)
 *   fault slow-commit POOL MS           a slow metadata device (src/faults/slow-commit.ts)
 *   fault fill POOL BLOCKS|all [ID]     another consumer takes free data space (src/faults/fill-pool.ts)
 *
 * Real commands have real equivalents (a `flakey` or `error` table); `fault` exists for what no
 * real command does in one step, and says so in its name.
 */
import type { ShellContext } from '../lab/context.js';
import type { CommandIo } from '../shell/io.js';
import type { FaultKind } from './fault-kind.js';
import { FILL_FAULT } from './fill-pool.js';
import { IO_FAULT } from './io-errors.js';
import { METADATA_FAULT } from './metadata-damage.js';
import { SLOW_COMMIT_FAULT } from './slow-commit.js';

export type { FaultHandler, FaultKind } from './fault-kind.js';

/** Every kind `fault` knows, in the order `fault --help` lists them. */
const FAULT_KINDS: readonly FaultKind[] = [IO_FAULT, SLOW_COMMIT_FAULT, FILL_FAULT, METADATA_FAULT];

/**
 * What is wrong with a `fault` command line's arguments (after `fault`), or null when it would
 * run; for checking scenario files before anything runs.
 */
export function checkFaultArgs(args: readonly string[]): string | null {
  const [name, ...rest] = args;
  if (name === undefined) return `a fault kind is needed (known: ${FAULT_KINDS.map((k) => k.name).join(', ')})`;
  if (name === '--help' || name === '-h') return null;
  const kind = FAULT_KINDS.find((k) => k.name === name);
  if (kind === undefined) return `unknown fault kind '${name}' (known: ${FAULT_KINDS.map((k) => k.name).join(', ')})`;
  return kind.check?.(rest) ?? null;
}

export function faultUsage(): string {
  const lines = [
    'Usage: fault KIND [ARGS...]',
    'Inject a fault into the lab machine (a lab directive; it is recorded and replays).',
    '',
  ];
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
