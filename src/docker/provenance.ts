/**
 * `thinlab why IMAGE|CONTAINER`: follows a Docker image or container down to its thin devices and
 * their data blocks in the pool, says which blocks it shares with whom, and what a removal gives
 * back and why the rest stays (shared blocks, deferred deletion, discards the disk never sees).
 * It reads the model only: asking changes nothing.
 */
import type { Machine } from '../model/machine.js';
import { normalizeRef } from './catalogue.js';
import { deviceName } from './deviceset.js';
import type { Container, DockerState, Image } from './docker-state.js';
import { humanSize } from './units.js';

interface DeviceRole {
  readonly label: string;
  readonly hash: string;
}

/** Every Docker device by thin id, with what it is (base, a layer of which images, a container's layer). */
function roles(docker: DockerState): Map<number, DeviceRole> {
  const byHash = new Map<string, string>();
  byHash.set('', 'base device');
  for (const layer of Object.values(docker.layers)) {
    const images = docker.images.filter((i) => i.layers.includes(layer.chainId)).map((i) => i.ref);
    byHash.set(
      layer.cacheId,
      `layer ${layer.shortId}${images.length > 0 ? ` of ${images.join(', ')}` : ' (no image left)'}`,
    );
  }
  for (const c of docker.containers) {
    byHash.set(c.mountId, `rw layer of container ${c.name}`);
    byHash.set(`${c.mountId}-init`, `init layer of container ${c.name}`);
  }
  const out = new Map<number, DeviceRole>();
  for (const d of Object.values(docker.devices))
    out.set(d.deviceId, { label: byHash.get(d.hash) ?? `device ${d.hash.slice(0, 12)}`, hash: d.hash });
  return out;
}

interface PoolView {
  readonly blockBytes: number;
  /** data block -> thin ids that map it */
  readonly owners: Map<number, number[]>;
  /** thin id -> data blocks it maps */
  readonly blocksOf: Map<number, number[]>;
  readonly passdown: boolean;
}

function poolView(machine: Machine, docker: DockerState): PoolView | null {
  const dev = machine.device(docker.poolName);
  if (dev === undefined || dev.live?.type !== 'thin-pool') return null;
  const pool = dev.live.pool;
  const owners = new Map<number, number[]>();
  const blocksOf = new Map<number, number[]>();
  for (const [id, thin] of pool.md.devices) {
    const mine: number[] = [];
    thin.table.forEach((_vb, block) => {
      mine.push(block);
      const list = owners.get(block);
      if (list === undefined) owners.set(block, [id]);
      else list.push(id);
    });
    blocksOf.set(id, mine);
  }
  const status = machine.targetStatus(dev, true);
  return {
    blockBytes: pool.dataBlockSizeSectors * 512,
    owners,
    blocksOf,
    passdown: !status.includes('no_discard_passdown'),
  };
}

function blocksText(n: number, view: PoolView): string {
  return `${n} block${n === 1 ? '' : 's'} (${humanSize(n * view.blockBytes)})`;
}

/** What removing this set of devices frees: blocks no device outside the set maps. */
function freedBy(ids: ReadonlySet<number>, view: PoolView): { freed: number; kept: Map<number, number> } {
  let freed = 0;
  const kept = new Map<number, number>();
  const seen = new Set<number>();
  for (const id of ids) {
    for (const block of view.blocksOf.get(id) ?? []) {
      if (seen.has(block)) continue;
      seen.add(block);
      const others = (view.owners.get(block) ?? []).filter((o) => !ids.has(o));
      if (others.length === 0) freed++;
      else for (const o of others) kept.set(o, (kept.get(o) ?? 0) + 1);
    }
  }
  return { freed, kept };
}

function describeDevice(label: string, docker: DockerState, hash: string, view: PoolView): string {
  const info = docker.devices[hash];
  if (info === undefined) return `  ${label}: no device\n`;
  const blocks = view.blocksOf.get(info.deviceId) ?? [];
  const own = blocks.filter((b) => (view.owners.get(b) ?? []).length === 1).length;
  const flags = info.deleted ? ', marked for deferred deletion' : '';
  return `  ${label}: thin device ${info.deviceId} (${deviceName(docker, hash)}), ${humanSize(info.sizeBytes)} virtual, maps ${blocksText(blocks.length, view)}, ${own} only its own${flags}\n`;
}

