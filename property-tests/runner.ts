/**
 * Runs one sequence of commands against the model and the reference side by side: a command runs
 * only when the kernel would take it (src/model/lifecycle.ts, the kernel's answers; which lifecycle
 * changes are legal is the machines' in src/lifecycle), its errno must be the reference's, and every invariant is checked after it.
 * The result lists the commands that ran (skipped ones are left out, as fast-check does) and the
 * first violation, which is all a scenario file needs.
 */
import { deleteRefusal, messageRefusal, thinActivationRefusal } from '../src/model/lifecycle.js';
import type { ModelMutation } from '../src/model/mutations.js';
import type { StackId } from '../src/model/stack.js';
import { GEOMETRY, type Cmd } from './commands.js';
import { ModelDriver } from './driver.js';
import { checkCommittedImage, checkMode, checkReads, checkSharing, checkSpace, Violation } from './invariants.js';
import { ReferencePool } from './reference.js';
import type { Coverage } from './coverage.js';

export interface SequenceConfig {
  /** Data blocks the pool starts with. */
  readonly poolBlocks: number;
  readonly mutations?: readonly ModelMutation[];
  /** The stack the lab reproduces (`thinlab prop --stack`); debian12 unless said. */
  readonly stack?: StackId;
}

/** The lab and the reference while a sequence runs. */
export class SequenceState {
  readonly driver: ModelDriver;
  readonly ref: ReferencePool;
  poolLive = true;
  readonly active = new Set<number>();
  /** The commands that ran, in order. */
  readonly ran: Cmd[] = [];

  constructor(readonly config: SequenceConfig) {
    this.driver = new ModelDriver(config.poolBlocks, config.mutations ?? [], config.stack);
    this.ref = new ReferencePool(config.poolBlocks, GEOMETRY.blockSectors, GEOMETRY.thinBlocks);
    const r = this.driver.setup();
    if (r !== 0) throw new Error(`the lab setup failed with errno ${r}`);
  }

  /**
   * Makes a drawn command concrete: its ids are selectors into the thins the command can apply to
   * now (the n-th active thin for a write, the n-th free id for a create), so that most drawn
   * commands mean something, and a shrunk sequence still picks existing devices. Null when no
   * thin qualifies.
   */
  resolve(cmd: Cmd): Cmd | null {
    switch (cmd.k) {
      case 'create':
        return this.withId(cmd, this.nth(cmd.id, 'free'));
      case 'snap': {
        const id = this.nth(cmd.id, 'free');
        const origin = this.nth(cmd.origin, 'existing');
        return id < 0 || origin < 0 ? null : { k: 'snap', id, origin };
      }
      case 'activate':
      case 'delete':
        return this.withId(cmd, this.nth(cmd.id, 'inactive'));
      case 'remove':
      case 'write':
      case 'discard':
      case 'flush':
        return this.withId(cmd, this.nth(cmd.id, 'active'));
      default:
        return cmd;
    }
  }

  private withId(cmd: Cmd, id: number): Cmd | null {
    return id < 0 ? null : ({ ...cmd, id } as Cmd);
  }

  /**
   * The `selector`-th id (modulo how many there are), in increasing order, of the thins of a kind:
   * free ids, existing thins, the active or the inactive ones; -1 when there is none. Counted in
   * place rather than by building the lists: resolving runs for every drawn command.
   */
  private nth(selector: number, kind: 'free' | 'existing' | 'active' | 'inactive'): number {
    let n = 0;
    for (let i = 0; i < GEOMETRY.maxThins; i++) if (this.isKind(i, kind)) n++;
    if (n === 0) return -1;
    let k = selector % n;
    for (let i = 0; i < GEOMETRY.maxThins; i++) {
      if (this.isKind(i, kind) && k-- === 0) return i;
    }
    return -1;
  }

  private isKind(id: number, kind: 'free' | 'existing' | 'active' | 'inactive'): boolean {
    const exists = this.ref.thins.has(id);
    switch (kind) {
      case 'free':
        return !exists;
      case 'existing':
        return exists;
      case 'active':
        return exists && this.active.has(id);
      case 'inactive':
        return exists && !this.active.has(id);
    }
  }

  /** Whether the lifecycle rules allow the command now (fast-check's `check`). */
  allows(cmd: Cmd): boolean {
    const ref = this.ref;
    if (cmd.k === 'reopen') return !this.poolLive;
    if (!this.poolLive) return false;
    const dataModes = ref.mode === 'write' || ref.mode === 'out_of_data_space';
    switch (cmd.k) {
      case 'create':
        return messageRefusal(ref.mode) === 0 && !ref.thins.has(cmd.id);
      case 'snap':
        return messageRefusal(ref.mode) === 0 && !ref.thins.has(cmd.id) && ref.thins.has(cmd.origin);
      case 'delete':
        return (
          messageRefusal(ref.mode) === 0 &&
          ref.thins.has(cmd.id) &&
          deleteRefusal(this.active.has(cmd.id) ? 1 : 0) === 0
        );
      case 'activate':
        return ref.thins.has(cmd.id) && !this.active.has(cmd.id) && thinActivationRefusal(ref.mode, false) === null;
      case 'remove':
      case 'write':
      case 'discard':
      case 'flush':
        return this.active.has(cmd.id);
      case 'resize':
        return dataModes && !ref.metadataBroken && cmd.grow > 0 && ref.poolBlocks + cmd.grow <= GEOMETRY.maxPoolBlocks;
      case 'zeroing':
        return dataModes && !ref.metadataBroken && cmd.on !== ref.zeroNewBlocks;
      case 'metadata-error':
        return !ref.metadataBroken;
      case 'metadata-repair':
        return ref.metadataBroken;
      default:
        return true;
    }
  }

