/**
 * The lab beyond device-mapper, as `thinlab at` and `thinlab diff` show it: Docker's images and
 * containers with the thin devices under them and the driver's transaction id, containerd's
 * snapshot records and the states of their devices, and LVM's volumes with their activation and
 * Data%/Meta% as `lvs` prints them. Pure: it reads a Lab and changes nothing (the LVM columns come
 * from `lvs`'s own code with `--noflush` status reads), so looking at the past never alters it.
 * `summaryEntries` flattens a summary into keyed lines, one per thing, which is what both the
 * text of `at` and the diff of two summaries are made of: a diff is then the keys that appear,
 * disappear or change.
 */
import { deviceNameFor } from '../containerd/snapshotter.js';
import type { DockerState } from '../docker/docker-state.js';
import type { lvReport } from '../lvm/lvm-commands.js';
import { domainModule } from './domains.js';
import type { Lab } from './lab.js';

export interface DockerImageSummary {
  readonly ref: string;
  /** The short id `docker images` prints. */
  readonly id: string;
  /** Thin device ids of its layers, bottom first (null: a layer without a device file). */
  readonly layerThinIds: readonly (number | null)[];
}

export interface DockerContainerSummary {
  readonly name: string;
  readonly id: string;
  readonly image: string;
  readonly state: string;
  readonly exitCode: number;
  /** The thin ids of its read-write and init layers (null when the device file is gone). */
  readonly thinId: number | null;
  readonly initThinId: number | null;
}

export interface DockerSummary {
  readonly running: boolean;
  readonly pool: string;
  /** The pool transaction id as the driver last set it (daemon memory). */
  readonly transactionId: number;
  readonly images: readonly DockerImageSummary[];
  readonly containers: readonly DockerContainerSummary[];
  /** Devices whose removal waits for the last opener (deferred removal). */
  readonly deferredRemovals: readonly string[];
}

export interface SnapshotSummary {
  readonly key: string;
  readonly parent: string;
  readonly kind: string;
  /** The snapshotter's device record for it: dm name, thin id and state; null when it has none. */
  readonly device: string;
  readonly thinId: number | null;
  readonly deviceState: string | null;
}

export interface ContainerdSummary {
  readonly running: boolean;
  readonly pool: string;
  readonly snapshots: readonly SnapshotSummary[];
  /** Device records no snapshot refers to (left by a crash or a failed remove). */
  readonly orphanDevices: ReadonlyArray<{ readonly name: string; readonly thinId: number; readonly state: string }>;
}

export interface LvSummary {
  readonly vg: string;
  readonly name: string;
  readonly role: string;
  readonly active: boolean;
  readonly attr: string;
  readonly size: string;
  readonly pool: string;
  readonly dataPercent: string;
  readonly metaPercent: string;
}

