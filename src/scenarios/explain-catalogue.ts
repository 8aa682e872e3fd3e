/**
 * The messages of docker-devicemapper.md §4, the catalogue of real failure reports, each with the
 * cause the report established. They are read before the generic kernel and libdevmapper lines of
 * explain.ts because several of them end in a generic tail (`dm_task_run failed`, `no such file or
 * directory`, `object already exists`) whose cause only the words before it tell: an
 * `ActivateDevice` that fails is a different pool, not a read-only one.
 */
import type { PoolMode } from '../model/lifecycle.js';

/** A line explain knows: what it is, what it says about the pool, what to do. */
export interface KnownSymptom {
  /** What kind of line it is, e.g. `kernel log (dm-thin)`. */
  readonly source: string;
  readonly pattern: RegExp;
  /** The pool's state, in plain words. */
  readonly meaning: string;
  /** What to do about it. */
  readonly next: string;
  /** The pool state the symptom implies, to find scenarios that reach it. */
  readonly mode?: PoolMode;
  readonly needsCheck?: boolean;
  /** The entries of docker-devicemapper.md §4 whose reports show this line, the likeliest first. */
  readonly entries?: readonly number[];
}

/** The report each catalogue entry cites, to name it beside the cause. */
export const CATALOGUE_REPORTS: Readonly<Record<number, string>> = {
  1: 'moby/moby#35939',
  2: 'convox/rack#1197',
  3: 'docker/for-linux#731',
  4: 'moby/moby#26015',
  5: 'moby/moby#15721',
  6: 'moby/moby#6325',
  7: 'moby/moby#21606',
  8: 'moby/moby#16092, #36365',
  9: 'moby/moby#15629',
  10: 'moby/moby#34463, PR #35333',
  11: 'moby/moby#27381',
  12: 'intel/cc-oci-runtime#795',
  13: 'moby/moby#4036',
  14: 'moby/moby#23869',
  15: 'moby/moby#22701, #22659, #10613',
  16: 'moby/moby#19061, #16343',
  17: 'moby/moby#3182',
  18: 'moby/moby PR #31934',
  19: 'moby/moby PR #31356',
  20: 'moby/moby#32656, docker/for-linux#46',
  21: 'moby/moby#9587',
  22: 'moby/moby#35936',
  23: 'docker/docs#6942',
  24: 'jthornber/thin-provisioning-tools#244, #265',
  25: 'containerd/containerd#5110, PR #5111',
  26: 'containerd/containerd#5646',
  27: 'containerd/containerd#4234, PR #4235',
  28: 'containerd/containerd PR #3436, #3470',
  29: 'containerd/containerd PR #3567',
  30: 'containerd/containerd#7048',
  31: 'containerd/containerd#4790',
  32: 'containerd/containerd#11637, lvmteam/lvm2#177',
};

/** `catalogue entry 6 (moby/moby#6325)`, or two entries joined. */
export function catalogueReference(entries: readonly number[]): string {
  const named = entries.map((n) => `${n} (${CATALOGUE_REPORTS[n] ?? 'unknown entry'})`);
  return `docker-devicemapper.md section 4 ${entries.length === 1 ? 'entry' : 'entries'} ${named.join(', ')}`;
}

const DOCKER = 'Docker devicemapper error';
const CONTAINERD = 'containerd devmapper snapshotter error';
const LVM = 'LVM';

