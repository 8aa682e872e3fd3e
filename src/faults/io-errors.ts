/**
 * `fault io`: sector ranges of a block device that fail with EIO, like dm-dust's bad-block list,
 * on a RAM disk or on any dm device (the pool's data device, a thin, a linear). The real kernel
 * shows what such errors do to a pool (fixtures/kernel/60-data-flakey: the writer gets EIO, the
 * pool stays in write mode, a block allocated for the failed write leaks); `fault io` puts them on
 * exactly the sectors a scenario needs without a stack of flakey and linear tables.
 *
 *   fault io DEV START+LEN read|write|rw   add a failing range (sectors of 512 bytes)
 *   fault io clear DEV                     remove every range of DEV
 *   fault io list                          every range on every device
 */
import type { BlockDev } from '../model/machine.js';
import type { IoDirection } from '../model/io-faults.js';
import type { ShellContext } from '../lab/context.js';
import type { CommandIo } from '../shell/io.js';
import { parsedFaultKind, type FaultKind } from './fault-kind.js';

const USAGE = 'DEV START+LEN read|write|rw | clear DEV | list';

interface IoFaultRequest {
  readonly action: 'add' | 'clear' | 'list';
  readonly dev?: string;
  readonly startSector?: number;
  readonly lengthSectors?: number;
  readonly direction?: IoDirection;
}

/** Parses the arguments; a string is what is wrong with them. */
function parseIoFault(args: readonly string[]): IoFaultRequest | string {
  const [first, ...rest] = args;
  if (first === 'list')
    return rest.length === 0 ? { action: 'list' } : `'list' takes no arguments (usage: fault io ${USAGE})`;
  if (first === 'clear')
    return rest.length === 1
      ? { action: 'clear', dev: rest[0]! }
      : `'clear' needs one device (usage: fault io ${USAGE})`;
  if (args.length !== 3) return `expected 3 arguments, got ${args.length} (usage: fault io ${USAGE})`;
  const range = /^([0-9]+)\+([1-9][0-9]*)$/.exec(args[1]!);
  if (range === null) return `'${args[1]}' is not a sector range START+LEN (e.g. 2048+128)`;
  const direction = args[2]!;
  if (direction !== 'read' && direction !== 'write' && direction !== 'rw')
    return `'${direction}' is not read, write or rw`;
  return { action: 'add', dev: first!, startSector: Number(range[1]), lengthSectors: Number(range[2]), direction };
}

function devName(dev: BlockDev): string {
  return dev.kind === 'dm' ? `/dev/mapper/${dev.name}` : `/dev/${dev.kernelName}`;
}

function runIoFault(ctx: ShellContext, req: IoFaultRequest, io: CommandIo): number {
  const m = ctx.machine;
  if (req.action === 'list') {
    const devices: BlockDev[] = [...m.ramdisks, ...m.deviceList()];
    for (const dev of devices) {
      for (const r of dev.faults.errorRanges)
        io.out(`${devName(dev)} ${r.startSector}+${r.lengthSectors} ${r.direction}\n`);
      if (dev.faults.slowWriteMs > 0) io.out(`${devName(dev)} writes +${dev.faults.slowWriteMs}ms\n`);
    }
    return 0;
  }
  const dev = m.resolveDevice(req.dev!);
  if (dev === null) {
    io.err(`fault io: ${req.dev}: No such device\n`);
    return 1;
  }
  if (req.action === 'clear') {
    dev.faults.errorRanges = [];
    return 0;
  }
  const size = m.sizeSectors(dev);
  if (req.startSector! + req.lengthSectors! > size) {
    io.err(
      `fault io: ${req.dev}: sectors ${req.startSector}+${req.lengthSectors} end past the device (${size} sectors)\n`,
    );
    return 1;
  }
  dev.faults.errorRanges = [
    ...dev.faults.errorRanges,
    { startSector: req.startSector!, lengthSectors: req.lengthSectors!, direction: req.direction! },
  ];
  return 0;
}

export const IO_FAULT: FaultKind = parsedFaultKind(
  'io',
  `${USAGE}   sectors of DEV fail with EIO (like dm-dust); 'list' shows every lab fault`,
  parseIoFault,
  runIoFault,
);
