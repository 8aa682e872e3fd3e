/**
 * util-linux lsblk (2.38.1, Debian 12's; the oracle VM's busybox has none) over the lab's block
 * devices: each whole device with no slaves at the top, the devices that hold it (dm tables)
 * beneath it, a device held by two (a pool on its data and metadata devices) under each. RAM
 * disks (major 1) are left out unless --all, as lsblk does, and so is what sits only on them; a
 * loop device with nothing attached too. The lab's shell runs in the C locale, so the tree is
 * drawn in ASCII (`|-`, `` `- ``). TYPE is `disk` for a RAM disk, `loop`, `lvm` for LVM's
 * volumes and `dm` for other device-mapper devices; MOUNTPOINTS are Docker's mounts of its thin
 * devices and containerd's task root filesystems. Sizes are lsblk's (powers of 1024, one decimal).
 */
import { deviceName } from '../../docker/deviceset.js';
import { DM_MAJOR, LOOP_MAJOR, RAM_MAJOR } from '../../model/machine.js';
import type { BlockDev, DmDevice } from '../../model/machine.js';
import { typeOf } from '../../model/targets/index.js';
import { dmName } from '../../lvm/lvm-state.js';
import type { Lab } from '../lab.js';

/**
 * The columns the lab fills: whether lsblk right-aligns them, and the width lsblk's column table
 * asks for at least (its absolute width hints: SIZE 5, MAJ:MIN 6, TYPE 4; fractional hints only
 * matter on a terminal).
 */
export const LSBLK_COLUMNS: Readonly<Record<string, { readonly right: boolean; readonly minWidth: number }>> = {
  NAME: { right: false, minWidth: 0 },
  KNAME: { right: false, minWidth: 0 },
  PATH: { right: false, minWidth: 0 },
  'MAJ:MIN': { right: false, minWidth: 6 },
  RM: { right: true, minWidth: 1 },
  SIZE: { right: true, minWidth: 5 },
  RO: { right: true, minWidth: 1 },
  TYPE: { right: false, minWidth: 4 },
  MOUNTPOINT: { right: false, minWidth: 0 },
  MOUNTPOINTS: { right: false, minWidth: 0 },
};

/** lsblk's other columns (lsblk --help): refused by name, since the lab does not know their values. */
export const LSBLK_UNMODELLED_COLUMNS = [
  'FSAVAIL',
  'FSSIZE',
  'FSTYPE',
  'FSUSED',
  'FSUSE%',
  'FSROOTS',
  'FSVER',
  'LABEL',
  'UUID',
  'PTUUID',
  'PTTYPE',
  'PARTTYPE',
  'PARTTYPENAME',
  'PARTLABEL',
  'PARTUUID',
  'PARTFLAGS',
  'RA',
  'MODEL',
  'SERIAL',
  'STATE',
  'OWNER',
  'GROUP',
  'MODE',
  'ALIGNMENT',
  'MIN-IO',
  'OPT-IO',
  'PHY-SEC',
  'LOG-SEC',
  'ROTA',
  'SCHED',
  'RQ-SIZE',
  'DISC-ALN',
  'DISC-GRAN',
  'DISC-MAX',
  'DISC-ZERO',
  'WSAME',
  'WWN',
  'RAND',
  'PKNAME',
  'HCTL',
  'TRAN',
  'SUBSYSTEMS',
  'REV',
  'VENDOR',
  'ZONED',
  'ZONE-SZ',
  'ZONE-WGRAN',
  'ZONE-APP',
  'ZONE-NR',
  'ZONE-OMAX',
  'ZONE-AMAX',
  'DAX',
  'ID-LINK',
  'ID',
  'DISK-SEQ',
];

export const LSBLK_DEFAULT_COLUMNS = ['NAME', 'MAJ:MIN', 'RM', 'SIZE', 'RO', 'TYPE', 'MOUNTPOINTS'];

/** util-linux's size_to_human_string with a one-letter suffix: 64M, 63.9M, 0B. */
export function lsblkSize(bytes: number): string {
  let exp = 0;
  while (exp < 60 && bytes >= 2 ** (exp + 10)) exp += 10;
  const unit = 2 ** exp;
  let whole = Math.floor(bytes / unit);
  let frac = exp === 0 ? 0 : Math.floor(((bytes % unit) * 1000) / unit);
  // Rounded to one decimal, 4/5; a rounding up to 10 tenths carries.
  frac = Math.floor((frac + 50) / 100);
  if (frac === 10) {
    whole++;
    frac = 0;
  }
  return `${whole}${frac === 0 ? '' : `.${frac}`}${'BKMGTPE'[exp / 10]}`;
}

interface Row {
  readonly dev: BlockDev;
  readonly depth: number;
  /** For each ancestor level, whether more siblings follow there (the tree's vertical bars). */
  readonly more: readonly boolean[];
}

function majorOf(dev: BlockDev): number {
  return dev.kind === 'ram' ? RAM_MAJOR : dev.kind === 'loop' ? LOOP_MAJOR : DM_MAJOR;
}

