/**
 * Connection-string handling for the KurrentDB adapter. The client accepts `esdb://` but warns
 * that it is deprecated on every connect, so it is rewritten to `kurrentdb://`; two defaults make
 * an unreachable server fail in seconds instead of the client's slower defaults.
 */
import { StoreError } from '../errors.js';

const SCHEMES = [
  'kurrentdb',
  'kurrentdb+discover',
  'kurrent',
  'kurrent+discover',
  'kdb',
  'kdb+discover',
  'esdb',
  'esdb+discover',
];

/**
 * Settings added when the string does not set them:
 * - `defaultDeadline`: each gRPC call fails after this many ms instead of the client's 10 s.
 * - `discoveryInterval`: the Rust read client waits this long before its first connection attempt
 *   (500 ms by default), which every new store would pay on its first read.
 */
const DEFAULT_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['defaultDeadline', '5000'],
  ['discoveryInterval', '50'],
];

/** True when `url` names a KurrentDB/EventStoreDB scheme. */
export function isKurrentUrl(url: string): boolean {
  const scheme = /^([a-z+]+):\/\//i.exec(url.trim())?.[1]?.toLowerCase();
  return scheme !== undefined && SCHEMES.includes(scheme);
}

/** Returns the string to hand to the client. Throws STORE_BAD_URL for anything that is not a KurrentDB URL. */
export function normalizeConnectionString(url: string): string {
  const trimmed = url.trim();
  if (!isKurrentUrl(trimmed))
    throw new StoreError(
      'STORE_BAD_URL',
      `'${redact(trimmed)}' is not a KurrentDB URL (kurrentdb://host:port?tls=false)`,
    );
  const rewritten = trimmed.replace(
    /^esdb(\+discover)?:\/\//i,
    (_match, discover: string | undefined) => `kurrentdb${discover ?? ''}://`,
  );
  const queryStart = rewritten.indexOf('?');
  const base = queryStart === -1 ? rewritten : rewritten.slice(0, queryStart);
  const query = queryStart === -1 ? '' : rewritten.slice(queryStart + 1);
  if (base.slice(base.indexOf('://') + 3).replace(/\/+$/, '').length === 0) {
    throw new StoreError('STORE_BAD_URL', `'${redact(trimmed)}' names no host`);
  }
  const present = new Set(
    query
      .split('&')
      .filter(Boolean)
      .map((pair) => pair.split('=')[0]!.toLowerCase()),
  );
  const added = DEFAULT_SETTINGS.filter(([key]) => !present.has(key.toLowerCase())).map(
    ([key, value]) => `${key}=${value}`,
  );
  const params = [query, ...added].filter(Boolean).join('&');
  return params.length === 0 ? base : `${base.replace(/\/+$/, '')}?${params}`;
}

/** The URL without credentials (`user:password@`), for messages. */
export function redact(url: string): string {
  return url.replace(/^((?:[a-z][a-z0-9+.-]*:)?\/\/)?[^@/?#]*@/i, '$1***@');
}

/** `host:port[,host:port]` of a connection string, for one-line messages. */
export function describeTarget(url: string): string {
  const afterScheme = url.slice(url.indexOf('://') + 3);
  const hosts = afterScheme
    .split('?')[0]!
    .replace(/^[^@]*@/, '')
    .replace(/\/+$/, '');
  return hosts;
}
