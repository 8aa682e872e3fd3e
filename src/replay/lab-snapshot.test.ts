/**
 * What a checkpoint holds: every class a busy lab reaches is registered, and every field a class
 * says it keeps out of checkpoints is a real field of a real instance, so that renaming a field
 * without its `checkpointSkip` entry fails here instead of silently storing a cache.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../cli/scenario-files.js';
import { runScenario } from '../scenarios/run.js';
import type { LabRuntime } from './lab-runtime.js';
import { REGISTRY, restoreLab, snapshotLab, stateHash } from './lab-snapshot.js';

const DIR = join(import.meta.dirname, '..', '..', 'scenarios');

/** Between them: pools, snapshots, files, loop devices, LVM, Docker, containerd, a held root. */
const BUSY = [
  'lvm-thin-volume-in-docker-pool.yaml',
  'docker-loop-lvm-sparse-file-runs-out.yaml',
  'containerd-faulty-after-restart.yaml',
  'snapshot-chain-delete-origin.yaml',
  'held-metadata-snapshot.yaml',
  'docker-layer-chain-remove-containers.yaml',
];

/** Every non-plain object reachable from the root the way a checkpoint walks it, by prototype. */
function instancesByPrototype(root: object): Map<object, object[]> {
  const byProto = new Map<object, object[]>();
  const skipOf = new Map([...REGISTRY.values()].map((e) => [e.prototype, e.skip ?? []]));
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return;
    seen.add(v);
    if (Array.isArray(v) || v instanceof Set) return [...v].forEach(walk);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        walk(k);
        walk(x);
      }
      return;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto !== null && proto !== Object.prototype) byProto.set(proto, [...(byProto.get(proto) ?? []), v]);
    const skip = skipOf.get(proto ?? {}) ?? [];
    for (const [k, x] of Object.entries(v)) if (!skip.includes(k)) walk(x);
  };
  walk(root);
  return byProto;
}

async function busyLabs(): Promise<LabRuntime[]> {
  const labs: LabRuntime[] = [];
  for (const f of BUSY) {
    let last: LabRuntime | null = null;
    const result = await runScenario(loadScenario(join(DIR, f)), { record: async (_e, _t, r) => void (last = r) });
    expect(result.passed, f).toBe(true);
    labs.push(last!);
  }
  return labs;
}

describe('checkpoint classes', () => {
  it('registers every class a busy lab reaches, and each skipped field is a field of a real instance', async () => {
    const names = new Map([...REGISTRY].map(([name, e]) => [e.prototype, name]));
    const found = new Map<string, object[]>();
    for (const lab of await busyLabs()) {
      for (const [proto, objects] of instancesByPrototype(lab.lab)) {
        const name = names.get(proto);
        expect(
          name,
          `class ${(proto as { constructor: { name: string } }).constructor.name} is not registered`,
        ).toBeDefined();
        found.set(name!, [...(found.get(name!) ?? []), ...objects]);
      }
      // The walk and the checkpoint agree: the lab stores and comes back to the same state.
      expect(stateHash(restoreLab(snapshotLab(lab.lab)))).toBe(stateHash(lab.lab));
    }
    for (const [name, entry] of REGISTRY) {
      for (const field of entry.skip ?? []) {
        const instances = found.get(name) ?? [];
        expect(instances.length, `no ${name} was reached to check its skipped field ${field}`).toBeGreaterThan(0);
        expect(
          instances.some((o) => Object.hasOwn(o, field)),
          `${name}.${field} is skipped but no instance has it`,
        ).toBe(true);
      }
    }
  });
});
