/**
 * The `delay` target as Linux 6.1 builds it (dm-delay v1.3.0): every read, write and flush held
 * for some milliseconds, each class possibly on its own device. Argument checks follow delay_ctr
 * and delay_class_ctr in order, with their `ti->error` strings; devices are looked up after them.
 */
import { Errno } from '../errno.js';
import { devNumber, type BlockDev } from '../machine.js';
import { readSector, readUint, refuse, UINT_MAX, type Parsed } from './ctr-args.js';
import { defineTargetType, finishedIo } from './target-type.js';

export interface DelayClassArgs {
  readonly dev: string;
  readonly offsetSectors: number;
  readonly delayMs: number;
}

export interface DelayArgs {
  /** The table's argument count: 3 (one class for all), 6 (reads; writes and flushes) or 9. */
  readonly argc: 3 | 6 | 9;
  readonly read: DelayClassArgs;
  readonly write: DelayClassArgs;
  readonly flush: DelayClassArgs;
}

export interface DelayTarget {
  readonly type: 'delay';
  readonly lengthSectors: number;
  readonly args: DelayArgs;
  /** The devices of the read, write and flush classes (the same one for all, with 3 arguments). */
  readonly read: BlockDev;
  readonly write: BlockDev;
  readonly flush: BlockDev;
}

function parseDelayClass(argv: readonly string[]): Parsed<DelayClassArgs> {
  const offset = readSector(argv[1]!);
  if (offset === null) return refuse('Invalid device sector');
  const delay = readUint(argv[2], 0, UINT_MAX);
  if (delay === null) return refuse('Invalid delay');
  return { ok: true, value: { dev: argv[0]!, offsetSectors: offset, delayMs: delay } };
}

/** delay_ctr: `<dev> <offset> <delay> [<write dev> <offset> <delay> [<flush dev> <offset> <delay>]]`. */
export function parseDelayArgs(argv: readonly string[]): Parsed<DelayArgs> {
  if (argv.length !== 3 && argv.length !== 6 && argv.length !== 9)
    return refuse('Requires exactly 3, 6 or 9 arguments');
  const read = parseDelayClass(argv.slice(0, 3));
  if (!read.ok) return read;
  if (argv.length === 3)
    return { ok: true, value: { argc: 3, read: read.value, write: read.value, flush: read.value } };
  const write = parseDelayClass(argv.slice(3, 6));
  if (!write.ok) return write;
  if (argv.length === 6)
    return { ok: true, value: { argc: 6, read: read.value, write: write.value, flush: write.value } };
  const flush = parseDelayClass(argv.slice(6, 9));
  if (!flush.ok) return flush;
  return { ok: true, value: { argc: 9, read: read.value, write: write.value, flush: flush.value } };
}

/** The `dmsetup table` text of a delay target; `name` gives each class's device as maj:min. */
export function delayTableText(d: DelayArgs, name: (c: DelayClassArgs) => string): string {
  const cls = (c: DelayClassArgs): string => `${name(c)} ${c.offsetSectors} ${c.delayMs}`;
  if (d.argc === 3) return cls(d.read);
  if (d.argc === 6) return `${cls(d.read)} ${cls(d.write)}`;
  return `${cls(d.read)} ${cls(d.write)} ${cls(d.flush)}`;
}

export const delayTarget = defineTargetType<DelayTarget>({
  name: 'delay',

  construct(core, dev, lengthSectors, argv) {
    const parsed = parseDelayArgs(argv);
    if (!parsed.ok) return parsed;
    const d = parsed.value;
    const read = core.resolve(d.read.dev);
    const write = core.resolve(d.write.dev);
    const flush = core.resolve(d.flush.dev);
    const missing = [d.read, d.write, d.flush].find((_, i) => [read, write, flush][i] === null);
    if (missing !== undefined) return refuse('Device lookup failed', core.lookupErrno(missing.dev));
    if (read === null || write === null || flush === null || [read, write, flush].includes(dev)) {
      return refuse('Device lookup failed', Errno.ENODEV);
    }
    return { ok: true, value: { type: 'delay', lengthSectors, args: d, read, write, flush } };
  },

  areas: (t) => [
    { under: t.read, offset: t.args.read.offsetSectors },
    ...(t.args.argc >= 6 ? [{ under: t.write, offset: t.args.write.offsetSectors }] : []),
    ...(t.args.argc === 9 ? [{ under: t.flush, offset: t.args.flush.offsetSectors }] : []),
  ],
  // A device named by several classes is held once (dm_get_device counts a device once per table).
  heldDevices: (t): BlockDev[] => [...new Set([t.read, t.write, t.flush])],
  // Bios being held right now, per class: the lab's delays end with the command that waits.
  status: () => '0 0 0',
  table: (t) =>
    delayTableText(t.args, (c) => devNumber(c === t.args.read ? t.read : c === t.args.write ? t.write : t.flush)),

  read(core, t, start, count) {
    core.ioDelayOwedMs += t.args.read.delayMs;
    return core.readSectors(t.read, t.args.read.offsetSectors + start, count);
  },

  write(core, t, start, tokens) {
    core.ioDelayOwedMs += t.args.write.delayMs;
    return core.writeSectors(t.write, t.args.write.offsetSectors + start, tokens);
  },

  discard(core, t, start, count) {
    core.ioDelayOwedMs += t.args.write.delayMs;
    return core.discardSectors(t.write, t.args.write.offsetSectors + start, count);
  },

  flush: () => finishedIo(0),
  supportsDiscard: (core, t) => core.supportsDiscard(t.read),
  works: (core, t, op) => core.deviceWorks(op === 'read' ? t.read : t.write, op),
  dropsWrites: (core, t) => core.deviceDropsWrites(t.write),
  writeDelayMs: (core, t) => t.args.write.delayMs + core.writeDelayMs(t.write),
  storageUnder: (core, t) => core.storageUnder(t.write),
  // Writes decide what reaches the disk, so the metadata region is the write class's place.
  offsetUnder: (core, t) => t.args.write.offsetSectors + core.offsetUnder(t.write),
});
