/**
 * containerd with the devmapper snapshotter in the lab shell: `/etc/containerd/config.toml`,
 * `systemctl start|stop|restart containerd` (a start reconciles the device records), `ctr images
 * pull|rm`, `ctr run -d`, `ctr containers rm`, `ctr snapshots ls|rm` with `--snapshotter
 * devmapper`, and the lab directives `containerd-devices` (the device records, as the bbolt
 * database holds them) and `containerd-fault`.
 */

import { BUILTIN_IMAGES, normalizeRef } from '../docker/catalogue.js';
import { hexId } from '../docker/ids.js';
import { ramInBytes } from '../docker/units.js';
import { CommandFailed, notModelled, SYSTEMCTL_VERBS } from '../lab/command-errors.js';
import type { LabFileSystem } from '../lab/fs.js';
import { OPERATIONS, type Operation, stateString } from '../lifecycle/containerd-device-states.js';
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import {
  type CtrdContext,
  commitDevice,
  crashBeforeMetadataCommit,
  createSnapshotDevice,
  createThinDevice,
  type DevmapperConfig,
  deviceNameFor,
  PLUGIN_ID,
  reconcileDevices,
  removeDevice,
  SnapshotterError,
  type StateRemoval,
  wipeState,
  writeRecord,
} from './snapshotter.js';

export const CONFIG_TOML = '/etc/containerd/config.toml';

export interface CtrdCommandContext extends CtrdContext {
  readonly fs: LabFileSystem;
}

/** The devmapper plugin's keys the lab models (docker-devicemapper.md §3.1). */
export const MODELLED_DEVMAPPER_KEYS: readonly string[] = [
  'pool_name',
  'root_path',
  'base_image_size',
  'async_remove',
  'discard_blocks',
  'fs_type',
];

/**
 * The first line of config.toml the lab does not model, named: any key of the devmapper section
 * but the modelled ones (fs_options among them), and any other section or key but `version`
 * (the CRI plugin, other snapshotters, the daemon's own settings change what the real
 * containerd does, so the lab does not pretend to honour them). Null when all is modelled.
 */
export function unmodelledConfigLine(text: string): string | null {
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header !== null) {
      section = header[1]!.replace(/['"]/g, '');
      if (section !== `plugins.${PLUGIN_ID}` && section !== 'plugins') return `config.toml section [${header[1]!}]`;
      continue;
    }
    const key = /^([A-Za-z0-9_.-]+)\s*=/.exec(line)?.[1] ?? line;
    if (section === '' && key === 'version') continue;
    if (section === `plugins.${PLUGIN_ID}` && MODELLED_DEVMAPPER_KEYS.includes(key)) continue;
    return `config.toml key ${section === '' ? key : `${section}.${key}`}`;
  }
  return null;
}