export interface LabSummary {
  /** Null when Docker was never configured nor started in this lab. */
  readonly docker: DockerSummary | null;
  /** Null when containerd's snapshotter was never configured. */
  readonly containerd: ContainerdSummary | null;
  /** Every volume `lvs` shows (hidden pool volumes left out), by group and name. */
  readonly lvm: readonly LvSummary[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function thinIdOf(docker: DockerState, hash: string): number | null {
  const d = docker.devices[hash];
  return d === undefined || d.deleted ? null : d.deviceId;
}

function dockerSummary(lab: Lab): DockerSummary | null {
  const d = lab.docker;
  if (d.options === null && !d.running && d.images.length === 0 && d.containers.length === 0) return null;
  return {
    running: d.running,
    pool: d.poolName,
    transactionId: d.transactionId,
    images: d.images
      .map((img) => ({
        ref: img.ref,
        id: img.id.replace(/^sha256:/, '').slice(0, 12),
        layerThinIds: img.layers.map((chainId) => {
          const layer = d.layers[chainId];
          return layer === undefined ? null : thinIdOf(d, layer.cacheId);
        }),
      }))
      .sort((a, b) => byName(a.ref, b.ref)),
    containers: d.containers
      .map((c) => ({
        name: c.name,
        id: c.id.slice(0, 12),
        image: c.image,
        state: c.state,
        exitCode: c.exitCode,
        thinId: thinIdOf(d, c.mountId),
        initThinId: thinIdOf(d, `${c.mountId}-init`),
      }))
      .sort((a, b) => byName(a.name, b.name)),
    deferredRemovals: [...d.deferredRemovals].sort(byName),
  };
}

function containerdSummary(lab: Lab): ContainerdSummary | null {
  const c = lab.containerd;
  if (c.config === null) return null;
  const config = c.config;
  const used = new Set<string>();
  const snapshots = Object.values(c.snapshots)
    .sort((a, b) => a.id - b.id)
    .map((s) => {
      const device = deviceNameFor(config, s.id);
      const record = c.devices[device];
      used.add(device);
      return {
        key: s.key,
        parent: s.parent ?? '',
        kind: s.kind,
        device,
        thinId: record?.deviceId ?? null,
        deviceState: record?.state ?? null,
      };
    });
  const orphanDevices = Object.values(c.devices)
    .filter((r) => !used.has(r.name))
    .map((r) => ({ name: r.name, thinId: r.deviceId, state: r.state }))
    .sort((a, b) => byName(a.name, b.name));
  return { running: c.running, pool: config.poolName, snapshots, orphanDevices };
}

function lvmSummary(lab: Lab): LvSummary[] {
  const out: LvSummary[] = [];
  for (const vg of [...lab.lvm.vgs].sort((a, b) => byName(a.name, b.name))) {
    for (const lv of [...vg.lvs].sort((a, b) => byName(a.name, b.name))) {
      // LVM's code is loaded with its domain (src/lab/domains.ts): a lab with volumes has used it.
      const r = domainModule<{ lvReport: typeof lvReport }>('lvm').lvReport(lab, vg, lv);
      if (!r.visible) continue;
      out.push({
        vg: vg.name,
        name: lv.name,
        role: lv.role,
        active: r.active,
        attr: r.attr,
        size: r.size,
        pool: r.pool,
        dataPercent: r.dataPercent,
        metaPercent: r.metaPercent,
      });
    }
  }
  return out;
}

/** The summary of a lab's Docker, containerd and LVM state. */
export function labSummary(lab: Lab): LabSummary {
  return { docker: dockerSummary(lab), containerd: containerdSummary(lab), lvm: lvmSummary(lab) };
}

/** One line of the summary: a stable key (what the thing is) and what it is now. */
export interface SummaryEntry {
  readonly key: string;
  readonly value: string;
}

const thin = (id: number | null): string => (id === null ? 'no device' : String(id));

function dockerEntries(d: DockerSummary): SummaryEntry[] {
  const out: SummaryEntry[] = [
    {
      key: 'docker',
      value: `${d.running ? 'running' : 'stopped'}, pool ${d.pool === '' ? '(none)' : d.pool}, transaction id ${d.transactionId}`,
    },
  ];
  for (const i of d.images)
    out.push({ key: `docker image ${i.ref}`, value: `${i.id}, layer thin ids ${i.layerThinIds.map(thin).join(' ')}` });
  for (const c of d.containers) {
    const state = c.state === 'exited' ? `exited (${c.exitCode})` : c.state;
    out.push({
      key: `docker container ${c.name}`,
      value: `${c.id}, image ${c.image}, ${state}, thin id ${thin(c.thinId)} (init ${thin(c.initThinId)})`,
    });
  }
  if (d.deferredRemovals.length > 0) out.push({ key: 'docker deferred removals', value: d.deferredRemovals.join(' ') });
  return out;
}

function containerdEntries(c: ContainerdSummary): SummaryEntry[] {
  const out: SummaryEntry[] = [
    { key: 'containerd', value: `${c.running ? 'running' : 'stopped'}, devmapper pool ${c.pool}` },
  ];
  for (const s of c.snapshots) {
    const device =
      s.thinId === null ? `${s.device} (no device record)` : `${s.device} thin id ${s.thinId} ${s.deviceState}`;
    out.push({ key: `containerd snapshot ${s.key}`, value: `${s.kind}, parent ${s.parent || '(none)'}, ${device}` });
  }
  for (const o of c.orphanDevices)
    out.push({ key: `containerd device ${o.name}`, value: `thin id ${o.thinId} ${o.state}, no snapshot refers to it` });
  return out;
}

/** The summary as keyed lines, in a fixed order: Docker, containerd, then LVM. */
export function summaryEntries(s: LabSummary): SummaryEntry[] {
  const out: SummaryEntry[] = [];
  if (s.docker !== null) out.push(...dockerEntries(s.docker));
  if (s.containerd !== null) out.push(...containerdEntries(s.containerd));
  for (const lv of s.lvm) {
    const usage =
      lv.dataPercent === '' && lv.metaPercent === ''
        ? ''
        : `, Data% ${lv.dataPercent || '-'}${lv.metaPercent === '' ? '' : ` Meta% ${lv.metaPercent}`}`;
    out.push({
      key: `lv ${lv.vg}/${lv.name}`,
      value: `${lv.attr} ${lv.size}${lv.pool === '' ? '' : ` in ${lv.pool}`}, ${lv.active ? 'active' : 'inactive'}${usage}`,
    });
  }
  return out;
}

/** One difference between two summaries: null on a side where the thing is not there. */
export interface SummaryChange {
  readonly key: string;
  readonly left: string | null;
  readonly right: string | null;
}

/** What differs between two summaries, in the order of the left one, then what only the right has. */
export function diffSummaries(left: LabSummary, right: LabSummary): SummaryChange[] {
  const l = summaryEntries(left);
  const r = new Map(summaryEntries(right).map((e) => [e.key, e.value]));
  const out: SummaryChange[] = [];
  for (const e of l) {
    const other = r.get(e.key) ?? null;
    if (other !== e.value) out.push({ key: e.key, left: e.value, right: other });
    r.delete(e.key);
  }
  for (const [key, value] of r) out.push({ key, left: null, right: value });
  return out;
}