/** Docker's messages whose cause the catalogue names; the most specific first. */
const DOCKER_MESSAGES: readonly KnownSymptom[] = [
  {
    source: DOCKER,
    pattern:
      /Error running deviceCreate \(ActivateDevice\) dm_task_run failed|Base Device UUID and Filesystem verification failed/i,
    meaning:
      'dockerd met another pool than the one its metadata (/var/lib/docker/devicemapper) records: the base device it knows by id cannot be activated in this pool, or its UUID and filesystem differ. The usual cause is a daemon started without its storage options (a package upgrade reset the systemd unit and dropped dm.datadev/dm.metadatadev or dm.thinpooldev), so it met a fresh or different pool; a changed or damaged pool does the same',
    next: "restore the storage options the daemon ran with (daemon.json or the unit's --storage-opt) and restart it; when the options are right, check the pool itself (dmsetup status, thin_check)",
    entries: [6, 7],
  },
  {
    source: DOCKER,
    pattern: /Error running DeviceCreate \(createPool\) dm_task_run failed/i,
    meaning:
      'the kernel refused the thin-pool table Docker loaded at its first start: the thin-pool target is not there because the dm-thin-pool module is not loaded or not installed (the kernel image lacks its extra modules), so `dmsetup targets` does not list thin-pool',
    next: "modprobe dm_thin_pool (and check `dmsetup targets`); install the kernel's extra modules (linux-image-extra-$(uname -r) on old Ubuntu) when the module is missing, then start dockerd again",
    entries: [6],
  },
  {
    source: DOCKER,
    pattern: /Error running deviceCreate \((createSnapDevice|CreateSnapDeviceRaw)\) dm_task_run failed/i,
    meaning:
      'the kernel refused the create_snap message for a new layer: the pool is read-only or in fail mode (out of data space on an old kernel, out of metadata space, a failed metadata operation), so it services no message',
    next: 'dmsetup status on the pool and lvs: the mode word and needs_check say which; grow the metadata or data, repair needs_check, then retry the pull',
    mode: 'read_only',
    entries: [20],
  },
  {
    source: DOCKER,
    pattern: /failed to remove device \S+-init:\s*devicemapper: Error running DeleteDevice dm_task_run failed/,
    meaning:
      "the layer's thin device is already gone from the pool but its metadata file is still in /var/lib/docker/devicemapper/metadata (the daemon was killed between the pool delete and the file's removal, or someone sent `delete` by hand): the pool answers the delete with ENODATA, which Docker before moby PR #35333 took as a failure",
    next: 'a Docker with PR #35333 (17.12 and later) treats "No data available" as deleted; on an older one stop dockerd and move /var/lib/docker/devicemapper/metadata/<id>-init (the named device) out of the way',
    entries: [10],
  },
  {
    source: DOCKER,
    pattern: /Error running DeleteDevice dm_task_run failed/,
    meaning:
      'the kernel refused the delete message for a container\'s or image\'s device: almost always the pool is read-only or in fail mode (it ran out of data or metadata space, or a metadata operation failed), where it services no message ("unable to service pool target messages in READ_ONLY or FAIL mode" in the kernel log); less often the device id is already gone (see entry 10)',
    next: 'dmsetup status on the pool: get it back to write mode (extend it, repair needs_check) before removing anything; the reporter of #26015 ended up wiping /var/lib/docker',
    mode: 'read_only',
    entries: [4, 10],
  },
  {
    source: DOCKER,
    pattern: /Error running deviceSuspend dm_task_run failed/i,
    meaning:
      "Docker suspended an origin device the kernel had already removed (ENXIO): with deferred removal, taking a snapshot cancelled the origin's deferred removal after the kernel removed it, and the driver still suspended it from stale device info",
    next: 'a Docker with moby PR #31356 (17.04 and later) skips the suspend after ENXIO; retry the operation',
    entries: [19],
  },
  {
    source: DOCKER,
    pattern: /Device is Busy/i,
    meaning:
      "the container's thin device is still open: its mount leaked into another mount namespace (another daemon, a container with a private mount namespace), so removal saw EBUSY for all of its 200 tries 100 ms apart",
    next: 'find the process that holds the mount (grep the device in /proc/*/mountinfo); set dm.use_deferred_removal=true and dm.use_deferred_deletion=true so Docker retries in the background',
    entries: [11, 12],
  },
  {
    source: DOCKER,
    pattern: /Error mounting '\/dev\/mapper\/[^']*' on '[^']*': no such file or directory/,
    meaning:
      'the /dev/mapper node of the device was not there yet when Docker mounted it: udev sync is not supported ("Udev Sync Supported: false" in docker info: a static binary or an old libdevmapper), so Docker does not wait for udev',
    next: "use the distribution's dynamically linked dockerd; since Docker 1.11 the daemon refuses to start without udev sync unless dm.override_udev_sync_check=true",
    entries: [13],
  },
  {
    source: DOCKER,
    pattern: /Usage of loopback devices is strongly discouraged for production use/,
    meaning:
      'Docker made its pool on two sparse loop files (loop-lvm, the default without dm.thinpooldev): slow, and the data file can be larger than the filesystem under it, which then runs out first',
    next: 'use a real block-device pool (dm.directlvm_device or dm.thinpooldev), or size dm.loopdatasize to what the host filesystem has',
    entries: [14],
  },
  {
    source: DOCKER,
    pattern:
      /ApplyLayer exit status 1.*no space left on device|failed to register layer: .*write .*: no space left on device/i,
    meaning:
      "the filesystem inside the layer's thin device is full, not the pool: every layer has the size of the base device (dm.basesize, 10G by default) and the image unpacks to more",
    next: 'raise dm.basesize (it only grows, at a restart) and pull the image again: existing images keep their old size, so remove and re-pull them',
    entries: [15],
  },
  {
    source: DOCKER,
    pattern: /Base device size cannot be smaller than/,
    meaning:
      'dm.basesize asks for a smaller base device than the existing one: Docker grows the base device at a restart but never shrinks it',
    next: 'give a dm.basesize at least the current Base Device Size (docker info), or start with a new pool and /var/lib/docker',
    entries: [16],
  },
  {
    source: DOCKER,
    pattern: /Failed to read \/var\/lib\/docker\/devicemapper\/metadata\/\S+ with err/,
    meaning:
      "a layer's devicemapper device and metadata file were rolled back after a crash in the middle of its create transaction (processPendingTransaction), but the layer store had already recorded the layer, so its child names a parent that does not exist",
    next: 'remove the image whose layer is stale and load or pull it again; the devicemapper rollback itself is right',
    entries: [18],
  },
  {
    source: DOCKER,
    pattern: /Can't set cookie dm_task_set_cookie failed|Can't set task name/,
    meaning:
      'libdevmapper could not get a udev cookie (a System V semaphore): leaked semaphores exhausted /proc/sys/kernel/sem, or stale /dev/mapper/docker-* nodes confuse the task',
    next: 'ipcs -s to list the leaked semaphores (dmsetup udevcomplete_all releases them); dmsetup mknodes for stale nodes',
    entries: [21],
  },
  {
    source: DOCKER,
    pattern: /has a filesystem already, use dm\.directlvm_device_force=true/,
    meaning:
      'direct-lvm setup ran again on a device that already holds the pool: /var/lib/docker/devicemapper/setup-config.json (which records the finished setup) is gone, so Docker took the device for a new one',
    next: 'restore setup-config.json and the metadata with the pool, or wipe the device and set dm.directlvm_device_force=true to set it up afresh',
    entries: [22],
  },
  {
    source: DOCKER,
    pattern: /Non existing device \S+/,
    meaning:
      'the pool named by dm.thinpooldev has no device-mapper device: the LVM thin pool was not activated at boot (LVM refused it: thin_check missing or failing, a transaction id mismatch), so dockerd has nothing to open',
    next: 'vgchange -ay VG and read what LVM prints: install thin-provisioning-tools when it says execvp failed, repair when thin_check fails; then start dockerd',
    entries: [23],
  },
];

