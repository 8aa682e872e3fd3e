/**
 * Runs the property tests' commands on the model directly: the same device-mapper calls the lab
 * shell's dmsetup, dd and blkdiscard make for the command's shell lines, without parsing them
 * (the hot loop runs tens of thousands of commands a second). Every result is the errno the
 * kernel returns, 0 on success.
 */
import type { DmDevice, Machine } from '../src/model/machine.js';
import type { ModelMutation } from '../src/model/mutations.js';
import type { StackId } from '../src/model/stack.js';
import type { ThinPool } from '../src/model/pool.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { GEOMETRY, metadataTable, poolTable, thinName, thinTable, type Cmd } from './commands.js';

const ENXIO = 6;

/** A block of a pattern, shared by all writes (the model copies what it keeps). */
const PATTERN_UNITS = new Map<string, Uint32Array>();
function patternTokens(letter: string, sectors: number): Uint32Array {
  const key = `${letter}${sectors}`;
  let t = PATTERN_UNITS.get(key);
  if (t === undefined) {
    t = new Uint32Array(sectors).fill(letter.charCodeAt(0));
    PATTERN_UNITS.set(key, t);
  }
  return t;
}

export class ModelDriver {
  /** A lab shell's machine, so that it starts exactly as `thinlab run` starts one. */
  readonly shell: LabShell;
  readonly machine: Machine;
  poolBlocks: number;
  zeroing = true;

  /** Size of the metadata device (a small one runs out of metadata space). */
  metadataSectors: number = GEOMETRY.metadataSectors;

  constructor(poolBlocks: number, mutations: readonly ModelMutation[] = [], stack?: StackId) {
    this.shell = new LabShell({
      ramdiskKb: GEOMETRY.ramdiskKb,
      ...(mutations.length === 0 ? {} : { mutations }),
      ...(stack === undefined ? {} : { stack }),
    });
    this.machine = this.shell.machine;
    this.poolBlocks = poolBlocks;
  }

  /** The setup lines' effect: the metadata device and the pool. */
  setup(): number {
    const r = this.createDevice('meta', metadataTable(false, this.metadataSectors));
    return r !== 0 ? r : this.createDevice('pool', poolTable(this.poolBlocks, this.zeroing));
  }

  get poolDevice(): DmDevice | undefined {
    return this.machine.device('pool');
  }

  /** The pool object behind the pool device, if it is live. */
  get pool(): ThinPool | null {
    const t = this.poolDevice?.live;
    return t?.type === 'thin-pool' ? t.pool : null;
  }

  run(cmd: Cmd): number {
    const m = this.machine;
    switch (cmd.k) {
      case 'create':
        return this.message(['create_thin', String(cmd.id)]);
      case 'snap':
        return this.message(['create_snap', String(cmd.id), String(cmd.origin)]);
      case 'delete':
        return this.message(['delete', String(cmd.id)]);
      case 'activate':
        return this.createDevice(thinName(cmd.id), thinTable(cmd.id));
      case 'remove': {
        const dev = m.device(thinName(cmd.id));
        if (dev === undefined) return ENXIO;
        const r = m.remove(dev);
        return r.ok ? 0 : r.errno;
      }
      case 'write':
        return this.write(cmd.id, cmd.unitSectors, cmd.start, cmd.count, cmd.pattern);
      case 'discard': {
        const dev = m.device(thinName(cmd.id));
        if (dev === undefined) return ENXIO;
        return m.discardSectors(dev, cmd.startSector, cmd.sectors);
      }
      case 'flush': {
        const dev = m.device(thinName(cmd.id));
        if (dev === undefined) return ENXIO;
        const ticket = m.flush(dev);
        if (!ticket.done) m.runUntil(Number.POSITIVE_INFINITY, () => ticket.done);
        const pending = dev.writebackErrno;
        dev.writebackErrno = 0;
        return pending !== 0 ? pending : ticket.errno;
      }
      case 'status': {
        const dev = this.poolDevice;
        if (dev === undefined) return ENXIO;
        m.targetStatus(dev, false);
        return 0;
      }
      case 'crash':
        m.crash();
        return 0;
      case 'reopen':
        return this.setup();
      case 'resize':
        this.poolBlocks += cmd.grow;
        return this.reload('pool', poolTable(this.poolBlocks, this.zeroing));
      case 'zeroing':
        this.zeroing = cmd.on;
        return this.reload('pool', poolTable(this.poolBlocks, cmd.on));
      case 'metadata-error':
        return this.reload('meta', metadataTable(true, this.metadataSectors));
      case 'metadata-repair':
        return this.reload('meta', metadataTable(false, this.metadataSectors));
      default:
        return 0;
    }
  }

  private message(argv: string[]): number {
    const dev = this.poolDevice;
    if (dev === undefined) return ENXIO;
    return this.machine.message(dev, argv, 0);
  }

  /**
   * `dmsetup create NAME --table T && dmsetup mknodes`: create, load, resume, undone on failure as
   * dmsetup does, then the node (the tables after it name the pool and meta by path).
   */
  private createDevice(name: string, table: string): number {
    const m = this.machine;
    const created = m.create(name);
    if (!created.ok) return created.errno;
    const dev = created.value;
    const loaded = m.load(dev, table);
    if (!loaded.ok) {
      m.discardFailedCreate(dev);
      return loaded.errno;
    }
    const resumed = m.resume(dev);
    if (!resumed.ok) {
      m.clearInactive(dev);
      m.remove(dev);
      return resumed.errno;
    }
    m.mknodes();
    return 0;
  }

  /** `dmsetup reload NAME --table T; dmsetup suspend NAME; dmsetup resume NAME`. */
  reload(name: string, table: string): number {
    const m = this.machine;
    const dev = m.device(name);
    if (dev === undefined) return ENXIO;
    const loaded = m.load(dev, table);
    m.suspend(dev);
    const resumed = m.resume(dev);
    if (!loaded.ok) return loaded.errno;
    return resumed.ok ? 0 : resumed.errno;
  }

  /** `dd ... bs=UNIT seek=START count=COUNT oflag=direct`: unit by unit, stopping at the first error. */
  private write(id: number, unitSectors: number, start: number, count: number, pattern: string): number {
    const m = this.machine;
    const dev = m.device(thinName(id));
    if (dev === undefined) return ENXIO;
    const tokens = patternTokens(pattern, unitSectors);
    for (let i = 0; i < count; i++) {
      const ticket = m.writeSectors(dev, (start + i) * unitSectors, tokens);
      if (!ticket.done) m.runUntil(Number.POSITIVE_INFINITY, () => ticket.done);
      if (ticket.errno !== 0) return ticket.errno;
    }
    return 0;
  }
}