/** The dm devices whose tables hold `dev`, by minor (the order of /sys/block/X/holders). */
function holdersOf(lab: Lab, dev: BlockDev): DmDevice[] {
  return lab.machine
    .deviceList()
    .filter((d) => d.live !== null && typeOf(d.live).heldDevices(d.live).includes(dev))
    .sort((a, b) => a.minor - b.minor);
}

function hasSlaves(d: BlockDev): boolean {
  return d.kind === 'dm' && d.live !== null && typeOf(d.live).heldDevices(d.live).length > 0;
}

/** The rows lsblk prints for the devices named (all when none), in tree order. */
export function lsblkRows(lab: Lab, roots: readonly BlockDev[] | null, all: boolean): Row[] {
  const excluded = (d: BlockDev): boolean => !all && (d.kind === 'ram' || (d.kind === 'loop' && d.storage === null));
  const top =
    roots ??
    [
      ...lab.machine.ramdisks,
      ...lab.machine.loops,
      ...lab.machine.deviceList().sort((a, b) => a.minor - b.minor),
    ].filter((d) => !hasSlaves(d) && !excluded(d));
  const rows: Row[] = [];
  const walk = (dev: BlockDev, depth: number, more: readonly boolean[]): void => {
    rows.push({ dev, depth, more });
    const children = holdersOf(lab, dev);
    children.forEach((c, i) => walk(c, depth + 1, [...more, i < children.length - 1]));
  };
  for (const d of top) walk(d, 0, []);
  return rows;
}

/** Where each mounted dm device is mounted: Docker's layer mounts and containerd's task root filesystems. */
function mountPoints(lab: Lab): Map<string, string> {
  const points = new Map<string, string>();
  for (const hash of Object.keys(lab.docker.mounts))
    points.set(deviceName(lab.docker, hash), `/var/lib/docker/devicemapper/mnt/${hash}`);
  const config = lab.containerd.config;
  if (config !== null && lab.containerd.running) {
    for (const id of Object.keys(lab.containerd.containers)) {
      const snap = lab.containerd.snapshots[id];
      if (snap !== undefined)
        points.set(
          `${config.poolName}-snap-${snap.id}`,
          `/run/containerd/io.containerd.runtime.v2.task/default/${id}/rootfs`,
        );
    }
  }
  return points;
}

/** LVM's dm names: every volume's, and a thin pool's `-tpool` layer. */
function lvmNames(lab: Lab): Set<string> {
  const names = new Set<string>();
  for (const vg of lab.lvm.vgs)
    for (const lv of vg.lvs) {
      names.add(dmName(vg.name, lv.name));
      names.add(dmName(vg.name, lv.name, 'tpool'));
    }
  return names;
}

/** One cell of a row. */
function cell(
  lab: Lab,
  row: Row,
  column: string,
  mounts: Map<string, string>,
  lvm: Set<string>,
  bytes: boolean,
): string {
  const d = row.dev;
  const name = d.kind === 'dm' ? d.name : d.kernelName;
  const size = lab.machine.sizeSectors(d) * 512;
  switch (column) {
    case 'NAME':
      return `${row.more
        .slice(0, -1)
        .map((m) => (m ? '| ' : '  '))
        .join('')}${row.depth === 0 ? '' : row.more[row.more.length - 1] ? '|-' : '`-'}${name}`;
    case 'KNAME':
      return d.kernelName;
    case 'PATH':
      return d.kind === 'dm' ? `/dev/mapper/${d.name}` : `/dev/${d.kernelName}`;
    case 'MAJ:MIN':
      return `${String(majorOf(d)).padStart(3)}:${String(d.minor).padEnd(3)}`;
    case 'RM':
    case 'RO':
      return '0';
    case 'SIZE':
      return bytes ? String(size) : lsblkSize(size);
    case 'TYPE':
      return d.kind === 'ram' ? 'disk' : d.kind === 'loop' ? 'loop' : lvm.has(d.name) ? 'lvm' : 'dm';
    default:
      return d.kind === 'dm' ? (mounts.get(d.name) ?? '') : '';
  }
}

/** The table as libsmartcols prints it: one space between columns, the last one not padded. */
export function lsblkTable(lab: Lab, rows: readonly Row[], columns: readonly string[], bytes: boolean): string {
  const mounts = mountPoints(lab);
  const lvm = lvmNames(lab);
  const lines = [columns, ...rows.map((r) => columns.map((c) => cell(lab, r, c, mounts, lvm, bytes)))];
  const widths = columns.map((c, i) => Math.max(LSBLK_COLUMNS[c]!.minWidth, ...lines.map((l) => l[i]!.length)));
  return lines
    .map(
      (l) =>
        `${l
          .map((v, i) =>
            LSBLK_COLUMNS[columns[i]!]!.right ? v.padStart(widths[i]!) : i === l.length - 1 ? v : v.padEnd(widths[i]!),
          )
          .join(' ')}\n`,
    )
    .join('');
}