/** LVM's and the thin tools' messages whose cause the catalogue names. */
const LVM_MESSAGES: readonly KnownSymptom[] = [
  {
    source: LVM,
    pattern: /thin_check: execvp failed: No such file or directory|execvp failed/,
    meaning:
      'LVM could not run thin_check (the program named by thin_check_executable in lvm.conf is not installed: the thin-provisioning-tools package is missing), so its activation-time metadata check fails with status 2 and the pool stays inactive',
    next: 'install thin-provisioning-tools (or point global/thin_check_executable at it), then vgchange -ay',
    entries: [23],
  },
  {
    source: LVM,
    pattern: /Check of pool \S+ failed \(status:2\)/,
    meaning:
      "LVM's activation-time thin_check exited with status 2: thin_check could not run (execvp failed: thin-provisioning-tools is not installed) or was given options it does not take; the metadata itself was not checked, and the pool stays inactive",
    next: 'look for "execvp failed" just before it; install thin-provisioning-tools, then vgchange -ay',
    entries: [23],
  },
  {
    source: LVM,
    pattern: /Check of pool \S+ failed \(status:\d+\)/,
    meaning:
      "thin_check found the pool's metadata damaged (status 64 from thin_check 1.0, 1 before: leaked blocks, missing mappings, real corruption after a power loss), so LVM refuses to activate it",
    next: 'thin_check on the metadata to see what is wrong; thin_check --ignore-non-fatal-errors --clear-needs-check-flag for leaked blocks only, otherwise lvconvert --repair, or thin_dump --repair and thin_restore',
    needsCheck: true,
    entries: [24],
  },
  {
    source: 'thin_check',
    pattern: /Thin device \d+ has \d+ errors and is missing \d+ mappings/,
    meaning:
      "thin_check found mappings missing from a thin device's tree: the metadata is damaged and needs repair before the pool is used",
    next: 'lvconvert --repair (or thin_repair into a new metadata device) and check again; the missing mappings read as zeros afterwards',
    needsCheck: true,
    entries: [24],
  },
  {
    source: 'LVM (lvs)',
    pattern: /\btwi-a[-\w]{2}-D-|\btwi[-\w]{5}D/,
    meaning:
      'lvs attribute D: the thin pool is out of data space (Data% 100): new blocks cannot be allocated, while writes into blocks a thin already owns still work',
    next: 'lvextend the pool (held writes then complete); then find what filled it',
    mode: 'out_of_data_space',
    entries: [3],
  },
  {
    source: 'docker info',
    pattern: /Data Space Available: 0(\.0+)? ?B\b/,
    meaning:
      'docker info reports no free data space in the pool: writes into existing devices filled it, since Docker checks dm.min_free_space only when it creates a device',
    next: 'extend the pool; delete images and containers',
    mode: 'out_of_data_space',
    entries: [3],
  },
];