  /** What the reference says the command returns, applying it to the reference. */
  private expect(cmd: Cmd): number {
    const ref = this.ref;
    switch (cmd.k) {
      case 'create':
        return ref.createThin(cmd.id);
      case 'snap':
        return ref.createSnap(cmd.id, cmd.origin);
      case 'delete':
        return ref.deleteThin(cmd.id, this.active.has(cmd.id));
      case 'activate':
        this.active.add(cmd.id);
        return 0;
      case 'remove':
        this.active.delete(cmd.id);
        return 0;
      case 'write': {
        const bs = GEOMETRY.blockSectors;
        for (let i = 0; i < cmd.count; i++) {
          const sector = (cmd.start + i) * cmd.unitSectors;
          const r = ref.writeBio(
            cmd.id,
            Math.floor(sector / bs),
            sector % bs,
            cmd.unitSectors,
            cmd.pattern.charCodeAt(0),
          );
          if (r !== 0) return r;
        }
        return 0;
      }
      case 'discard':
        return ref.discard(cmd.id, cmd.startSector, cmd.sectors);
      case 'flush':
        return ref.flush(cmd.id);
      case 'status':
        ref.commit();
        return 0;
      case 'crash':
        ref.crash();
        this.poolLive = false;
        this.active.clear();
        return 0;
      case 'reopen':
        ref.reopen();
        ref.metadataBroken = false;
        this.poolLive = true;
        return 0;
      case 'resize':
        ref.resize(ref.poolBlocks + cmd.grow);
        return 0;
      case 'zeroing':
        ref.reload(cmd.on);
        return 0;
      case 'metadata-error':
        ref.metadataBroken = true;
        return 0;
      case 'metadata-repair':
        ref.metadataBroken = false;
        return 0;
      default:
        return 0;
    }
  }

  /**
   * Runs an allowed command on both sides and checks every invariant; throws a Violation.
   * `checks: false` runs both sides without the invariants (the bench's baseline only).
   */
  step(cmd: Cmd, coverage?: Coverage, checks = true): void {
    this.ran.push(cmd);
    const modeBefore = this.ref.mode;
    const want = this.expect(cmd);
    const got = this.driver.run(cmd);
    if (got !== want) {
      throw new Violation(0, `the command returned errno ${got}, the reference says ${want}`, {
        kind: 'status',
        status: want === 0 ? 0 : 1,
      });
    }
    if (cmd.k === 'crash') {
      const stored = this.driver.machine.ramdisks[0]!.storage.metadata;
      if (stored.kind !== 'image')
        throw new Violation(6, 'no metadata image on the metadata disk after the crash', null);
      checkCommittedImage(stored.image, this.ref);
    }
    if (coverage !== undefined) coverage.modeChange(modeBefore, this.ref.mode);
    if (checks) this.checkAll();
  }

  /** Invariants 1-5 and 10 on the live pool. */
  checkAll(): void {
    if (!this.poolLive) return;
    const pool = this.driver.pool;
    if (pool === null) throw new Violation(0, 'the pool device has no live pool', null);
    checkMode(pool, this.ref);
    if (this.ref.mode !== 'fail') checkSharing(pool.md.devices, this.ref.thins, 1, 'the live pool');
    checkReads(pool, this.ref);
    if (this.ref.mode !== 'fail') checkSpace(pool.md, this.ref);
  }
}

export interface SequenceResult {
  /** The commands that ran (allowed by the lifecycle rules), in order. */
  readonly ran: Cmd[];
  /** The first violation, at `ran[ran.length - 1]`, or null. */
  readonly violation: Violation | null;
  readonly state: SequenceState;
}

/**
 * Runs drawn commands (resolved against the state, see `resolve`) that the rules allow, stopping
 * at the first violation. `resolved: true` runs commands that are concrete already (a `ran` list).
 */
export function runSequence(
  config: SequenceConfig,
  cmds: Iterable<Cmd>,
  options: { readonly resolved?: boolean; readonly coverage?: Coverage; readonly checks?: boolean } = {},
): SequenceResult {
  const state = new SequenceState(config);
  const ran = state.ran;
  const coverage = options.coverage;
  for (const drawn of cmds) {
    const cmd = options.resolved === true ? drawn : state.resolve(drawn);
    if (cmd === null || !state.allows(cmd)) continue;
    try {
      state.step(cmd, coverage, options.checks ?? true);
    } catch (e) {
      if (e instanceof Violation) return { ran, violation: e, state };
      // The model's own assertions (src/model/assert.ts) stopping it are failures too.
      return {
        ran,
        violation: new Violation(0, `the model stopped: ${(e as Error).name}: ${(e as Error).message}`, null),
        state,
      };
    }
  }
  return { ran, violation: null, state };
}
