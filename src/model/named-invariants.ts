/**
 * Named invariants: properties of a lab state that `thinlab bisect --invariant NAME` searches a
 * history for, and that scenarios can name. `pool` is the consistency every test checks after
 * every step (src/model/invariants.ts): a state where it fails is a bug of the lab. The others
 * are healthy-pool properties the kernel is allowed to lose, and losing one is the moment an
 * incident starts: the pool left write mode, needs_check got set, a write is parked on the retry
 * list, a block leaked, the free space ran out.
 */
import { checkPoolInvariants } from './invariants.js';
import type { Machine } from './machine.js';
import type { ThinPool } from './pool.js';

export interface NamedInvariant {
  readonly name: string;
  /** One line: what holds when the invariant holds. */
  readonly holds: string;
  /** What is wrong with one pool, one line per problem (empty when it holds). */
  readonly check: (pool: ThinPool) => string[];
}

export const NAMED_INVARIANTS: readonly NamedInvariant[] = [
  {
    name: 'pool',
    holds:
      "refcounts, mapped_blocks and the free count agree with the mappings (thin_check's checks; a failure is a lab bug)",
    check: (pool) => checkPoolInvariants(pool.md),
  },
  {
    name: 'writable',
    holds: 'the pool is in write mode (rw)',
    check: (pool) => (pool.mode === 'write' ? [] : [`mode is ${pool.mode}`]),
  },
  {
    name: 'no-needs-check',
    holds: 'the needs_check flag is clear',
    check: (pool) => (pool.md.needsCheck ? ['needs_check is set'] : []),
  },
  {
    name: 'free-data-space',
    holds: 'the pool has at least one free data block',
    check: (pool) =>
      pool.md.spaceMap.nrFree > 0
        ? []
        : [`no free data blocks (${pool.md.spaceMap.nrBlocks} of ${pool.md.spaceMap.nrBlocks} used)`],
  },
  {
    name: 'free-metadata-space',
    holds: 'the pool has free metadata blocks beyond the reserve',
    check: (pool) => (pool.md.freeMetadataBlocks() > 0 ? [] : ['no free metadata blocks beyond the reserve']),
  },
  {
    name: 'no-queued-io',
    holds: "no write is parked on the pool's retry list (queue_if_no_space)",
    check: (pool) => (pool.queuedBioCount === 0 ? [] : [`${pool.queuedBioCount} writes queued`]),
  },
  {
    name: 'no-leaked-blocks',
    holds: 'no data block is counted more often than it is mapped (none lost to a failed write or a miscount on disk)',
    check: (pool) => {
      const leaked = [...pool.md.refcountSkew]
        .filter(([, skew]) => skew > 0)
        .map(([block]) => block)
        .sort((a, b) => a - b);
      if (leaked.length === 0) return [];
      return [
        `${leaked.length} data block${leaked.length === 1 ? '' : 's'} counted more often than mapped (leaked): ${leaked.slice(0, 8).join(', ')}`,
      ];
    },
  },
  {
    name: 'committed',
    holds: 'nothing is waiting for a commit (a crash now would lose nothing)',
    check: (pool) => (pool.md.changedThisTransaction ? ['changes since the last commit'] : []),
  },
];

export function namedInvariant(name: string): NamedInvariant | undefined {
  return NAMED_INVARIANTS.find((i) => i.name === name);
}

/** Problems of every live pool, each prefixed with the pool's device name. */
export function checkNamedInvariant(inv: NamedInvariant, machine: Machine): string[] {
  const out: string[] = [];
  for (const pool of machine.livePools()) {
    const name = machine.poolDevice(pool)?.name ?? pool.name;
    for (const problem of inv.check(pool)) out.push(`${name}: ${problem}`);
  }
  return out.sort();
}
