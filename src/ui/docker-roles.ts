/**
 * What Docker's devicemapper driver made of each thin device of its pool: the base device, image
 * layers (each a snapshot of the layer below), containers' init and read-write layers. Docker's
 * own records say which device each was snapshotted from, so the page's tree uses them instead of
 * the guess from shared blocks.
 */
import type { DockerState } from '../docker/docker-state.js';

export interface DockerRole {
  readonly label: string;
  /** The thin id this device was snapshotted from, per Docker's records (null for the base). */
  readonly originId: number | null;
}

function parentHashes(docker: DockerState): Map<string, { label: string; parent: string | null }> {
  const byHash = new Map<string, { label: string; parent: string | null }>();
  byHash.set('', { label: 'docker base device', parent: null });
  for (const layer of Object.values(docker.layers)) {
    const images = docker.images.filter((i) => i.layers.includes(layer.chainId)).map((i) => i.ref);
    const parent = layer.parent === null ? '' : (docker.layers[layer.parent]?.cacheId ?? '');
    const of = images.length > 0 ? ` of ${images.join(', ')}` : ' (no image left)';
    byHash.set(layer.cacheId, { label: `layer ${layer.shortId}${of}`, parent });
  }
  for (const c of docker.containers) {
    const image = docker.images.find((i) => i.id === c.imageId);
    const top = image?.layers[image.layers.length - 1];
    const topHash = top === undefined ? '' : (docker.layers[top]?.cacheId ?? '');
    byHash.set(`${c.mountId}-init`, { label: `init layer of container ${c.name}`, parent: topHash });
    byHash.set(c.mountId, { label: `container ${c.name}`, parent: `${c.mountId}-init` });
  }
  return byHash;
}

/** Docker's devices by thin id (empty when Docker never ran). */
export function dockerRoles(docker: DockerState): Map<number, DockerRole> {
  const byHash = parentHashes(docker);
  const idOf = new Map<string, number>();
  for (const d of Object.values(docker.devices)) if (!d.deleted) idOf.set(d.hash, d.deviceId);
  const out = new Map<number, DockerRole>();
  for (const d of Object.values(docker.devices)) {
    if (d.deleted) continue;
    const known = byHash.get(d.hash);
    const parent = known?.parent ?? null;
    out.set(d.deviceId, {
      label: known?.label ?? `docker device ${d.hash.slice(0, 12)}`,
      originId: parent === null ? null : (idOf.get(parent) ?? null),
    });
  }
  return out;
}
