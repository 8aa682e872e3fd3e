/**
 * The Docker commands of the lab shell: `dockerd`, `systemctl start|stop|restart|status docker`,
 * and `docker info|pull|images|create|run|start|stop|rm|rmi|ps|exec|commit|inspect|system df|
 * system prune`, printing what Docker 20.10 prints (the last release line with devicemapper
 * enabled), plus the lab directive `docker-fault`. Errors are Docker's own: the daemon's in
 * `Error response from daemon: ...`, exit status 1 (125 for `docker run`), and nothing changes.
 */

import { CommandFailed, notModelled, SYSTEMCTL_VERBS } from '../lab/command-errors.js';
import { strerror } from '../model/errno.js';
import { latin1Text } from '../shared/bytes.js';
import type { CommandIo } from '../shell/io.js';
import { type CatalogueImage, catalogue, normalizeRef } from './catalogue.js';
import { DAEMON_JSON, type DaemonContext, infoLines, startDaemon, stopDaemon } from './daemon.js';
import {
  activateDevice,
  addDevice,
  DriverError,
  deactivateDevice,
  deleteDevice,
  deviceName,
  driverLog,
  runDeletionWorker,
  writeFile,
} from './deviceset.js';
import type { Container, DockerState, Image, Layer } from './docker-state.js';
import type { JsonValue } from './go-json.js';
import { executeGoTemplate, type ParsedTemplate, parseGoTemplate } from './go-template.js';
import { containerName, hexId } from './ids.js';
import { inspectResolver, PS_FIELDS, psResolver } from './inspect-format.js';
import { DOCKER_VERSIONS } from './options.js';
import { recordRemoval } from './provenance.js';
import { humanSize, ramInBytes } from './units.js';

const CANNOT_CONNECT =
  'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';

/**
 * The Docker commands by name, for the lab's command registry (src/lab/commands/docker.ts). Each
 * first lets the deferred-deletion worker catch up, as the daemon's goroutine would have meanwhile.
 * A refused command throws CommandFailed, a power-loss fault PowerLoss; the registry prints both.
 */
export const DOCKER_HANDLERS = {
  docker: afterDeletions(docker),
  dockerd: afterDeletions(dockerd),
  systemctl: afterDeletions(systemctl),
  'docker-fault': afterDeletions(dockerFault),
} satisfies Record<string, DockerHandler>;

type DockerHandler = (ctx: DaemonContext, args: readonly string[], io: CommandIo) => number;

function afterDeletions(run: DockerHandler): DockerHandler {
  return (ctx, args, io) => {
    runDeletionWorker(ctx);
    return run(ctx, args, io);
  };
}

// ------------------------------------------------------------------ daemon control

function dockerdFlags(args: readonly string[]): { storageDriver: string | null; storageOpts: string[] } | string {
  let storageDriver: string | null = null;
  const storageOpts: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] =
      a.includes('=') && a.startsWith('--')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    if (flag === '--storage-driver' || flag === '-s') storageDriver = inline ?? args[++i] ?? '';
    else if (flag === '--storage-opt') storageOpts.push(inline ?? args[++i] ?? '');
    else return `unknown flag: ${flag}`;
  }
  return { storageDriver, storageOpts };
}

function dockerd(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const flags = dockerdFlags(args);
  if (typeof flags === 'string') {
    io.err(`${flags}\nSee 'dockerd --help'.\n`);
    return 125;
  }
  if (ctx.docker.running) {
    io.err('failed to start daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid\n');
    return 1;
  }
  const error = startDaemon(ctx, flags);
  if (error !== null) {
    ctx.docker.log.push(`failed to start daemon: ${error}`);
    io.err(`failed to start daemon: ${error}\n`);
    return 1;
  }
  return 0;
}

function systemctl(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const [verb, unit] = args;
  if (unit !== 'docker' && unit !== 'docker.service') {
    io.err(`thinlab: systemctl: the lab has only the docker unit (systemctl start|stop|restart|status docker)\n`);
    return 1;
  }
  const start = (): number => {
    if (ctx.docker.running) return 0;
    const error = startDaemon(ctx, { storageDriver: null, storageOpts: [] });
    if (error === null) return 0;
    ctx.docker.log.push(`failed to start daemon: ${error}`);
    io.err(
      'Job for docker.service failed because the control process exited with error code.\nSee "systemctl status docker.service" and "journalctl -xe" for details.\n',
    );
    return 1;
  };
  switch (verb) {
    case 'start':
      return start();
    case 'stop':
      stopDaemon(ctx);
      return 0;
    case 'restart':
      stopDaemon(ctx);
      return start();
    case 'status':
      io.out(
        `● docker.service - Docker Application Container Engine\n     Loaded: loaded (/lib/systemd/system/docker.service; enabled; vendor preset: enabled)\n     Active: ${ctx.docker.running ? 'active (running)' : 'failed (Result: exit-code)'}\n`,
      );
      return ctx.docker.running ? 0 : 3;
    default:
      // systemctl's other verbs exist; the lab does not model them for this unit.
      if (SYSTEMCTL_VERBS.includes(verb ?? ''))
        throw notModelled(`systemctl ${verb ?? ''} of this unit (the lab runs start, stop, restart, status)`);
      io.err(`Unknown command verb ${verb ?? ''}.\n`);
      return 1;
  }
}

