/**
 * fast-check arbitraries for the commands and for `fc.commands`: the generator draws any command
 * with small ids, and the lifecycle rules (`SequenceState.allows`, fast-check's `check`) decide
 * which of them run, so shrinking keeps every sequence legal. Weights favour the commands that
 * move data, so that sharing, exhaustion and crashes happen within 50 commands.
 */
import fc from 'fast-check';
import { GEOMETRY, PATTERNS, describeCommand, type Cmd } from './commands.js';
import type { Coverage } from './coverage.js';
import type { SequenceConfig, SequenceState } from './runner.js';

const id = fc.integer({ min: 0, max: GEOMETRY.maxThins - 1 });
const thinSectors = GEOMETRY.thinBlocks * GEOMETRY.blockSectors;

const write: fc.Arbitrary<Cmd> = fc
  .record({
    id,
    whole: fc.boolean(),
    start: fc.nat({ max: 127 }),
    count: fc.integer({ min: 1, max: 24 }),
    pattern: fc.constantFrom(...PATTERNS),
  })
  .map(({ id, whole, start, count, pattern }) => {
    const unitSectors = whole ? 128 : 8;
    const units = thinSectors / unitSectors;
    const s = start % units;
    return { k: 'write', id, unitSectors, start: s, count: Math.min(count, units - s), pattern } as Cmd;
  });

const discard: fc.Arbitrary<Cmd> = fc
  .record({ id, start: fc.nat({ max: 127 }), length: fc.integer({ min: 1, max: 128 }) })
  .map(
    ({ id, start, length }) =>
      ({ k: 'discard', id, startSector: start * 8, sectors: Math.min(length, 128 - start) * 8 }) as Cmd,
  );

export const commandArbitrary: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: id.map((i) => ({ k: 'create', id: i }) as Cmd), weight: 6 },
  { arbitrary: fc.tuple(id, id).map(([i, o]) => ({ k: 'snap', id: i, origin: o }) as Cmd), weight: 6 },
  { arbitrary: id.map((i) => ({ k: 'activate', id: i }) as Cmd), weight: 8 },
  { arbitrary: id.map((i) => ({ k: 'remove', id: i }) as Cmd), weight: 2 },
  { arbitrary: write, weight: 20 },
  { arbitrary: discard, weight: 4 },
  { arbitrary: id.map((i) => ({ k: 'delete', id: i }) as Cmd), weight: 3 },
  { arbitrary: id.map((i) => ({ k: 'flush', id: i }) as Cmd), weight: 3 },
  { arbitrary: fc.constant({ k: 'status' } as Cmd), weight: 2 },
  { arbitrary: fc.constant({ k: 'crash' } as Cmd), weight: 3 },
  { arbitrary: fc.constant({ k: 'reopen' } as Cmd), weight: 6 },
  { arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => ({ k: 'resize', grow: n }) as Cmd), weight: 2 },
  { arbitrary: fc.boolean().map((on) => ({ k: 'zeroing', on }) as Cmd), weight: 2 },
  { arbitrary: fc.constant({ k: 'metadata-error' } as Cmd), weight: 1 },
  { arbitrary: fc.constant({ k: 'metadata-repair' } as Cmd), weight: 1 },
);

export const configArbitrary: fc.Arbitrary<SequenceConfig> = fc
  .integer({ min: 3, max: 12 })
  .map((poolBlocks) => ({ poolBlocks }));

/** One command for `fc.commands`: `check` is the lifecycle rules, `run` the step with its invariants. */
export class PropCommand implements fc.Command<SequenceState, { coverage?: Coverage }> {
  private resolved: Cmd | null = null;
  constructor(readonly cmd: Cmd) {}
  check(state: Readonly<SequenceState>): boolean {
    this.resolved = (state as SequenceState).resolve(this.cmd);
    return this.resolved !== null && (state as SequenceState).allows(this.resolved);
  }
  run(state: SequenceState, real: { coverage?: Coverage }): void {
    state.step(this.resolved!, real.coverage);
  }
  toString(): string {
    return describeCommand(this.resolved ?? this.cmd);
  }
}

/** `replayPath`: the commands' own replay path of a counterexample (fast-check prints it). */
export const commandsArbitrary = (
  maxCommands: number,
  replayPath?: string,
): fc.Arbitrary<Iterable<fc.Command<SequenceState, { coverage?: Coverage }>>> =>
  fc.commands([commandArbitrary.map((c) => new PropCommand(c))], {
    maxCommands,
    size: 'max',
    ...(replayPath === undefined ? {} : { replayPath }),
  });
