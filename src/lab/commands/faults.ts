/**
 * The lab's fault injection (src/faults/): `fault` (error ranges, a slow metadata device, another
 * consumer of the pool, metadata damage). Docker's and containerd's power-loss faults are their
 * own commands (docker-fault, containerd-fault). Registered by name in src/lab/commands.ts.
 */
import { faultCommand } from '../../faults/fault-command.js';
import type { CommandHandler } from '../registry.js';

export const FAULT_COMMANDS = {
  fault: faultCommand,
} satisfies Record<string, CommandHandler>;
