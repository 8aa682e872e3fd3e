/**
 * Block devices and device-mapper: dmsetup, dd, blkdiscard, losetup and truncate (the sparse
 * files loop devices are attached to). Registered by name in src/lab/commands.ts.
 */
import { Errno, strerror } from '../../model/errno.js';
import { type BlockDev, LAB_WOULD_BLOCK, type Machine } from '../../model/machine.js';
import { SECTOR_BYTES } from '../../model/sectors.js';
import type { CommandIo } from '../../shell/io.js';
import type { Steps } from '../../shell/wait.js';
import { ddSteps } from '../dd.js';
import { dmsetup } from '../dmsetup.js';
import type { Lab } from '../lab.js';
import { losetupCommand, truncateCommand } from '../loop-commands.js';
import { type CommandHandler, waitingForIoDelay } from '../registry.js';

export const DEVICE_COMMANDS = {
  dmsetup,
  // dd may wait (a pool out of data space queues its writes), so it runs as steps on the clock.
  dd: (lab, args, io) => waitingForIoDelay(lab.machine, ddSteps(lab, args, io)),
  blkdiscard,
  losetup: losetupCommand,
  truncate: truncateCommand,
} satisfies Record<string, CommandHandler>;

/** busybox blkdiscard [-o OFFSET] [-l LENGTH] DEVICE: opens the device exclusively first. */
function blkdiscard(lab: Lab, args: readonly string[], io: CommandIo): number | Steps<number> {
  let offset = 0;
  let length: number | null = null;
  let path: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-o' || a === '-l') {
      const v = args[++i];
      const n = v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : null;
      if (n === null) {
        io.err(`blkdiscard: invalid number '${v ?? ''}'\n`);
        return 1;
      }
      if (a === '-o') offset = n;
      else length = n;
    } else if (a === '-s') {
      io.err('blkdiscard: -s (secure discard) is not supported in the lab\n');
      return 1;
    } else if (a.startsWith('-')) {
      io.err(`blkdiscard: unrecognized option '${a}'\n`);
      return 1;
    } else path = a;
  }
  if (path === null) {
    io.err('Usage: blkdiscard [-o OFS] [-l LEN] [-s] DEVICE\n');
    return 1;
  }
  const machine = lab.machine;
  const dev = machine.resolve(path);
  if (dev === null) {
    io.err(`blkdiscard: can't open '${path}': No such file or directory\n`);
    return 1;
  }
  // The exclusive open fails while anything holds the device (a table, a loop, a mount).
  if (dev.openCount > 0) {
    io.err(`blkdiscard: can't open '${path}': ${strerror(Errno.EBUSY)}\n`);
    return 1;
  }
  // BLKDISCARD checks a read-only disk after discard support and before the range.
  if (machine.supportsDiscard(dev) && machine.isReadOnly(dev)) {
    io.err(`blkdiscard: ${path}: BLKDISCARD failed: ${strerror(Errno.EPERM)}\n`);
    return 1;
  }
  const size = machine.sizeSectors(dev) * SECTOR_BYTES;
  const len = length ?? size - offset;
  if (offset % SECTOR_BYTES !== 0 || len % SECTOR_BYTES !== 0 || offset + len > size) {
    io.err(`blkdiscard: ${path}: BLKDISCARD failed: ${strerror(Errno.EINVAL)}\n`);
    return 1;
  }
  if (!machine.supportsDiscard(dev)) {
    io.err(`blkdiscard: ${path}: BLKDISCARD failed: ${strerror(Errno.EOPNOTSUPP)}\n`);
    return 1;
  }
  const discard = (): number => machine.issueDiscard(dev, offset / SECTOR_BYTES, len / SECTOR_BYTES);
  const done = (r: number): number => {
    if (r === 0) return 0;
    io.err(`blkdiscard: ${path}: BLKDISCARD failed: ${strerror(r)}\n`);
    return 1;
  };
  const r = discard();
  return r === LAB_WOULD_BLOCK ? discardAfterResume(machine, dev, path, io, discard, done) : done(r);
}

/**
 * The ioctl waits while the device is suspended or a commit holds its pool's metadata lock
 * (fixtures/kernel/202), then is issued again; in the foreground with nothing to resume the
 * device, the lab stops it.
 */
function* discardAfterResume(
  machine: Machine,
  dev: BlockDev,
  path: string,
  io: CommandIo,
  discard: () => number,
  done: (r: number) => number,
): Steps<number> {
  let r = LAB_WOULD_BLOCK;
  while (r === LAB_WOULD_BLOCK) {
    const awaited = machine.awaitedResume(dev);
    if (!(yield { kind: 'resume', dev: awaited })) {
      io.err(
        `blkdiscard: ${path}: the discard waits for a suspended device${awaited.kind === 'dm' ? ` (${awaited.name})` : ''}; nothing in the lab will ` +
          'resume it: a real blkdiscard would wait forever, thinlab stops waiting\n',
      );
      return 1;
    }
    r = discard();
  }
  return done(r);
}