/**
 * The words of thin-provisioning-tools 1.x (the Rust tools: Debian 13, Fedora, RHEL 9), whose
 * failures all exit 64 (0.9.0 exited 1) and whose stricter checks are what entry 24 reports.
 * Taken from the real 1.1.0 (src/tools/thin-tools-1x.test.ts, docs/tools.md).
 */
const TOOLS_1X_MESSAGES: readonly KnownSymptom[] = [
  {
    source: 'thin_check 1.x',
    pattern:
      /(data|metadata) space map contains leaks|\d+ (data|metadata) blocks have leaked|perhaps you wanted to run with --auto-repair/,
    meaning:
      'thin_check 1.x found blocks the space map counts but nothing uses (leaks) and exits 64. A leak loses only space, and 0.9.0 passed data leaks with status 0 (it never compared the data space map), so a pool that activated under the old tools is refused by LVM after the upgrade',
    next: 'thin_check --ignore-non-fatal-errors passes a leak-only pool (LVM: add it to thin_check_options in lvm.conf); lvconvert --repair (thin_repair) rebuilds the space maps without the leak',
    entries: [24],
  },
  {
    source: 'thin_check 1.x',
    pattern: /Bad reference count for (data|metadata) block \d+|Fatal errors in (data|metadata) space map/,
    meaning:
      'thin_check 1.x found a block used by the trees but counted too low by the space map (exit 64): the pool could hand it out again and overwrite live data or metadata',
    next: 'do not activate the pool read-write; lvconvert --repair (or thin_repair into a new metadata device), which rebuilds the space maps from the trees, then thin_check again',
    needsCheck: true,
    entries: [24],
  },
  {
    source: 'thin_repair / thin_dump --repair 1.x',
    pattern: /no compatible roots found/,
    meaning:
      "thin_repair 1.x could not read the superblock's mapping tree (or the pool has no devices) and found no older compatible pair of roots on the device, so it gives up with status 64; 0.9.0 would have salvaged whatever mappings were still readable",
    next: "keep the damaged metadata (lvconvert --repair keeps it as pool_meta0); try thin_dump --repair of 0.9.0 (Debian 12's package) on a copy, or restore a metadata backup; thin_check shows what is damaged",
    entries: [24],
  },
  {
    source: 'thin tools 1.x',
    pattern: /Device or resource busy \(os error 16\)/,
    meaning:
      "a thin tool 1.x could not open the metadata device exclusively (exit 64): the pool is active and the kernel holds it (0.9.0 said syscall 'open' failed and exited 1)",
    next: 'deactivate the pool (lvchange -an, dmsetup remove) first, or read a held metadata snapshot with -m after dmsetup message POOL 0 reserve_metadata_snap',
  },
  {
    source: 'thin_repair 1.x',
    pattern: /data block size needs to be provided due to corruption in the superblock/,
    meaning:
      "the superblock is damaged (bad checksum), so thin_repair 1.x cannot read the pool's data block size and asks for it (exit 64)",
    next: 'give --data-block-size (sectors, from lvs -o chunk_size or the thin-pool table) and --nr-data-blocks; the trees below are then searched for roots',
    needsCheck: true,
    entries: [24],
  },
];

