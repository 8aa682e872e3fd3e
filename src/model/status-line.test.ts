/**
 * The status lines are written and read by one module: reading what was written gives the same
 * fields back, writing what was read gives the same text, and every pool and thin status line the
 * real kernel printed in fixtures/kernel reads without error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DISCARD_WORDS,
  formatPoolStatus,
  formatThinStatus,
  NO_SPACE_WORDS,
  parsePoolStatus,
  parseThinStatus,
  POOL_MODE_WORDS,
  splitStatusLine,
  type PoolStatus,
  type ThinStatus,
} from './status-line.js';

const nat = fc.nat({ max: 2 ** 40 });
const failure = fc.constantFrom({ kind: 'Fail' } as const, { kind: 'Error' } as const);

const poolStatus: fc.Arbitrary<PoolStatus> = fc.oneof(
  fc.record({
    kind: fc.constant('fields' as const),
    transactionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    metadataUsedBlocks: nat,
    metadataTotalBlocks: nat,
    dataUsedBlocks: nat,
    dataTotalBlocks: nat,
    heldRootBlock: fc.option(nat),
    modeWord: fc.constantFrom(...POOL_MODE_WORDS),
    discardWord: fc.constantFrom(...DISCARD_WORDS),
    noSpaceWord: fc.constantFrom(...NO_SPACE_WORDS),
    needsCheck: fc.boolean(),
    metadataLowWaterBlocks: nat,
  }),
  failure,
);

const thinStatus: fc.Arbitrary<ThinStatus> = fc.oneof(
  fc.record({ kind: fc.constant('fields' as const), mappedSectors: nat, highestMappedSector: fc.option(nat) }),
  failure,
);

describe('status lines', () => {
  it('reads a pool status back to the same fields, and writes what it read as the same text', () => {
    fc.assert(
      fc.property(poolStatus, (s) => {
        const text = formatPoolStatus(s);
        expect(parsePoolStatus(text)).toEqual(s);
        expect(formatPoolStatus(parsePoolStatus(text)!)).toBe(text);
      }),
    );
  });

  it('reads a thin status back to the same fields, and writes what it read as the same text', () => {
    fc.assert(
      fc.property(thinStatus, (s) => {
        const text = formatThinStatus(s);
        expect(parseThinStatus(text)).toEqual(s);
        expect(formatThinStatus(parseThinStatus(text)!)).toBe(text);
      }),
    );
  });

  it('prints the trailing space after every pool field and none after a thin status', () => {
    const text = formatPoolStatus({
      kind: 'fields',
      transactionId: 7n,
      metadataUsedBlocks: 431,
      metadataTotalBlocks: 4096,
      dataUsedBlocks: 163840,
      dataTotalBlocks: 163840,
      heldRootBlock: null,
      modeWord: 'ro',
      discardWord: 'discard_passdown',
      noSpaceWord: 'queue_if_no_space',
      needsCheck: true,
      metadataLowWaterBlocks: 1024,
    });
    expect(text).toBe('7 431/4096 163840/163840 - ro discard_passdown queue_if_no_space needs_check 1024 ');
    expect(formatThinStatus({ kind: 'fields', mappedSectors: 0, highestMappedSector: null })).toBe('0 -');
  });

  it('refuses text that is not a status', () => {
    for (const bad of [
      '',
      '0 1/2 3/4 - rw',
      '0 1/2 3/4 - rw discard nope - 16',
      'x 1/2 3/4 - rw discard_passdown queue_if_no_space - 16',
      '0 1/2 3/4 - rw discard_passdown queue_if_no_space maybe 16',
    ]) {
      expect(parsePoolStatus(bad), bad).toBeNull();
    }
    for (const bad of ['', '5', '- 5', '1 2 3']) expect(parseThinStatus(bad), bad).toBeNull();
  });

  it("reads every thin-pool and thin status line the real kernel printed, giving back the kernel's text", () => {
    const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'kernel');
    let pools = 0;
    let thins = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.out'))) {
      const lines = readFileSync(join(dir, file), 'utf8').split('\n');
      // A status line is told from a table line of the same target by its shape: table lines
      // begin with a device number (`254:0`), status lines never do.
      // Some scripts mark the end of a line with `sed 's/$/|/'` to show the trailing space.
      for (const raw of lines) {
        const line = splitStatusLine(raw.replace(/\|$/, ''));
        if (line === null || /^\d+:\d+\b/.test(line.text)) continue;
        if (line.target === 'thin-pool') {
          const s = parsePoolStatus(line.text);
          expect(s, `${file}: ${raw}`).not.toBeNull();
          expect(formatPoolStatus(s!), `${file}: ${raw}`).toBe(line.text);
          pools++;
        } else if (line.target === 'thin') {
          const s = parseThinStatus(line.text);
          expect(s, `${file}: ${raw}`).not.toBeNull();
          expect(formatThinStatus(s!), `${file}: ${raw}`).toBe(line.text);
          thins++;
        }
      }
    }
    expect(pools).toBeGreaterThan(20);
    expect(thins).toBeGreaterThan(5);
  });
});