function dockerFault(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const [kind, what] = args;
  if (
    kind === 'crash-before' &&
    what !== undefined &&
    ['create_thin', 'create_snap', 'set_transaction_id', 'delete'].includes(what)
  ) {
    ctx.docker.crashBefore = what;
    return 0;
  }
  if (kind === 'hold' && what !== undefined) {
    const c = findContainer(ctx.docker, what);
    if (c === undefined) throw new CommandFailed(`Error: No such container: ${what}`);
    const name = deviceName(ctx.docker, c.mountId);
    const dev = ctx.machine.device(name);
    if (dev === undefined)
      throw new CommandFailed(`thinlab: docker-fault: ${c.name}'s device is not active (start the container first)`);
    dev.openCount++;
    ctx.docker.held[c.name] = name;
    return 0;
  }
  if (kind === 'host-disk' && what !== undefined) {
    // The filesystem that holds /var/lib/docker (the loop files' filesystem): its size in all.
    const bytes = ramInBytes(what);
    if (typeof bytes === 'string') throw new CommandFailed(`thinlab: docker-fault host-disk: ${bytes}`);
    ctx.docker.hostDiskBytes = bytes;
    return 0;
  }
  if (kind === 'gone-before-cancel' && what === undefined) {
    ctx.docker.goneBeforeCancel = true;
    return 0;
  }
  if (kind === 'version' && what !== undefined) {
    if (DOCKER_VERSIONS[what] === undefined)
      throw new CommandFailed(
        `thinlab: docker-fault version: not modelled: ${what} (the lab runs dockerd ${Object.keys(DOCKER_VERSIONS).join(' or ')})`,
        2,
      );
    if (ctx.docker.running)
      throw new CommandFailed('thinlab: docker-fault version: stop dockerd first (systemctl stop docker)');
    ctx.docker.version = what;
    return 0;
  }
  if (kind === 'release' && what !== undefined) {
    // By container name, even after the container is gone: the leaked mount outlives it.
    const name = ctx.docker.held[what] ?? ctx.docker.held[findContainer(ctx.docker, what)?.name ?? ''];
    if (name === undefined) throw new CommandFailed(`thinlab: docker-fault: nothing holds a device of ${what}`);
    const dev = ctx.machine.device(name);
    if (dev !== undefined && dev.openCount > 0) dev.openCount--;
    delete ctx.docker.held[what];
    return 0;
  }
  io.err(
    "usage: docker-fault crash-before create_thin|create_snap|set_transaction_id|delete\n       docker-fault hold|release CONTAINER   (a mount of its layer leaked into another mount namespace)\n       docker-fault host-disk SIZE   (the filesystem holding /var/lib/docker is SIZE; loop-lvm's Data Space Available)\n       docker-fault version 20.10.24|1.13.1   (which dockerd runs; 1.13.1 fails a delete the pool answers with ENODATA)\n       docker-fault gone-before-cancel   (the next snapshot's origin, its deferred removal pending, is removed by the kernel before the driver cancels it: ENXIO, moby PR #31356)\n",
  );
  return 2;
}

// ------------------------------------------------------------------ docker

function requireDaemon(ctx: DaemonContext): void {
  if (!ctx.docker.running) throw new CommandFailed(CANNOT_CONNECT);
}

function daemonError(text: string, status = 1): CommandFailed {
  return new CommandFailed(`Error response from daemon: ${text}`, status);
}

/** Options the lab does not model are refused by name, not read as names nor dropped (`docker rm -v`, `docker stop -t 0`). */
function refuseOptions(args: readonly string[], allowed: readonly string[], command: string): void {
  const other = args.find((a) => a.startsWith('-') && a !== '-' && !allowed.includes(a));
  if (other !== undefined)
    throw notModelled(
      `docker ${command} ${other} (the lab runs docker ${command}${allowed.length === 0 ? ' without options' : ` with ${allowed.join(', ')}`})`,
    );
}

function docker(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'info':
      if (rest.length > 0)
        throw notModelled(`docker info ${rest.join(' ')} (the lab runs docker info without options)`);
      return info(ctx, io);
    case 'pull':
      refuseOptions(rest, [], 'pull');
      requireDaemon(ctx);
      return pull(ctx, rest, io);
    case 'images':
      if (rest.length > 0)
        throw notModelled(`docker images ${rest.join(' ')} (the lab runs docker images without options)`);
      requireDaemon(ctx);
      return images(ctx, io);
    case 'create':
      requireDaemon(ctx);
      return create(ctx, rest, io, false);
    case 'run':
      requireDaemon(ctx);
      return create(ctx, rest, io, true);
    case 'start':
      refuseOptions(rest, [], 'start');
      requireDaemon(ctx);
      return forEachContainer(ctx, rest, io, (c) => startContainer(ctx, c));
    case 'stop':
      refuseOptions(rest, [], 'stop');
      requireDaemon(ctx);
      return forEachContainer(ctx, rest, io, (c) => stopContainer(ctx, c));
    case 'rm':
      refuseOptions(rest, ['-f', '--force'], 'rm');
      requireDaemon(ctx);
      return rm(ctx, rest, io);
    case 'rmi':
      refuseOptions(rest, ['-f', '--force'], 'rmi');
      requireDaemon(ctx);
      return rmi(ctx, rest, io);
    case 'ps':
      requireDaemon(ctx);
      return ps(ctx, rest, io);
    case 'exec':
      // Options come before the container; what follows it is the command's own.
      refuseOptions(
        rest.slice(
          0,
          Math.max(
            0,
            rest.findIndex((a) => !a.startsWith('-')),
          ),
        ),
        ['-it', '-i', '-t', '-ti'],
        'exec',
      );
      requireDaemon(ctx);
      return exec(ctx, rest, io);
    case 'commit':
      refuseOptions(rest, [], 'commit');
      requireDaemon(ctx);
      return commit(ctx, rest, io);
    case 'inspect':
      requireDaemon(ctx);
      return inspect(ctx, rest, io);
    case 'system':
      requireDaemon(ctx);
      if (rest[0] === 'df') return systemDf(ctx, io);
      if (rest[0] === 'prune') return systemPrune(ctx, rest.slice(1), io);
      throw new CommandFailed(`docker: 'system ${rest[0] ?? ''}' is not a docker command.\nSee 'docker system --help'`);
    default:
      throw new CommandFailed(`docker: '${sub ?? ''}' is not a docker command.\nSee 'docker --help'`);
  }
}

