/**
 * Packages whose version changes how a daemon behaves (src/containerd/versions.ts,
 * DOCKER_VERSIONS in src/docker/options.ts): `apt-get install PACKAGE[=VERSION]` chooses the build
 * a lab runs, the way a host chooses it, and is recorded and replayed like every command. As
 * dpkg's postinst does, a daemon that runs is restarted on the new build. A version the lab does
 * not model is refused with apt's own error and a `thinlab: not modelled:` line naming those it does.
 */
import { containerdSystemctl } from '../../containerd/containerd-commands.js';
import { containerdVersionsOf, DEFAULT_CONTAINERD_BUILD } from '../../containerd/versions.js';
import type { CommandIo } from '../../shell/io.js';
import { ctrdContext } from '../commands/containerd.js';
import { DOCKER_COMMANDS } from '../commands/docker.js';
import type { Lab } from '../lab.js';

interface VersionedPackage {
  /** Package version -> the behaviour key it selects. */
  readonly versions: Readonly<Record<string, string>>;
  /** The version apt installs when none is named. */
  readonly candidate: string;
  /** Installs the build: stops the daemon if it runs, switches, and starts it again. */
  readonly install: (lab: Lab, key: string, io: CommandIo) => void;
}

function installContainerd(lab: Lab, key: string, io: CommandIo): void {
  const running = lab.containerd.running;
  if (running) containerdSystemctl(ctrdContext(lab), ['stop', 'containerd'], io);
  lab.containerd.version = key;
  if (running) containerdSystemctl(ctrdContext(lab), ['start', 'containerd'], io);
}

function installDocker(lab: Lab, key: string, io: CommandIo): void {
  const running = lab.docker.running;
  if (running) DOCKER_COMMANDS.systemctl(lab, ['stop', 'docker'], io);
  lab.docker.version = key;
  if (running) DOCKER_COMMANDS.systemctl(lab, ['start', 'docker'], io);
}

const containerdVersions = (pkg: string): Record<string, string> =>
  Object.fromEntries(containerdVersionsOf(pkg).map((v) => [v, v]));

export const VERSIONED_PACKAGES: ReadonlyMap<string, VersionedPackage> = new Map([
  [
    'containerd',
    { versions: containerdVersions('containerd'), candidate: DEFAULT_CONTAINERD_BUILD, install: installContainerd },
  ],
  [
    'containerd.io',
    { versions: containerdVersions('containerd.io'), candidate: '1.4.3-1', install: installContainerd },
  ],
  [
    'docker.io',
    {
      // Debian 12's docker.io, and Ubuntu 16.04's 1.13.1 (the 1.x behaviours of DOCKER_VERSIONS).
      versions: { '20.10.24+dfsg1-1': '20.10.24', '1.13.1-0ubuntu1~16.04.2': '1.13.1' },
      candidate: '20.10.24+dfsg1-1',
      install: installDocker,
    },
  ],
]);

/**
 * Installs `NAME` or `NAME=VERSION` when NAME is a versioned package: the version installed, or
 * apt's error. Null when NAME is not one of them.
 */
export function installVersioned(
  lab: Lab,
  spec: string,
  io: CommandIo,
): { version: string } | { error: number } | null {
  const [name, wanted] = spec.split('=', 2) as [string, string | undefined];
  const pkg = VERSIONED_PACKAGES.get(name);
  if (pkg === undefined) return null;
  const version = wanted ?? pkg.candidate;
  const key = pkg.versions[version];
  if (key === undefined) {
    io.err(
      `E: Version '${version}' for '${name}' was not found\nthinlab: not modelled: ${name} ${version} (the lab's ${name} is ${Object.keys(pkg.versions).join(' or ')})\n`,
    );
    return { error: 100 };
  }
  pkg.install(lab, key, io);
  return { version };
}
