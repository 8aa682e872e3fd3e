/**
 * The `linear` target (dm-linear): a range of another device, at an offset. A table of several
 * linear lines end to end is what LVM loads for a volume of several segments; it is the only
 * multi-line table the lab models.
 */
import { Errno, errnoSymbol } from '../errno.js';
import { fail, ok } from '../result.js';
import { devNumber, type BlockDev } from '../machine.js';
import { refuse, type Parsed } from './ctr-args.js';
import { defineTargetType, finishedIo, type DmCore } from './target-type.js';

export interface LinearTarget {
  readonly type: 'linear';
  readonly lengthSectors: number;
  readonly dev: BlockDev;
  readonly offsetSectors: number;
  /**
   * A table of several linear targets end to end (an LVM volume with several segments); the
   * first one is also `dev` and `offsetSectors`. Absent for a one-line table.
   */
  readonly segments?: readonly LinearSegment[];
}

/** One line of a table of linear targets: `start length linear dev offset`. */
export interface LinearSegment {
  readonly startSectors: number;
  readonly lengthSectors: number;
  readonly dev: BlockDev;
  readonly offsetSectors: number;
}

export interface LinearArgs {
  readonly dev: string;
  readonly offsetSectors: number;
}

/** linear_ctr: `<dev> <offset>`; the device is looked up after these checks. */
export function parseLinearArgs(argv: readonly string[]): Parsed<LinearArgs> {
  if (argv.length !== 2) return refuse('Invalid argument count');
  if (!/^[0-9]+$/.test(argv[1]!)) return refuse('Invalid device sector');
  return { ok: true, value: { dev: argv[0]!, offsetSectors: Number(argv[1]) } };
}

/** The parts of a linear target's range [start, start+count) on the devices below, in order. */
function linearPieces(
  t: LinearTarget,
  start: number,
  count: number,
): Array<{ dev: BlockDev; sector: number; at: number; count: number }> {
  const segments = t.segments ?? [
    { startSectors: 0, lengthSectors: t.lengthSectors, dev: t.dev, offsetSectors: t.offsetSectors },
  ];
  const out: Array<{ dev: BlockDev; sector: number; at: number; count: number }> = [];
  for (const s of segments) {
    const from = Math.max(start, s.startSectors);
    const to = Math.min(start + count, s.startSectors + s.lengthSectors);
    if (to > from)
      out.push({ dev: s.dev, sector: s.offsetSectors + (from - s.startSectors), at: from - start, count: to - from });
  }
  return out;
}

/** A refusal of a multi-line table, logged as the kernel logs a table that cannot be added. */
function refuseLines(core: DmCore, line: string, errno: number): { ok: false; errno: number } {
  core.log(line);
  core.log('ioctl: error adding target to table');
  return fail(errno);
}