function findContainer(d: DockerState, key: string): Container | undefined {
  return (
    d.containers.find((c) => c.name === key || c.id === key) ??
    (key.length >= 1 ? d.containers.find((c) => c.id.startsWith(key)) : undefined)
  );
}

function forEachContainer(
  ctx: DaemonContext,
  names: readonly string[],
  io: CommandIo,
  act: (c: Container) => void,
): number {
  let status = 0;
  for (const n of names) {
    const c = findContainer(ctx.docker, n);
    if (c === undefined) {
      io.err(`Error response from daemon: No such container: ${n}\n`);
      status = 1;
      continue;
    }
    try {
      act(c);
      io.out(`${n}\n`);
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      io.err(`${e.text}\n`);
      status = 1;
    }
  }
  if (names.length === 0) throw new CommandFailed(`"docker ${'start'}" requires at least 1 argument.`);
  return status;
}

// ------------------------------------------------------------------ version and info

/**
 * docker version [--format TEMPLATE]: the client's and the engine's versions (the build chosen
 * with `apt-get install docker.io=VERSION`) and containerd's (the lab passes the build that runs).
 * The lines whose values the lab does not know (Go version, Git commit, Built, OS/Arch, runc,
 * docker-init) are left out.
 */
export function dockerVersion(
  ctx: DaemonContext,
  containerdVersion: string,
  args: readonly string[],
  io: CommandIo,
): number {
  const { format, operands } = splitFormat(args, ['-f', '--format'], [], 'version');
  if (operands.length > 0)
    throw new CommandFailed(`"docker version" accepts no arguments.\nSee 'docker version --help'.`);
  const version = DOCKER_VERSIONS[ctx.docker.version]!.serverVersion;
  const apiVersion = DOCKER_VERSIONS[ctx.docker.version]!.apiVersion;
  if (format !== null) {
    const parsed = parseFormat(format);
    const subject: { [key: string]: JsonValue } = {
      Client: { Version: version, ApiVersion: apiVersion },
      ...(ctx.docker.running ? { Server: { Version: version, ApiVersion: apiVersion } } : {}),
    };
    const r = executeGoTemplate(format, parsed.segments, (path) => {
      let cur: JsonValue | undefined = subject;
      for (const key of path)
        cur = cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur[key] : undefined;
      if (cur === undefined || (typeof cur === 'object' && cur !== null))
        return {
          kind: 'not-modelled',
          what: `docker version's .${path.join('.')} (the lab models .Client.Version, .Client.ApiVersion, .Server.Version, .Server.ApiVersion)`,
        };
      return { kind: 'value', value: cur };
    });
    if (!r.ok && 'notModelled' in r) throw notModelled(r.notModelled);
    if (!r.ok) throw new CommandFailed(`Template parsing error: ${r.error}`, 1);
    io.out(`${r.text}\n`);
    return 0;
  }
  io.out(`Client:\n Version:           ${version}\n API version:       ${apiVersion}\n\n`);
  if (!ctx.docker.running) {
    io.err(`${CANNOT_CONNECT}\n`);
    return 1;
  }
  io.out(
    `Server:\n Engine:\n  Version:          ${version}\n  API version:      ${apiVersion} (minimum version 1.12)\n containerd:\n  Version:          ${containerdVersion}\n`,
  );
  return 0;
}

function info(ctx: DaemonContext, io: CommandIo): number {
  const d = ctx.docker;
  let out = 'Client:\n Context:    default\n Debug Mode: false\n\nServer:\n';
  if (!d.running) {
    io.out(out);
    io.err(`ERROR: ${CANNOT_CONNECT}\nerrors pretty printing info\n`);
    return 1;
  }
  const running = d.containers.filter((c) => c.state === 'running').length;
  out +=
    ` Containers: ${d.containers.length}\n  Running: ${running}\n  Paused: 0\n  Stopped: ${d.containers.length - running}\n` +
    ` Images: ${d.images.length}\n Server Version: ${DOCKER_VERSIONS[d.version]!.serverVersion}\n Storage Driver: devicemapper\n` +
    infoLines(ctx)
      .map((l) => ` ${l}\n`)
      .join('') +
    ' Logging Driver: json-file\n Cgroup Driver: systemd\n Kernel Version: 6.1.0\n Docker Root Dir: /var/lib/docker\n';
  io.out(out);
  io.err('WARNING: The devicemapper storage-driver is deprecated, and will be removed in a future release.\n');
  // fillDriverWarnings: a `Data loop file` line in the driver status brings its own warning.
  if (d.loopback !== null) {
    io.err(
      'WARNING: devicemapper: usage of loopback devices is strongly discouraged for production use.\n         Use `--storage-opt dm.thinpooldev` to specify a custom block storage device.\n',
    );
  }
  return 0;
}

// ------------------------------------------------------------------ images

