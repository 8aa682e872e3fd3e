/**
 * What every lab command sees beside its I/O (`CommandIo`, the shell's port in src/shell/io.ts):
 * the machine and the file system.
 * How a path resolves to a file, a device or a kernel file is src/lab/vfs.ts.
 */
import type { LvmState } from '../lvm/lvm-state.js';
import type { Machine } from '../model/machine.js';
import type { LabFileSystem } from './fs.js';
import type { HostState } from './host/host-state.js';

export interface ShellContext {
  readonly machine: Machine;
  readonly fs: LabFileSystem;
  /** The host (kernel modules, removed device nodes); absent in contexts made for a tool alone. */
  readonly host?: HostState;
  /** LVM's groups and volumes (whose `/dev/VG/LV` links ls, stat and readlink see); absent where no LVM runs. */
  readonly lvm?: LvmState;
}
