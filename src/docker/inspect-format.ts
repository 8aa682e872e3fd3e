/**
 * `docker inspect --format` and `docker ps --format` over what the lab holds. The docker CLI runs
 * an inspect template on the typed object first and, when that fails, on the raw JSON with
 * missingkey=error (docker/cli cli/command/inspect/inspector.go), so a key Docker does not have is
 * `map has no entry for key "Foo"`; a key Docker has and the lab does not model is refused by name.
 * ps runs its template on a typed formatter.ContainerContext: an unknown field is `can't evaluate
 * field Foo in type *formatter.ContainerContext`.
 */
import type { JsonValue } from './go-json.js';
import type { Resolved, Resolver } from './go-template.js';

/** The top-level keys of Docker 20.10's ContainerJSON and ImageInspect (api/types). */
const CONTAINER_KEYS = [
  'Id',
  'Created',
  'Path',
  'Args',
  'State',
  'Image',
  'ResolvConfPath',
  'HostnamePath',
  'HostsPath',
  'LogPath',
  'Node',
  'Name',
  'RestartCount',
  'Driver',
  'Platform',
  'MountLabel',
  'ProcessLabel',
  'AppArmorProfile',
  'ExecIDs',
  'HostConfig',
  'GraphDriver',
  'SizeRw',
  'SizeRootFs',
  'Mounts',
  'Config',
  'NetworkSettings',
];
const IMAGE_KEYS = [
  'Id',
  'RepoTags',
  'RepoDigests',
  'Parent',
  'Comment',
  'Created',
  'Container',
  'ContainerConfig',
  'DockerVersion',
  'Author',
  'Config',
  'Architecture',
  'Variant',
  'Os',
  'OsVersion',
  'Size',
  'VirtualSize',
  'GraphDriver',
  'RootFS',
  'Metadata',
];
/** ContainerState's keys, and GraphDriverData's. */
const NESTED_KEYS: Readonly<Record<string, readonly string[]>> = {
  State: [
    'Status',
    'Running',
    'Paused',
    'Restarting',
    'OOMKilled',
    'Dead',
    'Pid',
    'ExitCode',
    'Error',
    'StartedAt',
    'FinishedAt',
    'Health',
  ],
  GraphDriver: ['Data', 'Name'],
};
/** Objects the lab holds whole, so that printing all of them prints what Docker would. */
const WHOLE = new Set(['GraphDriver', 'GraphDriver.Data', 'RepoTags']);

const isObject = (v: JsonValue | undefined): v is { [key: string]: JsonValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The resolver for one inspected object (`subject` is what the lab prints for it, plus any extra fields it models). */
export function inspectResolver(subject: { [key: string]: JsonValue }, kind: 'container' | 'image'): Resolver {
  return (path, asJson): Resolved => {
    const dotted = path.join('.');
    const notModelled = (): Resolved => ({
      kind: 'not-modelled',
      what: `docker inspect's .${dotted} (the lab models ${describeModelled(subject)})`,
    });
    if (path.length === 0) return notModelled();
    let cur: JsonValue = subject;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      const parent = path.slice(0, i).join('.');
      if (parent === 'GraphDriver.Data') {
        // A map[string]string: a missing key is Go's invalid value, printed as <no value>.
        if (isObject(cur) && cur[key] !== undefined) return { kind: 'value', value: cur[key]! };
        return asJson ? notModelled() : { kind: 'value', value: '<no value>' };
      }
      if (!isObject(cur)) return notModelled();
      if (cur[key] !== undefined) {
        cur = cur[key]!;
        continue;
      }
      const known = i === 0 ? (kind === 'container' ? CONTAINER_KEYS : IMAGE_KEYS) : NESTED_KEYS[parent];
      if (known?.includes(key)) return notModelled();
      if (known === undefined) return notModelled();
      return { kind: 'error', text: `map has no entry for key "${key}"` };
    }
    if (typeof cur === 'object' && cur !== null && !WHOLE.has(dotted)) return notModelled();
    // The typed GraphDriverData prints as a Go struct: {map[...] devicemapper}.
    if (dotted === 'GraphDriver' && !asJson && isObject(cur))
      return { kind: 'value', value: `{${goMap(cur.Data)} ${String(cur.Name)}}` };
    return { kind: 'value', value: cur };
  };
}

function goMap(v: JsonValue | undefined): string {
  if (!isObject(v)) return 'map[]';
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${String(v[k])}`)
    .join(' ')}]`;
}

function describeModelled(subject: { [key: string]: JsonValue }): string {
  const names: string[] = [];
  const walk = (v: JsonValue, prefix: string): void => {
    for (const [k, child] of Object.entries(isObject(v) ? v : {})) {
      const name = `${prefix}.${k}`;
      if (isObject(child) && !WHOLE.has(name.slice(1))) walk(child, name);
      else names.push(name);
    }
  };
  walk(subject, '');
  return names.join(', ');
}

/** The fields of docker ps's ContainerContext (cli/command/formatter/container.go) and their table headers. */
export const PS_FIELDS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Label: 'LABEL',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};

/** The resolver for one docker ps row: the fields the lab models by value, the rest refused by name. */
export function psResolver(row: Readonly<Record<string, string>>): Resolver {
  return (path): Resolved => {
    const [field, ...more] = path;
    if (field === undefined || more.length > 0)
      return { kind: 'not-modelled', what: `docker ps --format {{.${path.join('.')}}}` };
    if (row[field] !== undefined) return { kind: 'value', value: row[field] };
    if (PS_FIELDS[field] !== undefined)
      return {
        kind: 'not-modelled',
        what: `docker ps --format's .${field} (the lab models ${Object.keys(row)
          .map((k) => `.${k}`)
          .join(', ')})`,
      };
    return { kind: 'error', text: `can't evaluate field ${field} in type *formatter.ContainerContext` };
  };
}