function imageCatalogue(ctx: DaemonContext): readonly CatalogueImage[] {
  const f = ctx.fs.get('/etc/docker/lab-images.json');
  const list = catalogue(f === undefined ? null : latin1Text(f.readBytes(0, f.sizeBytes)));
  if (typeof list === 'string') throw new CommandFailed(`thinlab: ${list}`);
  return list;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** A layer's content token: every layer writes its own byte value, so `thinlab why` can tell them apart. */
function layerToken(chainId: string): number {
  return 0x61 + (parseInt(chainId.slice(7, 9), 16) % 26);
}

function pull(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const ref = args.find((a) => !a.startsWith('-'));
  if (ref === undefined)
    throw new CommandFailed(
      '"docker pull" requires exactly 1 argument.\nSee \'docker pull --help\'.\n\nUsage:  docker pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nPull an image or a repository from a registry',
    );
  pullImage(ctx, ref, io);
  return 0;
}

function pullImage(ctx: DaemonContext, refText: string, io: CommandIo): Image {
  const d = ctx.docker;
  const ref = normalizeRef(refText);
  const [repo, tag] = ref.split(':') as [string, string];
  const spec = imageCatalogue(ctx).find((i) => i.ref === ref);
  if (!refText.includes(':')) io.out('Using default tag: latest\n');
  if (spec === undefined) {
    throw daemonError(
      `pull access denied for ${repo}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`,
    );
  }
  io.out(`${tag}: Pulling from ${repo.includes('/') ? repo : `library/${repo}`}\n`);
  const imageId = `sha256:${hexId(`image:${ref}`)}`;
  const existing = d.images.find((i) => i.ref === ref);
  let parent = null as Layer | null;
  const chain: string[] = [];
  for (const l of spec.layers) {
    const chainId: string = `sha256:${hexId(`chain:${parent?.chainId ?? ''}:${l.key}`)}`;
    const layerShort = hexId(`diff:${l.key}`).slice(0, 12);
    let layer: Layer | undefined = d.layers[chainId];
    if (layer !== undefined) {
      io.out(`${layerShort}: Already exists\n`);
    } else {
      layer = registerLayer(ctx, chainId, parent, l.sizeBytes, layerShort);
      io.out(`${layerShort}: Pull complete\n`);
    }
    chain.push(chainId);
    parent = layer;
  }
  const digest = `sha256:${hexId(`digest:${ref}`)}`;
  io.out(`Digest: ${digest}\n`);
  if (existing !== undefined) {
    io.out(`Status: Image is up to date for ${ref}\n`);
  } else {
    d.images.push({ ref, id: imageId, layers: chain, created: spec.created, command: spec.command });
    io.out(`Status: Downloaded newer image for ${ref}\n`);
  }
  io.out(`docker.io/${repo.includes('/') ? repo : `library/${repo}`}:${tag}\n`);
  return d.images.find((i) => i.ref === ref)!;
}

/** The layer store's register: Create(cacheID, parent) on the driver, then ApplyDiff (Get, untar, Put). */
function registerLayer(
  ctx: DaemonContext,
  chainId: string,
  parent: Layer | null,
  sizeBytes: number,
  layerShort: string,
): Layer {
  const d = ctx.docker;
  const cacheId = hexId(`cache:${chainId}:${d.counter++}`);
  try {
    addDevice(ctx, cacheId, parent?.cacheId ?? '');
  } catch (e) {
    if (e instanceof DriverError) throw new CommandFailed(`failed to register layer: ${e.text}`);
    throw e;
  }
  const info = d.devices[cacheId]!;
  activateDevice(ctx, info);
  const r = writeFile(ctx, cacheId, sizeBytes, layerToken(chainId));
  deactivateDevice(ctx, cacheId, d.options!.deferredRemoval);
  if (r !== 0) {
    // The layer store removes the half-applied layer.
    try {
      deleteDevice(ctx, cacheId, true);
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
    }
    if (r === 'hang')
      throw new CommandFailed(
        'thinlab: docker pull: the write into the layer waits for pool space that nothing can free (no_space_timeout 0); a real pull hangs here',
      );
    throw new CommandFailed(
      `failed to register layer: ApplyLayer exit status 1 stdout:  stderr: write /layer-${layerShort}/data: ${strerror(r).toLowerCase()}`,
    );
  }
  const layer: Layer = { chainId, parent: parent?.chainId ?? null, cacheId, sizeBytes, shortId: layerShort };
  d.layers[chainId] = layer;
  return layer;
}

function images(ctx: DaemonContext, io: CommandIo): number {
  const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const img of ctx.docker.images) {
    const [repo, tag] = img.ref.split(':') as [string, string];
    rows.push([repo, tag, shortId(img.id), img.created, humanSize(imageSize(ctx.docker, img))]);
  }
  io.out(table(rows));
  return 0;
}

function imageSize(d: DockerState, img: Image): number {
  return img.layers.reduce((n, c) => n + (d.layers[c]?.sizeBytes ?? 0), 0);
}

/** Go's tabwriter as the docker CLI uses it: columns padded to the widest cell plus 3 spaces. */
function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_h, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map(
      (r) =>
        `${r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3)))
          .join('')
          .trimEnd()}\n`,
    )
    .join('');
}

// ------------------------------------------------------------------ containers

interface RunOptions {
  name: string | null;
  detach: boolean;
  remove: boolean;
  sizeBytes: number | null;
  image: string;
  command: string[];
}

function parseRunArgs(args: readonly string[], verb: string): RunOptions {
  const o: RunOptions = { name: null, detach: false, remove: false, sizeBytes: null, image: '', command: [] };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) break;
    if (a === '-d' || a === '--detach') o.detach = true;
    else if (a === '--rm') o.remove = true;
    else if (a === '-it' || a === '-i' || a === '-t' || a === '-ti') continue;
    else if (a === '--name' || a.startsWith('--name=')) o.name = a.includes('=') ? a.slice(7) : (args[++i] ?? '');
    else if (a === '--storage-opt' || a.startsWith('--storage-opt=')) {
      const v = a.includes('=') ? a.slice(14) : (args[++i] ?? '');
      const [k, val] = v.split('=') as [string, string | undefined];
      if (k !== 'size') throw daemonError(`Unknown option ${k}`, verb === 'run' ? 125 : 1);
      const n = ramInBytes(val ?? '');
      if (typeof n === 'string') throw daemonError(n, verb === 'run' ? 125 : 1);
      o.sizeBytes = n;
    } else throw new CommandFailed(`unknown flag: ${a}\nSee 'docker ${verb} --help'.`, verb === 'run' ? 125 : 1);
  }
  if (i >= args.length)
    throw new CommandFailed(
      `"docker ${verb}" requires at least 1 argument.\nSee 'docker ${verb} --help'.\n\nUsage:  docker ${verb} [OPTIONS] IMAGE [COMMAND] [ARG...]`,
      verb === 'run' ? 125 : 1,
    );
  o.image = args[i]!;
  o.command = args.slice(i + 1);
  return o;
}

