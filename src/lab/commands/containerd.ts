/**
 * containerd and its devmapper snapshotter (src/containerd/): containerd --version, ctr, nerdctl, containerd-devices,
 * containerd-fault, and systemctl for containerd's unit. Registered by name in src/lab/commands.ts.
 */
import {
  CONTAINERD_HANDLERS,
  type CtrdCommandContext,
  containerdSystemctl,
} from '../../containerd/containerd-commands.js';
import { containerdBuild } from '../../containerd/snapshotter.js';
import { notModelled } from '../command-errors.js';
import type { Lab } from '../lab.js';
import type { CommandHandler } from '../registry.js';

export function ctrdContext(lab: Lab): CtrdCommandContext {
  return { machine: lab.machine, fs: lab.fs, ctrd: lab.containerd };
}

export const CONTAINERD_COMMANDS = {
  /** `containerd --version` says which build runs (apt-get install chooses it); the daemon itself runs under systemctl. */
  containerd: (lab, args, io) => {
    if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
      io.out(`${containerdBuild(lab.containerd).versionLine}\n`);
      return 0;
    }
    throw notModelled(
      `containerd ${args.join(' ')} (the lab runs containerd --version; systemctl start containerd runs the daemon)`,
    );
  },
  ctr: (lab, args, io) => CONTAINERD_HANDLERS.ctr(ctrdContext(lab), args, io),
  nerdctl: (lab, args, io) => CONTAINERD_HANDLERS.nerdctl(ctrdContext(lab), args, io),
  'containerd-devices': (lab, args, io) => CONTAINERD_HANDLERS['containerd-devices'](ctrdContext(lab), args, io),
  'containerd-fault': (lab, args, io) => CONTAINERD_HANDLERS['containerd-fault'](ctrdContext(lab), args, io),
  /** `systemctl VERB containerd`: the system module sends containerd's unit here. */
  systemctl: (lab, args, io) => containerdSystemctl(ctrdContext(lab), args, io),
} satisfies Record<string, CommandHandler>;

// What the system commands (rm of containerd's directories, systemctl) use of containerd, reached through this domain.
export { isContainerdUnit, removeContainerdState } from '../../containerd/containerd-commands.js';
