/**
 * Docker (src/docker/): docker, dockerd, docker-fault, and systemctl for every unit that is not
 * containerd's. Registered by name in src/lab/commands.ts.
 */

import type { DaemonContext } from '../../docker/daemon.js';
import { containerdBuild } from '../../containerd/snapshotter.js';
import { DOCKER_HANDLERS, dockerVersion } from '../../docker/docker-commands.js';
import { runMonitor } from '../../lvm/monitor.js';
import type { Lab } from '../lab.js';
import type { CommandHandler } from '../registry.js';

/** What the Docker daemon sees of the lab: a write that waits lets dmeventd look at the pools. */
export function daemonContext(lab: Lab): DaemonContext {
  return { machine: lab.machine, fs: lab.fs, docker: lab.docker, lvmCtx: lab, whileWaiting: () => runMonitor(lab) };
}

export const DOCKER_COMMANDS = {
  docker: (lab, args, io) =>
    args[0] === 'version'
      ? dockerVersion(daemonContext(lab), containerdBuild(lab.containerd).version, args.slice(1), io)
      : DOCKER_HANDLERS.docker(daemonContext(lab), args, io),
  dockerd: (lab, args, io) => {
    // Debian's docker.io package enables docker.service: a host that runs dockerd starts the
    // unit at boot, with daemon.json and none of the flags given here (catalogue entry 6).
    if (!lab.host.enabledUnits.includes('docker')) lab.host.enabledUnits.push('docker');
    return DOCKER_HANDLERS.dockerd(daemonContext(lab), args, io);
  },
  'docker-fault': (lab, args, io) => DOCKER_HANDLERS['docker-fault'](daemonContext(lab), args, io),
  /** `systemctl VERB UNIT` for Docker's unit (the system module sends containerd's elsewhere). */
  systemctl: (lab, args, io) => DOCKER_HANDLERS.systemctl(daemonContext(lab), args, io),
} satisfies Record<string, CommandHandler>;

/** dockerd's deferred-deletion worker, which the registry runs after each command while dockerd runs. */
export { runDeletionWorker } from '../../docker/deviceset.js';
// What the system commands (rm of /var/lib/docker, crash, `thinlab why`) use of Docker, reached through this domain.
export { wipeDockerRoot } from '../../docker/daemon.js';
export { forgetDaemonMemory } from '../../docker/deviceset.js';
export { describeProvenance } from '../../docker/provenance.js';