function create(ctx: DaemonContext, args: readonly string[], io: CommandIo, run: boolean): number {
  const d = ctx.docker;
  const failStatus = run ? 125 : 1;
  const o = parseRunArgs(args, run ? 'run' : 'create');
  const ref = normalizeRef(o.image);
  if (o.name !== null && d.containers.some((c) => c.name === o.name)) {
    const other = d.containers.find((c) => c.name === o.name)!;
    throw daemonError(
      `Conflict. The container name "/${o.name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      failStatus,
    );
  }
  let img = d.images.find((i) => i.ref === ref);
  if (img === undefined) {
    io.err(`Unable to find image '${ref}' locally\n`);
    try {
      img = pullImage(ctx, ref, { ...io, out: (b) => io.err(typeof b === 'string' ? b : latin1Text(b)) });
    } catch (e) {
      if (e instanceof CommandFailed)
        throw new CommandFailed(
          e.text.replace(/^Error response from daemon: /, 'docker: Error response from daemon: '),
          failStatus,
        );
      throw e;
    }
  }
  const seq = d.counter++;
  const id = hexId(`container:${seq}:${ref}`);
  const mountId = hexId(`mount:${seq}:${ref}`);
  const top = d.layers[img.layers[img.layers.length - 1]!]!;
  // The -init layer (/etc/hosts, /etc/resolv.conf, /.dockerenv ...) and the container's rw layer.
  try {
    addDevice(ctx, `${mountId}-init`, top.cacheId, o.sizeBytes ?? undefined);
    const initInfo = d.devices[`${mountId}-init`]!;
    activateDevice(ctx, initInfo);
    const r = writeFile(ctx, `${mountId}-init`, 8192, 0x69);
    deactivateDevice(ctx, `${mountId}-init`, d.options!.deferredRemoval);
    if (r !== 0)
      throw new DriverError(
        `write /etc/hosts: ${r === 'hang' ? 'the pool never answered' : strerror(r).toLowerCase()}`,
      );
    addDevice(ctx, mountId, `${mountId}-init`);
  } catch (e) {
    if (!(e instanceof DriverError)) throw e;
    try {
      deleteDevice(ctx, `${mountId}-init`, true);
    } catch (e2) {
      if (!(e2 instanceof DriverError)) throw e2;
    }
    throw new CommandFailed(
      `${run ? 'docker: ' : ''}Error response from daemon: ${e.text}.${run ? "\nSee 'docker run --help'." : ''}`,
      failStatus,
    );
  }
  const container: Container = {
    id,
    name: o.name ?? containerName(seq),
    image: ref,
    imageId: img.id,
    mountId,
    state: 'created',
    exitCode: 0,
    sizeRwBytes: 0,
    command: o.command.length > 0 ? `"${o.command.join(' ')}"`.replace(/^(.{20}).+"$/, '$1..."') : img.command,
    createdSeq: seq,
  };
  d.containers.push(container);
  if (!run) {
    io.out(`${id}\n`);
    return 0;
  }
  startContainer(ctx, container);
  if (o.detach) {
    io.out(`${id}\n`);
    return 0;
  }
  // In the foreground the command runs and the container exits with its status.
  const status = o.command[0] === 'dd' ? ddInContainer(ctx, container, o.command.slice(1), io) : 0;
  stopContainer(ctx, container);
  container.exitCode = status;
  if (o.remove) removeContainer(ctx, container);
  return status;
}

/** Driver.Get: activate (mount) the container's rw device. */
function startContainer(ctx: DaemonContext, c: Container): void {
  if (c.state === 'running') return;
  if (c.state === 'dead') throw daemonError(`cannot start a dead container ${c.id}`);
  try {
    activateDevice(ctx, ctx.docker.devices[c.mountId]!);
  } catch (e) {
    if (e instanceof DriverError) throw daemonError(`error creating overlay mount to ${c.mountId}: ${e.text}`);
    throw e;
  }
  ctx.docker.mounts[c.mountId] = 1;
  c.state = 'running';
}

/** Driver.Put: unmount and deactivate. */
function stopContainer(ctx: DaemonContext, c: Container): void {
  if (c.state !== 'running') return;
  delete ctx.docker.mounts[c.mountId];
  try {
    deactivateDevice(ctx, c.mountId, ctx.docker.options!.deferredRemoval);
  } catch (e) {
    if (!(e instanceof DriverError)) throw e;
    driverLog(ctx, 'error', `Error unmounting device ${c.mountId}: ${e.text}`);
  }
  c.state = 'exited';
}

/** Removes the container's rw and -init devices; a failure leaves the container Dead, as Docker does. */
function removeContainer(ctx: DaemonContext, c: Container): void {
  const d = ctx.docker;
  recordRemoval(
    ctx.machine,
    d,
    `container ${c.name} (${c.id.slice(0, 12)})`,
    [c.name, c.id],
    [c.mountId, `${c.mountId}-init`],
  );
  try {
    deleteDevice(ctx, c.mountId, false);
    deleteDevice(ctx, `${c.mountId}-init`, false);
  } catch (e) {
    if (!(e instanceof DriverError)) throw e;
    c.state = 'dead';
    throw daemonError(
      `driver "devicemapper" failed to remove root filesystem for ${c.id}: failed to remove device ${c.mountId}: ${e.text}`,
    );
  }
  d.containers = d.containers.filter((x) => x !== c);
}

function rm(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const force = args.some((a) => a === '-f' || a === '--force');
  const names = args.filter((a) => !a.startsWith('-'));
  if (names.length === 0)
    throw new CommandFailed(
      '"docker rm" requires at least 1 argument.\nSee \'docker rm --help\'.\n\nUsage:  docker rm [OPTIONS] CONTAINER [CONTAINER...]\n\nRemove one or more containers',
    );
  let status = 0;
  for (const n of names) {
    const c = findContainer(ctx.docker, n);
    if (c === undefined) {
      io.err(`Error: No such container: ${n}\n`);
      status = 1;
      continue;
    }
    try {
      if (c.state === 'running') {
        if (!force)
          throw daemonError(
            `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`,
          );
        stopContainer(ctx, c);
      }
      removeContainer(ctx, c);
      io.out(`${n}\n`);
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      io.err(`${e.text}\n`);
      status = 1;
    }
  }
  return status;
}

/** Layers no remaining image uses, removed from the top of the chain down. */
function releaseLayers(ctx: DaemonContext, img: Image, io: CommandIo | null): number {
  const d = ctx.docker;
  let freed = 0;
  const unused = img.layers.filter((l) => !d.images.some((i) => i.layers.includes(l)) && d.layers[l] !== undefined);
  recordRemoval(
    ctx.machine,
    d,
    `image ${img.ref}`,
    [img.ref, img.id],
    unused.map((l) => d.layers[l]!.cacheId),
  );
  for (const chainId of [...img.layers].reverse()) {
    if (d.images.some((i) => i.layers.includes(chainId))) break;
    const layer = d.layers[chainId];
    if (layer === undefined) continue;
    try {
      deleteDevice(ctx, layer.cacheId, false);
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
      throw daemonError(
        `driver "devicemapper" failed to remove root filesystem for ${layer.cacheId}: failed to remove device ${layer.cacheId}: ${e.text}`,
      );
    }
    delete d.layers[chainId];
    freed += layer.sizeBytes;
    io?.out(`Deleted: ${chainId}\n`);
  }
  return freed;
}

function rmi(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const d = ctx.docker;
  const force = args.some((a) => a === '-f' || a === '--force');
  let status = 0;
  for (const n of args.filter((a) => !a.startsWith('-'))) {
    const ref = normalizeRef(n);
    const img = d.images.find((i) => i.ref === ref || shortId(i.id) === n || i.id === n);
    if (img === undefined) {
      io.err(`Error: No such image: ${n}\n`);
      status = 1;
      continue;
    }
    const user = d.containers.find((c) => c.imageId === img.id);
    if (user !== undefined && !(force && user.state !== 'running')) {
      io.err(
        user.state === 'running' || !force
          ? `Error response from daemon: conflict: unable to remove repository reference "${n}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(img.id)}\n`
          : '',
      );
      status = 1;
      continue;
    }
    d.images = d.images.filter((i) => i !== img);
    const [repo] = img.ref.split(':') as [string];
    io.out(`Untagged: ${img.ref}\nUntagged: ${repo}@sha256:${hexId(`digest:${img.ref}`)}\n`);
    if (user !== undefined) continue;
    io.out(`Deleted: ${img.id}\n`);
    try {
      releaseLayers(ctx, img, io);
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      io.err(`${e.text}\n`);
      status = 1;
    }
  }
  return status;
}

