/**
 * `fault slow-commit`: every write and flush to a pool's metadata device takes MS milliseconds
 * more, so every commit does (a commit writes the changed blocks, then the superblock). The real
 * way is a dm-delay table under the pool's metadata (fixtures/kernel/61-metadata-flakey-delay: the
 * pool behaves the same, only later); the directive puts the delay on the device the pool already
 * uses, so a scenario needs no second metadata stack. The command that makes the commit (a
 * `dmsetup message`, a `dd ... conv=fsync`, `dmsetup status`) ends that much later on the simulated
 * clock, and background jobs, the 1 s commit timer and `no_space_timeout` run meanwhile.
 *
 *   fault slow-commit POOL MS     commits of POOL take MS ms more (0 clears)
 */
import type { ShellContext } from '../lab/context.js';
import type { CommandIo } from '../shell/io.js';
import { parsedFaultKind, type FaultKind } from './fault-kind.js';

const USAGE = 'POOL MS';

function parseSlowCommit(args: readonly string[]): { pool: string; ms: number } | string {
  if (args.length !== 2) return `expected 2 arguments, got ${args.length} (usage: fault slow-commit ${USAGE})`;
  if (!/^[0-9]+$/.test(args[1]!)) return `'${args[1]}' is not a number of milliseconds`;
  return { pool: args[0]!, ms: Number(args[1]) };
}

function runSlowCommit(ctx: ShellContext, req: { pool: string; ms: number }, io: CommandIo): number {
  const dev = ctx.machine.resolveDevice(req.pool.includes('/') ? req.pool : `/dev/mapper/${req.pool}`);
  const t = dev?.kind === 'dm' ? (dev.live ?? dev.inactive) : null;
  if (t?.type !== 'thin-pool') {
    io.err(`fault slow-commit: ${req.pool}: not a thin-pool device\n`);
    return 1;
  }
  t.metadataDev.faults.slowWriteMs = req.ms;
  return 0;
}

export const SLOW_COMMIT_FAULT: FaultKind = parsedFaultKind(
  'slow-commit',
  `${USAGE}            every commit of POOL takes MS ms more (its metadata device is slow; 0 clears)`,
  parseSlowCommit,
  runSlowCommit,
);
