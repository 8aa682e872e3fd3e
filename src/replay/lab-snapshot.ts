/**
 * The whole lab state as bytes: for checkpoints in the store, for the state hash that proves two
 * replays reached the same state, and for `thinlab at`. The object graph (machine, pools, pages
 * shared by snapshots, metadata images, files, shell variables) is encoded by object-graph.ts and
 * serialised with V8's structured clone, which keeps Maps, typed arrays and shared references.
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { Machine, Storage } from '../model/machine.js';
import { MappingPage, MappingTable } from '../model/mapping.js';
import { ThinDevice, ThinMetadata } from '../model/metadata.js';
import { IoTicket, ThinPool } from '../model/pool.js';
import { SectorDictionary, SectorStore } from '../model/sectors.js';
import { DataSpaceMap } from '../model/space-map.js';
import { LabFile, LabFileSystem } from '../shell/fs.js';
import { LabShell } from '../shell/shell.js';
import { decodeGraph, encodeGraph, type ClassEntry } from './object-graph.js';

const SNAPSHOT_FORMAT = 1;

/** Every class a lab's state can hold, by a stable name (never the minified constructor name). */
const REGISTRY: ReadonlyMap<string, ClassEntry> = new Map<string, ClassEntry>([
  ['Machine', { prototype: Machine.prototype }],
  ['Storage', { prototype: Storage.prototype }],
  ['ThinPool', { prototype: ThinPool.prototype, skip: ['env', 'dataDev'] }],
  ['ThinMetadata', { prototype: ThinMetadata.prototype }],
  ['ThinDevice', { prototype: ThinDevice.prototype }],
  ['MappingTable', { prototype: MappingTable.prototype }],
  ['MappingPage', { prototype: MappingPage.prototype }],
  ['DataSpaceMap', { prototype: DataSpaceMap.prototype }],
  ['SectorStore', { prototype: SectorStore.prototype }],
  ['SectorDictionary', { prototype: SectorDictionary.prototype }],
  ['IoTicket', { prototype: IoTicket.prototype }],
  ['LabShell', { prototype: LabShell.prototype }],
  ['LabFileSystem', { prototype: LabFileSystem.prototype }],
  ['LabFile', { prototype: LabFile.prototype }],
]);

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  readonly code = 'SNAPSHOT_UNREADABLE';
}

export function snapshotLab(shell: LabShell): Uint8Array {
  const graph = encodeGraph(shell, REGISTRY);
  return new Uint8Array(serialize({ format: SNAPSHOT_FORMAT, graph }));
}

export function restoreLab(bytes: Uint8Array): LabShell {
  let decoded: { format?: unknown; graph?: unknown };
  try {
    decoded = deserialize(bytes) as { format?: unknown; graph?: unknown };
  } catch (e) {
    throw new SnapshotError(`checkpoint is not readable: ${(e as Error).message}`);
  }
  if (decoded.format !== SNAPSHOT_FORMAT) throw new SnapshotError(`checkpoint format ${String(decoded.format)} is not ${SNAPSHOT_FORMAT}`);
  const shell = decodeGraph(decoded.graph, REGISTRY) as LabShell;
  shell.machine.rewire();
  return shell;
}

/** sha256 of the state's bytes: equal hashes mean byte-identical lab states. */
export function stateHash(shell: LabShell): string {
  return createHash('sha256').update(snapshotLab(shell)).digest('hex');
}
