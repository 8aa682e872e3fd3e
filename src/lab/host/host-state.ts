/**
 * The host around the pool: what a Debian machine with systemd keeps beside its block devices.
 * Plain data in the Lab (a checkpoint holds it): the loaded kernel modules, the device nodes
 * someone removed, the systemd units that start at boot, and the boot's own journal lines.
 */
import { bootModuleOrder } from './kernel-modules.js';

export interface HostState {
  /** Loaded kernel modules, the most recently loaded first (lsmod's order). */
  modules: string[];
  /** Device nodes removed with rm (devtmpfs makes them again at the next boot). */
  removedNodes: string[];
  /**
   * systemd units that start at boot, in the order they were enabled. A unit started with
   * `systemctl start` counts as enabled: Debian's docker.io and containerd packages enable theirs
   * when they are installed, so a host that ran them starts them again.
   */
  enabledUnits: string[];
  /** The boots' journal: each line with the unit that wrote it (`journalctl -b`, `journalctl -u UNIT`). */
  journal: JournalEntry[];
  /** How many times the lab has booted after its first start. */
  boots: number;
  /** Power was lost (`crash`) and the host has not booted since: `boot` brings it up. */
  crashed: boolean;
}

export interface JournalEntry {
  readonly unit: string;
  readonly text: string;
}

export function newHostState(): HostState {
  return {
    modules: bootModuleOrder().reverse(),
    removedNodes: [],
    enabledUnits: [],
    journal: [],
    boots: 0,
    crashed: false,
  };
}
