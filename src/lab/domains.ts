/**
 * The lab's command domains, loaded when they are first needed. Loading every domain's code (the
 * thin tools of both releases, LVM, Docker, containerd, awk, the text tools, faults) is most of
 * what `thinlab at` costs before it replays anything (docs/performance.md), and a history that
 * never ran `docker` has no use for Docker's code. So the registry (src/lab/commands.ts) knows
 * every command's name and its domain, and runs a domain's handlers only once its module is here.
 *
 * Replay is synchronous, module loading is not: whoever runs commands loads their domains first.
 * `all-domains.ts` loads them all before any module that imports it runs (the default, which
 * `lab-shell.ts` and `replay/lab-runtime.ts` give every recording path and every test), and a
 * read-only replay (`History.viewAt`) loads those its events name, then starts again from its
 * checkpoint if a command still met a domain that was not loaded (a function defined before the
 * checkpoint, a name made by expansion). A handler that meets an unloaded domain throws
 * DomainNotLoaded and remembers the domain (`takeMissedDomains`), so that a retry knows what to
 * load even where a command caught the error on its way out.
 *
 * This module is a leaf (it imports nothing): the modules themselves are loaded by commands.ts
 * (`loadDomains`), which is the one place that names them, so that no domain depends on itself
 * through the registry that runs it.
 */

export const ALL_DOMAINS = [
  'system',
  'host',
  'text',
  'files',
  'faults',
  'thin-tools',
  'lvm',
  'docker',
  'containerd',
] as const;

export type DomainId = (typeof ALL_DOMAINS)[number];

const loaded = new Map<DomainId, unknown>();
const missed = new Set<DomainId>();

/** A command needed a domain whose module was not loaded: a signal to load it and run again, never an outcome. */
export class DomainNotLoaded extends Error {
  override readonly name = 'DomainNotLoaded';
  constructor(readonly domain: DomainId) {
    super(`the lab's ${domain} commands were used before their module was loaded (src/lab/domains.ts)`);
  }
}

/**
 * A loaded domain's module, as the caller's type `T` says it is (the part of the module it uses);
 * throws DomainNotLoaded, and remembers the domain, when it is not loaded.
 */
export function domainModule<T>(id: DomainId): T {
  const m = loaded.get(id);
  if (m === undefined) {
    missed.add(id);
    throw new DomainNotLoaded(id);
  }
  return m as T;
}

/** Keeps a domain's module once it is loaded (commands.ts's `loadDomains`). */
export function provideDomain(id: DomainId, module: unknown): void {
  loaded.set(id, module);
}

export function isDomainLoaded(id: DomainId): boolean {
  return loaded.has(id);
}

/** The domains that commands asked for while they were not loaded since the last call; forgets them. */
export function takeMissedDomains(): DomainId[] {
  const out = [...missed];
  missed.clear();
  return out;
}

/** The domains loaded so far, in ALL_DOMAINS's order. */
export function loadedDomains(): DomainId[] {
  return ALL_DOMAINS.filter((id) => loaded.has(id));
}
