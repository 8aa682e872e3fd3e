/**
 * Device-mapper operations as libdevmapper runs them for LVM, Docker and containerd: create, load
 * and resume in one step (undone on failure), remove, and writing sectors of one byte value to a
 * device. Unlike the dmsetup command, these keep /dev/mapper in step: LVM (udev_sync = 0 in the
 * VM's lvm.conf) and Docker's driver call libdevmapper without DM_UDEV_DISABLE_LIBRARY_FALLBACK,
 * so the library makes and removes the nodes itself when udev does not. containerd's snapshotter
 * runs the dmsetup binary, which would leave them to udev: the lab models its host as one where
 * udev makes them (docs/shell.md, "/dev/mapper nodes").
 */
import { Errno } from '../model/errno.js';
import type { DmDevice, Machine } from '../model/machine.js';
import type { IoTicket } from '../model/pool.js';

/** `dmsetup create NAME --table TABLE`: 0, or the errno of the step that failed (the device is gone again). */
export function createDevice(m: Machine, name: string, table: string): number {
  const created = m.create(name);
  if (!created.ok) return created.errno;
  const loaded = m.load(created.value, table);
  if (!loaded.ok) {
    m.discardFailedCreate(created.value);
    return loaded.errno;
  }
  const resumed = m.resume(created.value);
  if (!resumed.ok) {
    m.remove(created.value);
    return resumed.errno;
  }
  m.addMapperNode(name, created.value.minor);
  return 0;
}

/** DM_DEV_REMOVE with the node removed after it, as libdevmapper's fallback does; the remove's result. */
export function removeDevice(m: Machine, dev: DmDevice): ReturnType<Machine['remove']> {
  const r = m.remove(dev);
  if (r.ok) m.removeMapperNode(dev.name);
  return r;
}

/**
 * Writes `bytes` of one byte value at `offsetBytes`, 1 MiB at a time; `wait` serves a write the
 * pool queued (it returns false when the write can never finish). The errno, or 'hang'.
 */
export function writeFill(
  m: Machine,
  name: string,
  offsetBytes: number,
  bytes: number,
  token: number,
  wait: (ticket: IoTicket) => boolean,
): number | 'hang' {
  const dev = m.device(name);
  if (dev === undefined) return Errno.ENXIO;
  const first = Math.floor(offsetBytes / 512);
  const sectors = Math.ceil(bytes / 512);
  for (let at = 0; at < sectors; at += 2048) {
    const ticket = m.writeSectors(dev, first + at, new Uint32Array(Math.min(2048, sectors - at)).fill(token));
    if (!ticket.done && !wait(ticket)) return 'hang';
    if (ticket.errno !== 0) return ticket.errno;
  }
  return 0;
}