/** The devices that keep shared blocks, the biggest sharers first, at most four named. */
function keptText(kept: Map<number, number>, names: Map<number, DeviceRole>): string {
  const sorted = [...kept.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const parts = sorted
    .slice(0, 4)
    .map(([id, n]) => `${n} with thin device ${id} (${names.get(id)?.label ?? "not Docker's"})`);
  if (sorted.length > 4) parts.push(`and ${sorted.length - 4} more devices`);
  return parts.join('; ');
}

/**
 * Called just before Docker deletes the devices of a container or an image: what the deletion
 * will give back and what stays shared, kept so that `thinlab why` can answer after the fact.
 */
export function recordRemoval(
  machine: Machine,
  docker: DockerState,
  what: string,
  keys: readonly string[],
  hashes: readonly string[],
): void {
  const view = poolView(machine, docker);
  if (view === null) return;
  const ids = new Set(hashes.map((h) => docker.devices[h]?.deviceId).filter((x): x is number => x !== undefined));
  const { freed, kept } = freedBy(ids, view);
  const names = roles(docker);
  let text = `${what} was removed at ${(machine.nowMs / 1000).toFixed(3)}s: deleting thin device${ids.size === 1 ? '' : 's'} ${[...ids].join(', ')} gave the pool back ${blocksText(freed, view)}.\n`;
  if (kept.size > 0) text += `the blocks it shared stayed, mapped by others: ${keptText(kept, names)}\n`;
  docker.removals.push({ keys: [...keys], hashes: [...hashes], text });
}

function removalText(docker: DockerState, name: string): string | null {
  const r = [...docker.removals].reverse().find((x) => x.keys.includes(name) || x.keys.includes(normalizeRef(name)));
  if (r === undefined) return null;
  let text = r.text;
  for (const h of r.hashes) {
    const d = docker.devices[h];
    if (d?.deleted === true)
      text += `but thin device ${d.deviceId} is still in the pool: it was busy, so Docker marked it for deferred deletion; its blocks come back when the worker's delete succeeds\n`;
    else if (d !== undefined) text += `but thin device ${d.deviceId} is still in the pool: its delete failed\n`;
  }
  return text;
}

function poolNotes(docker: DockerState, view: PoolView): string {
  let out = '';
  const deleted = Object.values(docker.devices).filter((d) => d.deleted);
  for (const d of deleted) {
    out += `note: thin device ${d.deviceId} is marked for deferred deletion: it was busy when Docker removed it; its ${blocksText((view.blocksOf.get(d.deviceId) ?? []).length, view)} stay in the pool until the worker's next delete succeeds (every 30 s)\n`;
  }
  if (!view.passdown) {
    out +=
      'note: the pool has no_discard_passdown (its data device cannot discard): blocks freed in the pool are free for the pool, but the disk under it is not told (a loop file stays as large)\n';
  }
  if (docker.options !== null && !docker.options.blkDiscard) {
    out +=
      'note: dm.blkdiscard is off (the default with dm.thinpooldev): Docker deletes devices without discarding them first; the pool still frees their blocks at delete\n';
  }
  return out;
}

function whyContainer(c: Container, docker: DockerState, view: PoolView, names: Map<number, DeviceRole>): string {
  let out = `container ${c.name} (${c.id.slice(0, 12)}), image ${c.image}, ${c.state}\n`;
  out += describeDevice('rw layer', docker, c.mountId, view);
  out += describeDevice('init layer', docker, `${c.mountId}-init`, view);
  const ids = new Set(
    [docker.devices[c.mountId]?.deviceId, docker.devices[`${c.mountId}-init`]?.deviceId].filter(
      (x): x is number => x !== undefined,
    ),
  );
  const { freed, kept } = freedBy(ids, view);
  out += `docker rm ${c.name} would give back ${blocksText(freed, view)}: the blocks only its rw and init layers map.\n`;
  if (kept.size > 0) out += `the rest stays mapped by others: ${keptText(kept, names)}\n`;
  return out;
}

function whyImage(img: Image, docker: DockerState, view: PoolView, names: Map<number, DeviceRole>): string {
  let out = `image ${img.ref} (${img.id.slice(7, 19)}), ${img.layers.length} layer${img.layers.length === 1 ? '' : 's'}\n`;
  const ids = new Set<number>();
  for (const chainId of img.layers) {
    const layer = docker.layers[chainId];
    if (layer === undefined) continue;
    const others = docker.images.filter((i) => i !== img && i.layers.includes(chainId)).map((i) => i.ref);
    out += describeDevice(
      `layer ${layer.shortId}${others.length > 0 ? ` (also in ${others.join(', ')})` : ''}`,
      docker,
      layer.cacheId,
      view,
    );
    if (others.length === 0) {
      const id = docker.devices[layer.cacheId]?.deviceId;
      if (id !== undefined) ids.add(id);
    }
  }
  const users = docker.containers.filter((c) => c.imageId === img.id);
  if (users.length > 0) {
    out += `docker rmi ${img.ref.replace(/:latest$/, '')} is refused while container${users.length === 1 ? '' : 's'} ${users.map((u) => u.name).join(', ')} use${users.length === 1 ? 's' : ''} it; then it would give back at most what the layers below hold alone.\n`;
  }
  const { freed, kept } = freedBy(ids, view);
  out += `removing ${img.ref} would give back ${blocksText(freed, view)}: the blocks only its own layers map.\n`;
  if (kept.size > 0) out += `the rest stays mapped by others: ${keptText(kept, names)}\n`;
  return out;
}

/** The explanation, or an error text for an unknown name. */
export function describeProvenance(
  machine: Machine,
  docker: DockerState,
  name: string,
): { ok: true; text: string } | { ok: false; text: string } {
  const view = poolView(machine, docker);
  if (view === null)
    return {
      ok: false,
      text: `thinlab why: Docker's pool ${docker.poolName === '' ? '' : `${docker.poolName} `}is not active (start Docker first)`,
    };
  const names = roles(docker);
  const c = docker.containers.find((x) => x.name === name || x.id.startsWith(name));
  if (c !== undefined) return { ok: true, text: whyContainer(c, docker, view, names) + poolNotes(docker, view) };
  const img = docker.images.find((i) => i.ref === normalizeRef(name) || i.id.slice(7).startsWith(name));
  if (img !== undefined) return { ok: true, text: whyImage(img, docker, view, names) + poolNotes(docker, view) };
  const removed = removalText(docker, name);
  if (removed !== null) return { ok: true, text: removed + poolNotes(docker, view) };
  const orphans = [...names.entries()].filter(
    ([, r]) => r.label.includes('(no image left)') || r.label.startsWith('device '),
  );
  let text = `thinlab why: no image or container called ${name}`;
  if (orphans.length > 0)
    text += `\n(thin devices of Docker that no image or container uses: ${orphans.map(([id, r]) => `${id} ${r.label}`).join('; ')})`;
  return { ok: false, text };
}