/** The snapshotter's messages (containerd's devmapper plugin); the most specific first. */
const CONTAINERD_MESSAGES: readonly KnownSymptom[] = [
  {
    source: CONTAINERD,
    pattern: /failed to suspend device "[^"]*": no such device or address/,
    meaning:
      'containerd suspended a parent snapshot\'s device that is gone from device-mapper (ENXIO: removed by hand or lost at a reboot while its record still says Activated). In containerd before PR #5111 the new device\'s record was already saved and its error path left it, so every later snapshot of that name then fails with "object already exists"',
    next: 'restart containerd: its start marks the stuck records (Unknown, Suspending) Faulty and the name then gets a new id; containerd 1.5 or later (PR #5111) suspends the parent before saving the new record, so the failure leaves nothing behind',
    entries: [25],
  },
  {
    source: CONTAINERD,
    pattern: /failed to suspend device "[^"]*": invalid argument|suspend ioctl on .* failed: Invalid argument/,
    meaning:
      "the kernel refused to suspend a snapshot's device (EINVAL) under load, in a container environment; the LVM maintainer guessed the pool had run out of space",
    next: 'check the pool (dmsetup status, lvs); current containerd retries suspend and resume 3 times on invalid argument or device busy',
    entries: [32],
  },
  {
    source: CONTAINERD,
    pattern: /failed to save initial metadata for snapshot .*object already exists/,
    meaning:
      "the snapshotter's database and the pool disagree after a hard reboot or an unplugged disk: a device record of that snapshot survived while the rest was rolled back",
    next: 'containerd with PR #3470 marks such devices Faulty and retries with a new id; remove the stale record by hand on an older one',
    entries: [28],
  },
  {
    source: CONTAINERD,
    pattern: /failed to save metadata for device .*object already exists|is already there .*object already exists/,
    meaning:
      "a device record of that name is already in the snapshotter's database (<pool>.db) and is not Faulty. containerd stopped or lost power after the record was saved and before metadata.db committed, so the snapshot id sequence came back and every create of that snapshot name now collides (#5646); in containerd before PR #5111 a failed parent suspend left such a record as well (#5110)",
    next: "a record left in a transitional state (Unknown, Creating, Suspending ...) becomes Faulty at containerd's next start, and the name then gets a new id (#5110); an Activated one (#5646) stays: nothing merged fixes that, stop containerd and remove the stale device record (or the plugin's whole state with the pool's devices) by hand",
    entries: [25, 26],
  },
  {
    source: CONTAINERD,
    pattern: /failed to create snapshot "[^"]*" \(dev: \d+\) from "[^"]*" \(dev: \d+\).*file exists/i,
    meaning:
      'the device id containerd picked already exists in the pool though its database has it free (EEXIST): the database and the pool disagree after a hard reboot or an unplugged disk',
    next: 'containerd with PR #3470 marks the id faulty and retries with a new one; the stale pool device needs manual cleanup',
    entries: [28],
  },
  {
    source: CONTAINERD,
    pattern: /failed to create new thin device "[^"]*" ?\(dev: \d+\): file exists/,
    meaning:
      "the pool already has a thin device of the id containerd's database handed out (EEXIST): the database was deleted or replaced while the pool kept its devices (#4790), or the two disagree after a crash (#3470); the id is marked faulty and the next create tries the next one, so a pool holding many ids makes every create fail",
    next: "stop containerd, remove all of the plugin's state (its root_path and the pool's thin devices, or recreate the thin pool), then start it again",
    entries: [31, 28],
  },
  {
    source: CONTAINERD,
    pattern: /failed to create new thin device "[^"]*" ?\(dev: \d+\): invalid argument/,
    meaning:
      'the pool refused create_thin with EINVAL (reported on a pool on an iSCSI-backed VG; a changed pool size or base_image_size suspected); the device is marked Faulty',
    next: "check the pool's table and size against base_image_size (dmsetup table, dmsetup status); the report is unresolved",
    entries: [30],
  },
  {
    source: CONTAINERD,
    pattern: /failed to mount rootfs component .*no such file or directory/,
    meaning:
      "the snapshot's record says Activated but its dm device is gone (a reboot, or dmsetup remove), so the mount finds no /dev/mapper node",
    next: 'restart containerd: since PR #3567 it activates such devices at start ("marked as \\"Activated\\" but not active, activating it")',
    entries: [29],
  },
  {
    source: 'kernel log (hung task)',
    pattern: /blkdev_direct_IO|blocked for more than \d+ seconds/,
    meaning:
      'a process is stuck in I/O to a device that stays suspended: containerd before PR #4235 suspended a layer device at commit and deactivated it deferred without resuming it, and a process (fdisk -l) that opened it in between blocks forever',
    next: 'dmsetup resume the device; containerd with PR #4235 resumes before the deferred deactivate',
    entries: [27],
  },
];

/** Every catalogue message, Docker's first; explain.ts reads these before its generic lines. */
export const CATALOGUE_SYMPTOMS: readonly KnownSymptom[] = [
  ...DOCKER_MESSAGES,
  ...LVM_MESSAGES,
  ...TOOLS_1X_MESSAGES,
  ...CONTAINERD_MESSAGES,
];
