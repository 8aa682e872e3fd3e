/**
 * Turns a lab's object graph (class instances, Maps, typed arrays, shared references) into plain
 * structured-clone data and back, preserving sharing: a mapping page shared by a snapshot and its
 * origin is one object after a round trip too. Classes are known by a registry; properties that
 * hold functions (the environment a pool is wired to) are left out and rebuilt by the owner's
 * `rewire` after decoding. The bytes themselves come from node:v8 in lab-snapshot.ts.
 */

const CLASS_TAG = '\u0000class';

export interface ClassEntry {
  readonly prototype: object;
  /** Own properties not to store (functions, caches); the owner rebuilds them. */
  readonly skip?: readonly string[];
}

/**
 * A class a checkpoint may hold. It names the own fields it keeps out of checkpoints itself, in a
 * static `checkpointSkip`, beside the fields: a list kept here instead would silently stop
 * skipping a field that was renamed.
 */
export interface CheckpointClass {
  readonly prototype: object;
  readonly checkpointSkip?: readonly string[];
}

/**
 * The registry for a list of classes, keyed by the names given (object keys survive minifying,
 * a constructor's name does not).
 */
export function classRegistry(classes: Readonly<Record<string, CheckpointClass>>): ReadonlyMap<string, ClassEntry> {
  return new Map(
    Object.entries(classes).map(([name, cls]) => [name, { prototype: cls.prototype, skip: cls.checkpointSkip ?? [] }]),
  );
}

export class ObjectGraphError extends Error {
  override readonly name = 'ObjectGraphError';
}

export function encodeGraph(root: unknown, registry: ReadonlyMap<string, ClassEntry>): unknown {
  const memo = new Map<object, unknown>();
  const byPrototype = new Map<object, [string, ClassEntry]>();
  for (const [name, entry] of registry) byPrototype.set(entry.prototype, [name, entry]);

  const walk = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'function') throw new ObjectGraphError(`cannot store a function at ${path}`);
      if (typeof value === 'symbol') throw new ObjectGraphError(`cannot store a symbol at ${path}`);
      return value;
    }
    const known = memo.get(value);
    if (known !== undefined) return known;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      memo.set(value, value);
      return value;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      memo.set(value, out);
      value.forEach((v, i) => out.push(walk(v, `${path}[${i}]`)));
      return out;
    }
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      memo.set(value, out);
      for (const [k, v] of value) out.set(walk(k, `${path}.key`), walk(v, `${path}.get(${String(k)})`));
      return out;
    }
    if (value instanceof Set) {
      const out = new Set<unknown>();
      memo.set(value, out);
      for (const v of value) out.add(walk(v, `${path}.item`));
      return out;
    }
    const proto = Object.getPrototypeOf(value) as object | null;
    const out: Record<string, unknown> = {};
    memo.set(value, out);
    let skip: readonly string[] = [];
    if (proto !== Object.prototype && proto !== null) {
      const entry = byPrototype.get(proto);
      if (entry === undefined) {
        const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? '?';
        throw new ObjectGraphError(`class ${name} at ${path} is not registered for snapshots`);
      }
      out[CLASS_TAG] = entry[0];
      skip = entry[1].skip ?? [];
    }
    for (const key of Object.keys(value)) {
      if (skip.includes(key)) continue;
      out[key] = walk((value as Record<string, unknown>)[key], `${path}.${key}`);
    }
    return out;
  };
  return walk(root, 'root');
}

export function decodeGraph(data: unknown, registry: ReadonlyMap<string, ClassEntry>): unknown {
  const memo = new Map<object, unknown>();
  const walk = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const known = memo.get(value);
    if (known !== undefined) return known;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      memo.set(value, value);
      return value;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      memo.set(value, out);
      for (const v of value) out.push(walk(v));
      return out;
    }
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      memo.set(value, out);
      for (const [k, v] of value) out.set(walk(k), walk(v));
      return out;
    }
    if (value instanceof Set) {
      const out = new Set<unknown>();
      memo.set(value, out);
      for (const v of value) out.add(walk(v));
      return out;
    }
    const record = value as Record<string, unknown>;
    const className = record[CLASS_TAG];
    let out: Record<string, unknown>;
    if (typeof className === 'string') {
      const entry = registry.get(className);
      if (entry === undefined) throw new ObjectGraphError(`snapshot names unknown class ${className}`);
      out = Object.create(entry.prototype) as Record<string, unknown>;
    } else out = {};
    memo.set(value, out);
    for (const key of Object.keys(record)) {
      if (key === CLASS_TAG) continue;
      out[key] = walk(record[key]);
    }
    return out;
  };
  return walk(data);
}