/** The options `docker ps` and `docker inspect` take: `--format FMT`, `--format=FMT`, `-f FMT`, and flags. */
function splitFormat(
  args: readonly string[],
  formatFlags: readonly string[],
  flags: readonly string[],
  command: string,
): { format: string | null; set: Set<string>; operands: string[] } {
  let format: string | null = null;
  const set = new Set<string>();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = formatFlags.find((f) => a.startsWith(`${f}=`));
    if (formatFlags.includes(a)) {
      if (args[i + 1] === undefined)
        throw new CommandFailed(`flag needs an argument: ${a}\nSee 'docker ${command} --help'.`, 125);
      format = args[++i]!;
    } else if (eq !== undefined) format = a.slice(eq.length + 1);
    else if (flags.includes(a)) set.add(a);
    else if (a.startsWith('-'))
      throw notModelled(
        `docker ${command} ${a} (the lab runs docker ${command} with ${[...formatFlags, ...flags].join(', ')})`,
      );
    else operands.push(a);
  }
  return { format, set, operands };
}

/** Parses a --format template, or fails with Docker's `Template parsing error: ...` (status 1). */
function parseFormat(format: string): ParsedTemplate & { ok: true } {
  const parsed = parseGoTemplate(format);
  if (parsed.ok) return parsed;
  if ('notModelled' in parsed) throw notModelled(parsed.notModelled);
  throw new CommandFailed(`Template parsing error: ${parsed.error}`, 1);
}

function psRow(c: Container): Record<string, string> {
  const status =
    c.state === 'running'
      ? 'Up Less than a second'
      : c.state === 'created'
        ? 'Created'
        : c.state === 'dead'
          ? 'Dead'
          : `Exited (${c.exitCode})`;
  return {
    ID: shortId(c.id),
    Image: c.image.replace(/:latest$/, ''),
    Command: c.command,
    RunningFor: 'Less than a second ago',
    Status: status,
    Ports: '',
    Names: c.name,
    State: c.state === 'dead' ? 'dead' : c.state,
  };
}

