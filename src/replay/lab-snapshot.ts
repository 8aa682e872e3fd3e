/**
 * The whole lab state as bytes: for checkpoints in the store, for the state hash that proves two
 * replays reached the same state, and for `thinlab at`. The object graph (machine, pools, pages
 * shared by snapshots, metadata images, files, shell variables) is encoded by object-graph.ts and
 * serialised with V8's structured clone, which keeps Maps, typed arrays and shared references.
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { Machine, Storage } from '../model/machine.js';
import { MetadataRegion } from '../model/metadata-region.js';
import { MappingPage, MappingTable } from '../model/mapping.js';
import { ThinDevice, ThinMetadata } from '../model/metadata.js';
import { MetadataAllocator, SpaceMapBlocks } from '../model/metadata-allocator.js';
import { IoTicket, ThinPool } from '../model/pool.js';
import { SectorDictionary, SectorStore } from '../model/sectors.js';
import { DataSpaceMap } from '../model/space-map.js';
import { DEFAULT_STACK, type StackId } from '../model/stack.js';
import { LabFile, LabFileSystem } from '../lab/fs.js';
import { Lab } from '../lab/lab.js';
import { classRegistry, decodeGraph, encodeGraph, type ClassEntry } from './object-graph.js';

/**
 * The checkpoint format. 2: the sector dictionary keeps its sectors in slabs (session 2). 3: the
 * root is the Lab, not the shell, and the shell's variables are its `session`. 4: a disk's metadata
 * is kept per region (MetadataRegion), where a metadata device starts on it. 5: the machine keeps
 * its /dev/mapper nodes (Machine.mapperNodes), which no longer follow the devices. 6: the metadata
 * allocator keeps every tree node by node (each node names its tree), the kernel's list of open
 * devices and the data space map's index entry cache. A checkpoint of another format is refused,
 * and History replays the events instead.
 */
const SNAPSHOT_FORMAT = 6;

/**
 * Every class a lab's state can hold, by a stable name. Each class declares the fields it keeps
 * out of checkpoints (its static `checkpointSkip`).
 */
export const REGISTRY: ReadonlyMap<string, ClassEntry> = classRegistry({
  Machine,
  Storage,
  MetadataRegion,
  ThinPool,
  ThinMetadata,
  ThinDevice,
  MetadataAllocator,
  SpaceMapBlocks,
  MappingTable,
  MappingPage,
  DataSpaceMap,
  SectorStore,
  SectorDictionary,
  IoTicket,
  Lab,
  LabFileSystem,
  LabFile,
});

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  readonly code = 'SNAPSHOT_UNREADABLE';
}

export function snapshotLab(lab: Lab): Uint8Array {
  const graph = encodeGraph(lab, REGISTRY);
  return new Uint8Array(serialize({ format: SNAPSHOT_FORMAT, graph }));
}

export function restoreLab(bytes: Uint8Array): Lab {
  let decoded: { format?: unknown; graph?: unknown };
  try {
    decoded = deserialize(bytes) as { format?: unknown; graph?: unknown };
  } catch (e) {
    throw new SnapshotError(`checkpoint is not readable: ${(e as Error).message}`);
  }
  if (decoded.format !== SNAPSHOT_FORMAT)
    throw new SnapshotError(`checkpoint format ${String(decoded.format)} is not ${SNAPSHOT_FORMAT}`);
  const lab = decodeGraph(decoded.graph, REGISTRY) as Lab;
  // A checkpoint written before stacks existed holds a machine without one: it was Debian 12's,
  // the only stack there was.
  if ((lab.machine as { stack?: StackId }).stack === undefined)
    Object.defineProperty(lab.machine, 'stack', { value: DEFAULT_STACK, enumerable: true });
  lab.machine.rewire();
  return lab;
}

/**
 * sha256 of the lab state in a canonical form: equal hashes mean identical states. It is not the
 * hash of the checkpoint bytes, because V8 writes a string as one-byte or two-byte depending on
 * how the string was built, so equal states may serialise to different bytes. The walk records
 * every value with its kind, and shared objects by the order they were first met, so sharing
 * (a page owned by a snapshot and its origin) is part of the state too.
 */
export function stateHash(lab: Lab): string {
  const hash = createHash('sha256');
  const ids = new Map<object, number>();
  // The values are gathered into one string and handed to the hash in large pieces: one native
  // call per value made hashing most of what `thinlab at` cost. The bytes hashed are the same.
  let pending = '';
  const flush = (): void => {
    hash.update(pending, 'utf8');
    pending = '';
  };
  const put = (tag: string, text = ''): void => {
    pending += `${tag}${text.length}:${text}`;
    if (pending.length > 1 << 16) flush();
  };
  const walk = (v: unknown): void => {
    if (v === null) return put('n');
    switch (typeof v) {
      case 'undefined':
        return put('u');
      case 'boolean':
        return put('b', v ? '1' : '0');
      case 'number':
        return put('d', Object.is(v, -0) ? '-0' : String(v));
      case 'bigint':
        return put('B', v.toString());
      case 'string':
        return put('s', v);
      case 'object':
        break;
      default:
        return put('?', String(v));
    }
    const obj = v as object;
    const id = ids.get(obj);
    if (id !== undefined) return put('r', String(id));
    ids.set(obj, ids.size);
    if (ArrayBuffer.isView(obj)) {
      put('t', obj.constructor.name);
      pending += String(obj.byteLength);
      flush();
      hash.update(new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength));
      return;
    }
    if (Array.isArray(obj)) {
      put('a', String(obj.length));
      for (const x of obj) walk(x);
      return;
    }
    if (obj instanceof Map) {
      put('m', String(obj.size));
      for (const [k, x] of obj) {
        walk(k);
        walk(x);
      }
      return;
    }
    if (obj instanceof Set) {
      put('S', String(obj.size));
      for (const x of obj) walk(x);
      return;
    }
    const keys = Object.keys(obj);
    put('o', String(keys.length));
    for (const k of keys) {
      put('k', k);
      walk((obj as Record<string, unknown>)[k]);
    }
  };
  walk(encodeGraph(lab, REGISTRY));
  flush();
  return hash.digest('hex');
}
