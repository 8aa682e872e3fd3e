/**
 * Illegal commands: after a random legal prefix, a command the lifecycle rules refuse is sent
 * anyway. The kernel's errno must come back (EEXIST, ENODATA, EBUSY, ENXIO, EOPNOTSUPP), and
 * nothing the pool or device-mapper holds may change: devices, mappings, reference counts, mode,
 * time, transaction, tables, suspensions and open counts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageRefusal } from '../src/model/lifecycle.js';
import { commandsArbitrary } from './arbitraries.js';
import { GEOMETRY, type Cmd } from './commands.js';
import type { ModelDriver } from './driver.js';
import { EBUSY, EEXIST, ENODATA, EOPNOTSUPP } from './reference.js';
import { SequenceState } from './runner.js';

const ENXIO = 6;

/** Everything a refused command must leave alone, as text. */
function observable(driver: ModelDriver): string {
  const m = driver.machine;
  const parts: string[] = [];
  for (const dev of m.deviceList()) {
    parts.push(
      `${dev.name} live=${dev.live?.type ?? '-'} inactive=${dev.inactive?.type ?? '-'} suspended=${dev.suspended} open=${dev.openCount}`,
    );
  }
  const pool = driver.pool;
  if (pool !== null) {
    const md = pool.md;
    parts.push(
      `mode=${pool.mode} needs_check=${md.needsCheck} time=${md.time} txid=${md.transactionId} commits=${md.commitCount}`,
    );
    for (const [id, dev] of md.devices) {
      const maps: string[] = [];
      dev.table.forEach((vb, d, t) => maps.push(`${vb}:${d}@${t}`));
      parts.push(
        `thin ${id} open=${dev.openCount} mapped=${dev.details.mappedBlocks} snap=${dev.details.snapshottedTime} ${maps.join(' ')}`,
      );
    }
    const counts: number[] = [];
    for (let b = 0; b < md.spaceMap.nrBlocksUncommitted; b++) counts.push(md.spaceMap.refcount(b));
    parts.push(`refcounts ${counts.join(',')} free=${md.spaceMap.nrFree}`);
  }
  return parts.join('\n');
}

/** Commands the rules refuse in this state, with the errno the kernel answers. */
function illegalCommands(state: SequenceState): Array<{ cmd: Cmd; errno: number; why: string }> {
  const ref = state.ref;
  const out: Array<{ cmd: Cmd; errno: number; why: string }> = [];
  const ids = [...ref.thins.keys()];
  const missing = [...Array(GEOMETRY.maxThins).keys()].filter((i) => !ref.thins.has(i));
  const refusal = messageRefusal(ref.mode);
  if (refusal !== 0) {
    out.push({ cmd: { k: 'create', id: missing[0] ?? 0 }, errno: EOPNOTSUPP, why: `create_thin in ${ref.mode} mode` });
    if (ids.length > 0)
      out.push({ cmd: { k: 'delete', id: ids[0]! }, errno: EOPNOTSUPP, why: `delete in ${ref.mode} mode` });
  } else {
    for (const id of ids) {
      out.push({ cmd: { k: 'create', id }, errno: EEXIST, why: `create_thin of existing ${id}` });
      out.push({ cmd: { k: 'snap', id, origin: id }, errno: EEXIST, why: `create_snap onto existing ${id}` });
      if (state.active.has(id)) out.push({ cmd: { k: 'delete', id }, errno: EBUSY, why: `delete of active ${id}` });
    }
    for (const id of missing) {
      out.push({ cmd: { k: 'delete', id }, errno: ENODATA, why: `delete of missing ${id}` });
      if (missing.length > 1)
        out.push({
          cmd: { k: 'snap', id, origin: missing.find((o) => o !== id)! },
          errno: ENODATA,
          why: `create_snap of missing origin`,
        });
    }
  }
  if (ref.mode !== 'fail')
    for (const id of missing)
      out.push({ cmd: { k: 'activate', id }, errno: ENODATA, why: `activating missing thin ${id}` });
  for (const id of ids)
    if (state.active.has(id))
      out.push({ cmd: { k: 'activate', id }, errno: EBUSY, why: `activating ${id} twice (name taken)` });
  for (const id of ids)
    if (!state.active.has(id)) out.push({ cmd: { k: 'remove', id }, errno: ENXIO, why: `removing inactive ${id}` });
  return out;
}

describe('illegal commands get the kernel error and change nothing', () => {
  it('for every refused command after random legal prefixes', () => {
    let checked = 0;
    const kinds = new Set<string>();
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 12 }), commandsArbitrary(30), fc.nat(), (poolBlocks, cmds, pick) => {
        const state = new SequenceState({ poolBlocks });
        fc.modelRun(() => ({ model: state, real: {} }), cmds);
        if (!state.poolLive) return;
        const candidates = illegalCommands(state);
        if (candidates.length === 0) return;
        const { cmd, errno, why } = candidates[pick % candidates.length]!;
        expect(state.allows(cmd), why).toBe(false);
        const before = observable(state.driver);
        const got = state.driver.run(cmd);
        expect(got, why).toBe(errno);
        expect(observable(state.driver), why).toBe(before);
        // The pool still passes every invariant against the untouched reference.
        state.checkAll();
        checked++;
        kinds.add(why.replace(/[0-9]+/g, 'N'));
      }),
      { seed: 777, numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(200);
    expect(kinds.size).toBeGreaterThanOrEqual(8);
  });
});