/** docker ps [-a] [-q] [--format FMT]: the default table, the ids, or each row through a Go template. */
function ps(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const { format, set, operands } = splitFormat(args, ['--format'], ['-a', '--all', '-q', '--quiet'], 'ps');
  if (operands.length > 0) throw new CommandFailed(`"docker ps" accepts no arguments.\nSee 'docker ps --help'.`);
  const all = set.has('-a') || set.has('--all');
  const shown = [...ctx.docker.containers].reverse().filter((c) => all || c.state === 'running');
  if (set.has('-q') || set.has('--quiet')) {
    io.out(shown.map((c) => `${shortId(c.id)}\n`).join(''));
    return 0;
  }
  if (format === null || format.trim() === 'table') {
    const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
    for (const c of shown) {
      const r = psRow(c);
      rows.push([r.ID!, r.Image!, c.command, r.RunningFor!, r.Status!, '', c.name]);
    }
    io.out(table(rows));
    return 0;
  }
  // docker/cli's formatter.Context.preFormat: `table` off, spaces trimmed, \t and \n as written made real.
  const isTable = format.startsWith('table');
  const body = (isTable ? format.slice('table'.length) : format).trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const parsed = parseFormat(body);
  const lines: string[] = [];
  for (const c of shown) {
    const r = executeGoTemplate(body, parsed.segments, psResolver(psRow(c)));
    if (!r.ok && 'notModelled' in r) throw notModelled(r.notModelled);
    if (!r.ok) throw new CommandFailed(`Template parsing error: ${r.error}`, 1);
    lines.push(r.text);
  }
  if (!isTable) {
    io.out(lines.map((l) => `${l}\n`).join(''));
    return 0;
  }
  // A table format's header names each field's column; cells are the template's tab-separated parts.
  const header = executeGoTemplate(body, parsed.segments, (path) => ({
    kind: 'value',
    value: PS_FIELDS[path[0] ?? ''] ?? '',
  }));
  const rows = [header, ...lines.map((text) => ({ ok: true, text }))].map((h) => (h.ok ? h.text.split('\t') : []));
  io.out(table(rows));
  return 0;
}

/**
 * `docker exec NAME dd if=/dev/zero of=FILE bs=SIZE count=N`: the write lands in the container's
 * read-write layer, on the pool. Other commands run and print nothing.
 */
function exec(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const rest = args.filter((a) => !['-it', '-i', '-t', '-ti'].includes(a));
  const [name, cmd, ...cmdArgs] = rest;
  if (name === undefined || cmd === undefined)
    throw new CommandFailed(
      '"docker exec" requires at least 2 arguments.\nSee \'docker exec --help\'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nRun a command in a running container',
    );
  const c = findContainer(ctx.docker, name);
  if (c === undefined) throw daemonError(`No such container: ${name}`);
  if (c.state !== 'running') throw daemonError(`Container ${c.id} is not running`);
  if (cmd !== 'dd') return 0;
  return ddInContainer(ctx, c, cmdArgs, io);
}

function ddInContainer(ctx: DaemonContext, c: Container, args: readonly string[], io: CommandIo): number {
  const kv = new Map(args.map((a) => a.split('=') as [string, string]));
  const bsText = kv.get('bs') ?? '512';
  const bs = ramInBytes(bsText.replace(/^(\d+)([kKmMgG])$/, '$1$2'));
  const count = Number(kv.get('count') ?? '1');
  const of = kv.get('of') ?? '/dev/stdout';
  if (typeof bs === 'string' || !Number.isInteger(count)) {
    io.err(`dd: invalid number: '${typeof bs === 'string' ? bsText : kv.get('count')}'\n`);
    return 1;
  }
  const bytes = bs * count;
  const r = writeFile(ctx, c.mountId, bytes, 0x77);
  if (r === 'hang') {
    io.err(
      `thinlab: docker exec: the write to ${of} waits for pool space that nothing can free (no_space_timeout 0); a real dd hangs here\n`,
    );
    return 1;
  }
  if (r !== 0) {
    io.err(`dd: error writing '${of}': ${strerror(r)}\n`);
    c.sizeRwBytes += 0;
    return 1;
  }
  c.sizeRwBytes += bytes;
  io.err(`${count}+0 records in\n${count}+0 records out\n`);
  return 0;
}

/** `docker commit`: a new image layer on the image's top layer, holding what the container wrote. */
function commit(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const d = ctx.docker;
  const [name, repoText] = args.filter((a) => !a.startsWith('-'));
  if (name === undefined) throw new CommandFailed('"docker commit" requires at least 1 and at most 2 arguments.');
  const c = findContainer(d, name);
  if (c === undefined) throw daemonError(`No such container: ${name}`);
  const img = d.images.find((i) => i.id === c.imageId)!;
  const top = d.layers[img.layers[img.layers.length - 1]!]!;
  const chainId = `sha256:${hexId(`commit:${c.id}:${d.counter}`)}`;
  try {
    registerLayer(ctx, chainId, top, c.sizeRwBytes + 8192, chainId.slice(7, 19));
  } catch (e) {
    if (e instanceof CommandFailed) throw daemonError(e.text);
    throw e;
  }
  const id = `sha256:${hexId(`image-commit:${chainId}`)}`;
  const ref = repoText === undefined ? `<none>:<none>#${id.slice(7, 19)}` : normalizeRef(repoText);
  d.images = d.images.filter((i) => i.ref !== ref);
  d.images.push({ ref, id, layers: [...img.layers, chainId], created: 'Less than a second ago', command: c.command });
  io.out(`${id}\n`);
  return 0;
}

/** What docker inspect prints for a container or an image (the fields the lab models, in Docker's order). */
function inspectObject(d: DockerState, n: string): { [key: string]: JsonValue } | null {
  const c = findContainer(d, n);
  const img = c === undefined ? d.images.find((i) => i.ref === normalizeRef(n) || shortId(i.id) === n) : undefined;
  const hash =
    c !== undefined ? c.mountId : img !== undefined ? d.layers[img.layers[img.layers.length - 1]!]!.cacheId : null;
  if (hash === null) return null;
  const dev = d.devices[hash]!;
  const graphDriver = {
    Data: { DeviceId: String(dev.deviceId), DeviceName: deviceName(d, hash), DeviceSize: String(dev.sizeBytes) },
    Name: 'devicemapper',
  };
  if (c !== undefined)
    return { Id: c.id, Image: c.imageId, Name: `/${c.name}`, State: { Status: c.state }, GraphDriver: graphDriver };
  return { Id: img!.id, RepoTags: [img!.ref], Size: imageSize(d, img!), GraphDriver: graphDriver };
}