export const linearTarget = defineTargetType<LinearTarget>({
  name: 'linear',

  construct(core, dev, lengthSectors, argv) {
    const parsed = parseLinearArgs(argv);
    if (!parsed.ok) return parsed;
    const under = core.resolve(parsed.value.dev);
    if (under === null) return refuse('Device lookup failed', core.lookupErrno(parsed.value.dev));
    if (under === dev) return refuse('Device lookup failed', Errno.ENODEV);
    return {
      ok: true,
      value: { type: 'linear', lengthSectors, dev: under, offsetSectors: parsed.value.offsetSectors },
    };
  },

  constructLines(core, dev, lines) {
    const segments: LinearSegment[] = [];
    let next = 0;
    for (const line of lines) {
      const words = line.trim().split(/\s+/);
      const parsed = words[2] === 'linear' ? parseLinearArgs(words.slice(3)) : null;
      const start = Number(words[0]);
      const length = Number(words[1]);
      if (
        parsed === null ||
        !parsed.ok ||
        !/^[0-9]+$/.test(words[0] ?? '') ||
        !/^[0-9]+$/.test(words[1] ?? '') ||
        length === 0
      ) {
        return refuseLines(
          core,
          `table: ${devNumber(dev)}: only tables of linear targets may have several lines in the lab`,
          Errno.EINVAL,
        );
      }
      if (start !== next)
        return refuseLines(core, `table: ${devNumber(dev)}: linear: Gap in table (-EINVAL)`, Errno.EINVAL);
      const under = core.resolve(parsed.value.dev);
      const lookupErrno = under === null ? core.lookupErrno(parsed.value.dev) : Errno.ENODEV;
      if (under === null || under === dev)
        return refuseLines(
          core,
          `table: ${devNumber(dev)}: linear: Device lookup failed (-${errnoSymbol(lookupErrno)})`,
          lookupErrno,
        );
      if (!core.areaFits(dev, under, parsed.value.offsetSectors, length)) {
        core.log('ioctl: unable to set up device queue for new table.');
        return fail(Errno.EINVAL);
      }
      segments.push({
        startSectors: start,
        lengthSectors: length,
        dev: under,
        offsetSectors: parsed.value.offsetSectors,
      });
      next = start + length;
    }
    const first = segments[0]!;
    return ok({ type: 'linear', lengthSectors: next, dev: first.dev, offsetSectors: first.offsetSectors, segments });
  },

  areas: (t) =>
    t.segments === undefined
      ? [{ under: t.dev, offset: t.offsetSectors }]
      : t.segments.map((s) => ({ under: s.dev, offset: s.offsetSectors, lengthSectors: s.lengthSectors })),
  // Each segment holds its device, even when several segments share one.
  heldDevices: (t) => linearPieces(t, 0, t.lengthSectors).map((piece) => piece.dev),
  status: () => '',

  table(t) {
    if (t.segments !== undefined) {
      // Several lines: each after the first carries its own `start length linear` prefix.
      return t.segments
        .map(
          (seg, i) =>
            (i === 0 ? '' : `\n${seg.startSectors} ${seg.lengthSectors} linear `) +
            `${devNumber(seg.dev)} ${seg.offsetSectors}`,
        )
        .join('');
    }
    return `${devNumber(t.dev)} ${t.offsetSectors}`;
  },

  read(core, t, start, count) {
    if (t.segments === undefined) return core.readSectors(t.dev, t.offsetSectors + start, count);
    const out = new Uint32Array(count);
    for (const piece of linearPieces(t, start, count)) {
      const r = core.readSectors(piece.dev, piece.sector, piece.count);
      if (!r.ok) return r;
      out.set(r.value, piece.at);
    }
    return ok(out);
  },

  write(core, t, start, tokens) {
    if (t.segments === undefined) return core.writeSectors(t.dev, t.offsetSectors + start, tokens);
    let errno = 0;
    for (const piece of linearPieces(t, start, tokens.length)) {
      const ticket = core.writeSectors(piece.dev, piece.sector, tokens.subarray(piece.at, piece.at + piece.count));
      if (ticket.errno !== 0 && errno === 0) errno = ticket.errno;
    }
    return finishedIo(errno);
  },

  discard(core, t, start, count) {
    let errno = 0;
    for (const piece of linearPieces(t, start, count))
      errno ||= core.discardSectors(piece.dev, piece.sector, piece.count);
    return errno;
  },

  flush: () => finishedIo(0),
  supportsDiscard: (core, t) => linearPieces(t, 0, t.lengthSectors).every((piece) => core.supportsDiscard(piece.dev)),
  works: (core, t, op) => linearPieces(t, 0, t.lengthSectors).every((piece) => core.deviceWorks(piece.dev, op)),
  dropsWrites: (core, t) => linearPieces(t, 0, t.lengthSectors).some((piece) => core.deviceDropsWrites(piece.dev)),
  writeDelayMs: (core, t) => core.writeDelayMs(t.dev),
  storageUnder: (core, t) => core.storageUnder(t.dev),
  offsetUnder: (core, t) => t.offsetSectors + core.offsetUnder(t.dev),
});