/** The devmapper plugin's section of config.toml: `key = "value"` and `key = true` lines. */
export function readDevmapperConfig(text: string | null): DevmapperConfig | string {
  const values = new Map<string, string>();
  if (text !== null) {
    let inSection = false;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*$/, '').trim();
      const header = /^\[(.*)\]$/.exec(line);
      if (header !== null) {
        inSection = header[1]!.replace(/['"]/g, '') === `plugins.${PLUGIN_ID}`;
        continue;
      }
      const kv = /^([a-z_]+)\s*=\s*(.+)$/.exec(line);
      if (inSection && kv !== null) values.set(kv[1]!, kv[2]!.replace(/^["'](.*)["']$/, '$1'));
    }
  }
  const poolName = values.get('pool_name') ?? '';
  if (poolName === '') return 'devmapper not configured';
  const sizeText = values.get('base_image_size') ?? '';
  if (sizeText === '') return 'base_image_size is required';
  const size = ramInBytes(sizeText);
  if (typeof size === 'string') return `failed to parse base image size: '${sizeText}': ${size}`;
  const fsType = values.get('fs_type') ?? 'ext4';
  if (fsType === '') return 'filesystem type cannot be empty';
  if (fsType !== 'ext4' && fsType !== 'xfs' && fsType !== 'ext2') return `unsupported Filesystem Type: "${fsType}"`;
  return {
    rootPath: values.get('root_path') || '/var/lib/containerd/io.containerd.snapshotter.v1.devmapper',
    poolName,
    baseImageSizeBytes: size,
    asyncRemove: values.get('async_remove') === 'true',
    discardBlocks: values.get('discard_blocks') === 'true',
    fsType,
  };
}

/**
 * The containerd commands by name, for the lab's command registry (src/lab/commands/containerd.ts).
 * A refused command throws CommandFailed, a power-loss fault PowerLoss; the registry prints both.
 */
export const CONTAINERD_HANDLERS = {
  ctr,
  nerdctl,
  'containerd-devices': (ctx: CtrdCommandContext, _args: readonly string[], io: CommandIo) => listDevices(ctx, io),
  'containerd-fault': fault,
} satisfies Record<string, (ctx: CtrdCommandContext, args: readonly string[], io: CommandIo) => number>;

const CONTAINERD_ROOT = '/var/lib/containerd';
const DEFAULT_ROOT_PATH = `${CONTAINERD_ROOT}/${PLUGIN_ID}`;

/**
 * `rm -r PATH` of containerd's state: the whole of /var/lib/containerd, or the snapshotter's
 * root_path (its metadata.db and the pool's database). A running containerd keeps its open
 * databases until it stops; the records are gone for the next start. Returns what the path was:
 * null when it is not containerd's, `not modelled` for a path inside that the lab does not keep.
 */
export function removeContainerdState(ctx: CtrdCommandContext, path: string): StateRemoval | 'not modelled' | null {
  const p = path.replace(/\/+$/, '').replace(/\/\*$/, '');
  if (p !== CONTAINERD_ROOT && !p.startsWith(`${CONTAINERD_ROOT}/`) && ctx.ctrd.config?.rootPath !== p) return null;
  let removal: StateRemoval | null = p === CONTAINERD_ROOT ? 'all' : null;
  const file = ctx.fs.get(CONFIG_TOML);
  const config = readDevmapperConfig(file === undefined ? null : latin1Text(file.readBytes(0, file.sizeBytes)));
  const rootPath = typeof config === 'string' ? DEFAULT_ROOT_PATH : config.rootPath;
  if (p === rootPath || p === ctx.ctrd.config?.rootPath) removal = 'snapshotter';
  if (removal === null) return 'not modelled';
  if (ctx.ctrd.running) ctx.ctrd.unlinked = ctx.ctrd.unlinked === 'all' ? 'all' : removal;
  else wipeState(ctx.ctrd, removal);
  return removal;
}

/** `systemctl VERB containerd`: the registry's systemctl sends containerd's units here. */
export function containerdSystemctl(ctx: CtrdCommandContext, args: readonly string[], io: CommandIo): number {
  return systemctl(ctx, args[0] ?? '', io);
}

/** Whether a systemctl command line is about containerd's unit (anything else is Docker's). */
export function isContainerdUnit(args: readonly string[]): boolean {
  return (args[1] ?? '').startsWith('containerd');
}

function log(ctx: CtrdContext, level: string, text: string): void {
  ctx.ctrd.log.push(
    `time="${(ctx.machine.nowMs / 1000).toFixed(3)}" level=${level} msg="${text.replace(/"/g, '\\"')}"`,
  );
}

function systemctl(ctx: CtrdCommandContext, verb: string, io: CommandIo): number {
  const stop = (): void => {
    ctx.ctrd.running = false;
  };
  const start = (): number => {
    if (ctx.ctrd.running) return 0;
    if (ctx.ctrd.unlinked != null) wipeState(ctx.ctrd, ctx.ctrd.unlinked);
    const file = ctx.fs.get(CONFIG_TOML);
    const unmodelled = file === undefined ? null : unmodelledConfigLine(latin1Text(file.readBytes(0, file.sizeBytes)));
    if (unmodelled !== null)
      throw notModelled(`${unmodelled} (the lab models the devmapper plugin's ${MODELLED_DEVMAPPER_KEYS.join(', ')})`);
    const config = readDevmapperConfig(file === undefined ? null : latin1Text(file.readBytes(0, file.sizeBytes)));
    ctx.ctrd.running = true;
    if (typeof config === 'string') {
      // The plugin is skipped (or fails to load); containerd itself runs.
      log(
        ctx,
        config === 'devmapper not configured' ? 'info' : 'warning',
        `failed to load plugin ${PLUGIN_ID}: ${config}`,
      );
      ctx.ctrd.config = null;
      return 0;
    }
    const dev = ctx.machine.device(config.poolName);
    if (dev === undefined || dev.live?.type !== 'thin-pool') {
      log(
        ctx,
        'warning',
        `failed to load plugin ${PLUGIN_ID}: failed to query pool "${config.poolName}": device not found`,
      );
      ctx.ctrd.config = null;
      return 0;
    }
    ctx.ctrd.config = config;
    reconcileDevices(ctx);
    return 0;
  };
  switch (verb) {
    case 'start':
      return start();
    case 'stop':
      stop();
      return 0;
    case 'restart':
      stop();
      return start();
    default:
      // systemctl's other verbs exist; the lab does not model them for this unit.
      if (SYSTEMCTL_VERBS.includes(verb))
        throw notModelled(`systemctl ${verb} of this unit (the lab runs start, stop, restart)`);
      io.err(`Unknown command verb ${verb}.\n`);
      return 1;
  }
}

function requireSnapshotter(ctx: CtrdContext): void {
  if (!ctx.ctrd.running)
    throw new CommandFailed(
      'ctr: failed to dial "/run/containerd/containerd.sock": connection error: desc = "transport: error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory"',
    );
  if (ctx.ctrd.config === null) throw new CommandFailed('ctr: snapshotter not loaded: devmapper: invalid argument');
}

/**
 * ctr's and nerdctl's `--snapshotter NAME` and ctr's `-n|--namespace NAME`, taken out of the
 * arguments. The lab models the devmapper snapshotter in the default namespace: another one is
 * refused by name, and so is a command that needs a snapshotter and names none (ctr's and
 * nerdctl's default is overlayfs, not devmapper).
 */
function globalOptions(tool: string, argv: readonly string[]): { args: string[]; snapshotter: string | null } {
  const args: string[] = [];
  let snapshotter: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (flag: string): string | null =>
      a === flag ? (argv[++i] ?? '') : a.startsWith(`${flag}=`) ? a.slice(flag.length + 1) : null;
    const snap = value('--snapshotter');
    const ns = tool === 'ctr' ? (value('-n') ?? value('--namespace')) : null;
    if (snap !== null) {
      if (snap !== 'devmapper')
        throw notModelled(`${tool} --snapshotter ${snap} (the lab models the devmapper snapshotter)`);
      snapshotter = snap;
    } else if (ns !== null) {
      if (ns !== 'default')
        throw notModelled(`${tool} namespace ${ns} (the lab's containerd has the default namespace)`);
    } else args.push(a);
  }
  return { args, snapshotter };
}

function requireDevmapper(tool: string, command: string, snapshotter: string | null): void {
  if (snapshotter === null)
    throw notModelled(
      `${tool} ${command} without --snapshotter devmapper (${tool}'s default snapshotter is overlayfs; the lab models devmapper)`,
    );
}

/** The options before the first operand (`--name`'s value is not one): what follows an image is its command's own. */
function leadingOptions(args: readonly string[]): string[] {
  const end = args.findIndex((a, i) => !a.startsWith('-') && args[i - 1] !== '--name');
  return args.slice(0, end === -1 ? args.length : end).filter((_a, i, all) => all[i - 1] !== '--name');
}

/** Options the lab does not model, refused by name rather than dropped. */
function refuseOptions(tool: string, command: string, args: readonly string[], allowed: readonly string[]): void {
  const other = args.find((a) => a.startsWith('-') && !allowed.includes(a));
  if (other !== undefined)
    throw notModelled(
      `${tool} ${command} ${other} (the lab runs ${tool} ${command}${allowed.length === 0 ? ' without options' : ` with ${allowed.join(', ')}`})`,
    );
}

function ctr(ctx: CtrdCommandContext, argv: readonly string[], io: CommandIo): number {
  const { args, snapshotter } = globalOptions('ctr', argv);
  const [group, verb, ...rest] = args;
  const images = group === 'images' || group === 'image' || group === 'i';
  const containers = group === 'containers' || group === 'container' || group === 'c';
  const snapshots = group === 'snapshots' || group === 'snapshot';
  const run_ = group === 'run';
  if ((images && verb === 'pull') || run_ || snapshots)
    requireDevmapper('ctr', `${group} ${run_ ? '' : verb}`.trim(), snapshotter);
  if (images && verb === 'pull') {
    refuseOptions('ctr', 'images pull', rest, []);
    return pull(ctx, rest, io);
  }
  if (images && (verb === 'rm' || verb === 'remove')) {
    refuseOptions('ctr', 'images rm', rest, []);
    return imagesRm(ctx, rest, io);
  }
  if (run_) {
    refuseOptions('ctr', 'run', leadingOptions([verb ?? '', ...rest]), ['-d', '--detach']);
    return run(ctx, [verb ?? '', ...rest], io);
  }
  if (containers && (verb === 'rm' || verb === 'delete')) {
    refuseOptions('ctr', 'containers rm', rest, []);
    return containersRm(ctx, rest, io);
  }
  if (snapshots && verb === 'ls') {
    refuseOptions('ctr', 'snapshots ls', rest, []);
    return snapshotsLs(ctx, io);
  }
  if (snapshots && verb === 'rm') {
    refuseOptions('ctr', 'snapshots rm', rest, []);
    return snapshotsRm(ctx, rest, io);
  }
  throw new CommandFailed(
    `thinlab: ctr: the lab runs ctr images pull|rm, ctr run -d, ctr containers rm and ctr snapshots ls|rm (with --snapshotter devmapper)`,
  );
}

function newSnapshotName(ctx: CtrdContext): { id: number; name: string } {
  const id = ++ctx.ctrd.snapshotSequence;
  return { id, name: deviceNameFor(ctx.ctrd.config!, id) };
}

function pull(ctx: CtrdContext, args: readonly string[], io: CommandIo): number {
  requireSnapshotter(ctx);
  const refText = args.find((a) => !a.startsWith('-'));
  if (refText === undefined) throw new CommandFailed('ctr: please provide an image reference to pull');
  const ref = normalizeRef(refText);
  const spec = BUILTIN_IMAGES.find((i) => i.ref === ref);
  const full = `docker.io/library/${ref}`;
  if (spec === undefined)
    throw new CommandFailed(`ctr: failed to resolve reference "${refText}": ${refText}: not found`);
  io.out(`${full}: resolved\n`);
  let parent: string | null = null;
  const keys: string[] = [];
  for (const layer of spec.layers) {
    const chain: string = `sha256:${hexId(`chain:${parent ?? ''}:${layer.key}`)}`;
    if (ctx.ctrd.snapshots[chain] === undefined) {
      const { id, name } = newSnapshotName(ctx);
      const extractKey = `extract-${ctx.machine.nowMs * 1000}-${hexId(chain).slice(0, 4)} ${chain}`;
      try {
        const record =
          parent === null
            ? createThinDevice(ctx, name)
            : createSnapshotDevice(ctx, deviceNameFor(ctx.ctrd.config!, ctx.ctrd.snapshots[parent]!.id), name);
        writeRecord(ctx, record, 8 * 1024 * 1024, layer.sizeBytes, 0x61 + (id % 26));
        commitOrAbort(ctx, record, extractKey);
        crashBeforeMetadataCommit(ctx);
      } catch (e) {
        // The outer metadata.db transaction of this snapshot does not commit: its id is given out
        // again, while the device records (the inner <pool>.db) keep what was saved (containerd#5646).
        ctx.ctrd.snapshotSequence = id - 1;
        if (e instanceof CommandFailed) throw e;
        if (e instanceof SnapshotterError)
          throw new CommandFailed(`ctr: failed to prepare extraction snapshot "${extractKey}": ${e.text}`);
        throw e;
      }
      ctx.ctrd.snapshots[chain] = { key: chain, id, parent, kind: 'Committed' };
    }
    keys.push(chain);
    parent = chain;
  }
  ctx.ctrd.images[ref] = keys;
  io.out(`unpacking linux/amd64 sha256:${hexId(`digest:${ref}`)}...\ndone\n`);
  return 0;
}

/**
 * The unpacker's Commit of an extracted layer (core/unpack/unpacker.go): when it fails, the
 * snapshot it prepared is removed (its device deleted, its record gone) and the pull fails with
 * `failed to commit snapshot KEY: ...`.
 */
function commitOrAbort(ctx: CtrdContext, record: Parameters<typeof commitDevice>[1], extractKey: string): void {
  try {
    commitDevice(ctx, record);
  } catch (e) {
    if (!(e instanceof SnapshotterError)) throw e;
    try {
      removeDevice(ctx, record);
    } catch (cleanup) {
      if (!(cleanup instanceof SnapshotterError)) throw cleanup;
      log(ctx, 'error', `failed to cleanup "${extractKey}": ${cleanup.text}`);
    }
    throw new CommandFailed(`ctr: failed to commit snapshot ${extractKey}: ${e.text}`);
  }
}

function run(ctx: CtrdContext, args: readonly string[], io: CommandIo): number {
  requireSnapshotter(ctx);
  const positional = args.filter((a) => !a.startsWith('-'));
  const [refText, id] = positional;
  if (refText === undefined || id === undefined)
    throw new CommandFailed('ctr: image ref and container id must be provided');
  const ref = normalizeRef(refText.replace(/^docker\.io\/library\//, ''));
  const layers = ctx.ctrd.images[ref];
  if (layers === undefined) throw new CommandFailed(`ctr: image "${refText}": not found`);
  if (ctx.ctrd.containers[id] !== undefined) throw new CommandFailed(`ctr: container "${id}": already exists`);
  const top = ctx.ctrd.snapshots[layers[layers.length - 1]!];
  if (top === undefined)
    throw notModelled(
      `ctr run of ${refText}, whose snapshots are gone with the snapshotter's database (ctr unpacks it again; the lab does not: ctr images pull it)`,
    );
  const { id: snapId, name } = newSnapshotName(ctx);
  try {
    createSnapshotDevice(ctx, deviceNameFor(ctx.ctrd.config!, top.id), name);
    crashBeforeMetadataCommit(ctx);
  } catch (e) {
    ctx.ctrd.snapshotSequence = snapId - 1;
    if (e instanceof SnapshotterError) throw new CommandFailed(`ctr: failed to create containerd container: ${e.text}`);
    throw e;
  }
  ctx.ctrd.snapshots[id] = { key: id, id: snapId, parent: top.key, kind: 'Active' };
  ctx.ctrd.containers[id] = id;
  void io;
  return 0;
}

/** nerdctl's pull, run -d and rm over the same snapshotter (`--snapshotter devmapper`). */
function nerdctl(ctx: CtrdCommandContext, argv: readonly string[], io: CommandIo): number {
  const { args, snapshotter } = globalOptions('nerdctl', argv);
  const [verb, ...rest] = args;
  if (verb === 'pull' || verb === 'run') requireDevmapper('nerdctl', verb, snapshotter);
  if (verb === 'pull') {
    refuseOptions('nerdctl', 'pull', rest, []);
    return pull(ctx, rest, io);
  }
  if (verb === 'rm') refuseOptions('nerdctl', 'rm', rest, ['-f', '--force']);
  if (verb === 'run') {
    refuseOptions('nerdctl', 'run', leadingOptions(rest), ['-d', '--detach', '--name']);
    const nameAt = rest.indexOf('--name');
    const name = nameAt >= 0 ? rest[nameAt + 1] : undefined;
    const image = rest.filter((a, i) => !a.startsWith('-') && rest[i - 1] !== '--name')[0];
    if (image === undefined) throw new CommandFailed('time="0000" level=fatal msg="image name required"');
    const id = name ?? hexId(`nerdctl:${ctx.ctrd.snapshotSequence}`).slice(0, 12);
    const ref = normalizeRef(image.replace(/^docker\.io\/library\//, ''));
    if (ctx.ctrd.images[ref] === undefined) pull(ctx, [image], { ...io, out: () => undefined });
    const status = run(ctx, [image, id], io);
    if (status === 0) io.out(`${hexId(`nerdctl-id:${id}`)}\n`);
    return status;
  }
  if (verb === 'rm') {
    requireSnapshotter(ctx);
    const missing = rest.filter((a) => !a.startsWith('-') && ctx.ctrd.containers[a] === undefined);
    if (missing.length > 0)
      throw new CommandFailed(
        `FATA[0000] ${missing.length} errors:\n${missing.map((m) => `no such container: ${m}`).join('\n')}`,
      );
    const status = containersRm(ctx, rest, io);
    if (status === 0) for (const n of rest.filter((a) => !a.startsWith('-'))) io.out(`${n}\n`);
    return status;
  }
  throw new CommandFailed(
    'thinlab: nerdctl: the lab runs nerdctl pull, nerdctl run -d and nerdctl rm (with --snapshotter devmapper)',
  );
}

/** Snapshot.Remove: the device goes at once, or is only marked Removed with async_remove (GC deletes it). */
function removeSnapshot(ctx: CtrdContext, key: string): void {
  const snap = ctx.ctrd.snapshots[key];
  // Gone with the snapshotter's database (rm -r of its root_path): containerd ignores NotFound here.
  if (snap === undefined) return;
  const record = ctx.ctrd.devices[deviceNameFor(ctx.ctrd.config!, snap.id)];
  delete ctx.ctrd.snapshots[key];
  if (record === undefined) return;
  if (ctx.ctrd.config!.asyncRemove) {
    record.state = 'Removed';
    return;
  }
  try {
    removeDevice(ctx, record);
  } catch (e) {
    if (!(e instanceof SnapshotterError)) throw e;
    log(ctx, 'error', `failed to remove device: ${e.text}`);
    throw new CommandFailed(`ctr: failed precondition: ${e.text}`);
  }
}

function containersRm(ctx: CtrdContext, args: readonly string[], io: CommandIo): number {
  requireSnapshotter(ctx);
  let status = 0;
  for (const id of args.filter((a) => !a.startsWith('-'))) {
    if (ctx.ctrd.containers[id] === undefined) {
      io.err(
        `ERRO[0000] failed to delete container "${id}"  error="container \\"${id}\\" in namespace \\"default\\": not found"\nctr: container "${id}" in namespace "default": not found\n`,
      );
      status = 1;
      continue;
    }
    delete ctx.ctrd.containers[id];
    removeSnapshot(ctx, id);
  }
  return status;
}

function snapshotsRm(ctx: CtrdContext, args: readonly string[], io: CommandIo): number {
  requireSnapshotter(ctx);
  for (const key of args.filter((a) => !a.startsWith('-'))) {
    if (ctx.ctrd.snapshots[key] === undefined) {
      io.err(`ctr: failed to remove "${key}": snapshot ${key} does not exist: not found\n`);
      return 1;
    }
    if (Object.values(ctx.ctrd.snapshots).some((s) => s.parent === key)) {
      io.err(`ctr: failed to remove "${key}": cannot remove snapshot with child: failed precondition\n`);
      return 1;
    }
    removeSnapshot(ctx, key);
  }
  return 0;
}

function imagesRm(ctx: CtrdContext, args: readonly string[], io: CommandIo): number {
  requireSnapshotter(ctx);
  for (const refText of args.filter((a) => !a.startsWith('-'))) {
    const ref = normalizeRef(refText.replace(/^docker\.io\/library\//, ''));
    const layers = ctx.ctrd.images[ref];
    if (layers === undefined) {
      io.err(`ctr: image "${refText}": not found\n`);
      return 1;
    }
    delete ctx.ctrd.images[ref];
    io.out(`${refText}\n`);
    // Garbage collection: committed snapshots no image and no snapshot depends on, child first.
    for (const key of [...layers].reverse()) {
      const used =
        Object.values(ctx.ctrd.images).some((l) => l.includes(key)) ||
        Object.values(ctx.ctrd.snapshots).some((s) => s.parent === key);
      if (used) break;
      removeSnapshot(ctx, key);
    }
  }
  return 0;
}

function snapshotsLs(ctx: CtrdContext, io: CommandIo): number {
  requireSnapshotter(ctx);
  const rows = [
    ['KEY', 'PARENT', 'KIND'],
    ...Object.values(ctx.ctrd.snapshots)
      .sort((a, b) => a.id - b.id)
      .map((s) => [s.key, s.parent ?? '', s.kind]),
  ];
  const widths = rows[0]!.map((_h, i) => Math.max(...rows.map((r) => r[i]!.length)));
  io.out(
    rows
      .map(
        (r) =>
          `${r
            .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 1)))
            .join('')
            .trimEnd()}\n`,
      )
      .join(''),
  );
  return 0;
}

/** The lab's view of `<pool>.db`: each device record, and the ids marked faulty. */
function listDevices(ctx: CtrdContext, io: CommandIo): number {
  const rows = Object.values(ctx.ctrd.devices).sort((a, b) => a.deviceId - b.deviceId);
  let out = 'NAME\tDEVICE_ID\tSTATE\tERROR\n';
  for (const r of rows) out += `${r.name}\t${r.deviceId}\t${stateString(r.state)}\t${r.error}\n`;
  const faulty = Object.entries(ctx.ctrd.deviceIds)
    .filter(([, v]) => v === 'faulty')
    .map(([k]) => k);
  if (faulty.length > 0)
    out += `faulty device ids (never handed out again): ${faulty.sort((a, b) => Number(a) - Number(b)).join(' ')}\n`;
  io.out(out);
  return 0;
}

function fault(ctx: CtrdContext, args: readonly string[], io: CommandIo): number {
  const [kind, what] = args;
  if (kind === 'crash-during' && what !== undefined && what in OPERATIONS) {
    ctx.ctrd.crashDuring = what as Operation;
    return 0;
  }
  if (kind === 'crash-before-commit') {
    ctx.ctrd.crashBeforeCommit = true;
    return 0;
  }
  if (kind === 'gone-before-suspend' && what === undefined) {
    ctx.ctrd.goneBeforeSuspend = true;
    return 0;
  }
  if (kind === 'fail' && (what === 'create_thin' || what === 'create_snap')) {
    ctx.ctrd.failMessage = what;
    return 0;
  }
  if (kind === 'fail' && what === 'suspend') {
    const count = args[2] ?? '1';
    if (!/^[1-9]\d{0,2}$/.test(count))
      throw new CommandFailed(`thinlab: containerd-fault fail suspend: the count must be 1 to 999, not "${count}"`, 2);
    ctx.ctrd.failSuspends = Number(count);
    return 0;
  }
  io.err(
    `usage: containerd-fault crash-during ${Object.keys(OPERATIONS).join('|')}\n       containerd-fault crash-before-commit   (after the device is ready, before metadata.db commits: containerd#5646)\n       containerd-fault fail create_thin|create_snap   (the pool answers EINVAL, as in containerd#7048)\n       containerd-fault fail suspend [N]   (the next N suspends answer EINVAL, as under load in containerd#11637)\n       containerd-fault gone-before-suspend   (the next parent to snapshot is seen by dmsetup info, then removed by the kernel before its suspend: ENXIO, containerd#5110)\n`,
  );
  return 2;
}