/** The fields a --format template may also ask of a container, beyond those the default output prints. */
function containerTemplateFields(c: Container): { [key: string]: JsonValue } {
  return {
    Driver: 'devicemapper',
    State: {
      Running: c.state === 'running',
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: c.state === 'dead',
      ExitCode: c.exitCode,
    },
  };
}

function inspect(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const d = ctx.docker;
  const { format, operands } = splitFormat(args, ['-f', '--format'], [], 'inspect');
  const parsed = format === null ? null : parseFormat(format);
  const out: JsonValue[] = [];
  const lines: string[] = [];
  const errors: string[] = [];
  for (const n of operands) {
    const subject = inspectObject(d, n);
    if (subject === null) {
      errors.push(`Error: No such object: ${n}`);
      continue;
    }
    out.push(subject);
    if (parsed === null) continue;
    const c = findContainer(d, n);
    const extra = c === undefined ? {} : containerTemplateFields(c);
    const full = { ...extra, ...subject, State: { ...(subject.State as object), ...(extra.State as object) } };
    if (c === undefined) delete (full as { State?: unknown }).State;
    const r = executeGoTemplate(
      format!,
      parsed.segments,
      inspectResolver(full, c === undefined ? 'image' : 'container'),
    );
    if (!r.ok && 'notModelled' in r) throw notModelled(r.notModelled);
    if (r.ok) lines.push(r.text);
    else errors.push(`Template parsing error: ${r.error}`);
  }
  // Each template result on its own line; a buffer left empty prints one newline (inspector.Flush).
  if (parsed !== null) io.out(lines.length === 0 ? '\n' : lines.map((l) => `${l}\n`).join(''));
  else io.out(out.length === 0 ? '[\n]\n' : `${JSON.stringify(out, null, 4)}\n`);
  if (errors.length > 0) io.err(`${errors.join('\n')}\n`);
  return errors.length > 0 ? 1 : 0;
}

// ------------------------------------------------------------------ system df and prune

function usedImageIds(d: DockerState): Set<string> {
  return new Set(d.containers.map((c) => c.imageId));
}

function uniqueLayerBytes(d: DockerState, images: readonly Image[]): number {
  const seen = new Set<string>();
  let n = 0;
  for (const img of images)
    for (const l of img.layers)
      if (!seen.has(l)) {
        seen.add(l);
        n += d.layers[l]?.sizeBytes ?? 0;
      }
  return n;
}

function systemDf(ctx: DaemonContext, io: CommandIo): number {
  const d = ctx.docker;
  const used = usedImageIds(d);
  const total = uniqueLayerBytes(d, d.images);
  const active = d.images.filter((i) => used.has(i.id));
  const reclaimImages = total - uniqueLayerBytes(d, active);
  const rw = d.containers.reduce((n, c) => n + c.sizeRwBytes, 0);
  const reclaimRw = d.containers.filter((c) => c.state !== 'running').reduce((n, c) => n + c.sizeRwBytes, 0);
  const pct = (a: number, b: number): string => `${humanSize(a)} (${b === 0 ? 0 : Math.floor((a * 100) / b)}%)`;
  io.out(
    table([
      ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
      ['Images', String(d.images.length), String(active.length), humanSize(total), pct(reclaimImages, total)],
      [
        'Containers',
        String(d.containers.length),
        String(d.containers.filter((c) => c.state === 'running').length),
        humanSize(rw),
        pct(reclaimRw, rw),
      ],
      ['Local Volumes', '0', '0', '0B', '0B'],
      ['Build Cache', '0', '0', '0B', '0B'],
    ]),
  );
  return 0;
}

function systemPrune(ctx: DaemonContext, args: readonly string[], io: CommandIo): number {
  const d = ctx.docker;
  const all = args.includes('-a') || args.includes('--all');
  const force = args.includes('-f') || args.includes('--force');
  const warning = `WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - ${all ? 'all images without at least one container associated to them' : 'all dangling images'}\n  - ${all ? 'all build cache' : 'all dangling build cache'}\n\nAre you sure you want to continue? [y/N] `;
  if (!force) {
    io.out(warning);
    const answer = latin1Text(io.stdin).trim();
    if (!/^y(es)?$/i.test(answer)) {
      io.out('\n');
      return 0;
    }
  }
  let reclaimed = 0;
  const removed: string[] = [];
  for (const c of d.containers.filter((x) => x.state !== 'running')) {
    try {
      removeContainer(ctx, c);
      removed.push(c.id);
      reclaimed += c.sizeRwBytes;
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      io.err(`${e.text}\n`);
    }
  }
  if (removed.length > 0) io.out(`Deleted Containers:\n${removed.map((id) => `${id}\n`).join('')}\n`);
  const used = usedImageIds(d);
  const victims = all ? d.images.filter((i) => !used.has(i.id)) : d.images.filter((i) => i.ref.startsWith('<none>'));
  if (victims.length > 0) {
    let text = 'Deleted Images:\n';
    for (const img of victims) {
      d.images = d.images.filter((i) => i !== img);
      if (!img.ref.startsWith('<none>'))
        text += `untagged: ${img.ref}\nuntagged: ${img.ref.split(':')[0]!}@sha256:${hexId(`digest:${img.ref}`)}\n`;
      text += `deleted: ${img.id}\n`;
      const captured: string[] = [];
      reclaimed += releaseLayers(ctx, img, {
        stdin: new Uint8Array(0),
        out: (b) => captured.push(typeof b === 'string' ? b : latin1Text(b)),
        err: (t) => io.err(t),
      });
      text += captured.join('').replace(/^Deleted: /gm, 'deleted: ');
    }
    io.out(`${text}\n`);
  }
  io.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

export { DAEMON_JSON };
