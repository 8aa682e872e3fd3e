/**
 * Every message of docker-devicemapper.md §4 (the catalogue of real failure reports), fed to
 * explain as a user pastes it (with the report's own ids, device names and numbers), is read as
 * its entry with the cause the report established, and names the library scenario that
 * reproduces it, or none where the lab does not (docs/scenarios.md, "The catalogue, entry by entry").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalSymptom, explain, normalizeSymptom } from './explain.js';
import { parseScenario } from './load.js';

const DIR = join(import.meta.dirname, '..', '..', 'scenarios');
const library = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => parseScenario(join(DIR, f), readFileSync(join(DIR, f), 'utf8')));

interface Row {
  readonly entry: number;
  readonly message: string;
  /** Words of the cause the report established, to be found in what explain says it means. */
  readonly cause: RegExp;
  /** The scenario that reproduces the message (found by its symptoms or its output), or null. */
  readonly scenario: string | null;
}

/** The messages copied from the reference; `<id>` placeholders filled in as a real log has them. */
const ROWS: readonly Row[] = [
  {
    entry: 1,
    message:
      'failed to register layer: devmapper: Thin Pool has 162710 free data blocks which is less than minimum required 163840 free data blocks. Create more free space in thin pool or use dm.min_free_space option to change behavior',
    cause: /dm\.min_free_space/,
    scenario: 'docker-pull-min-free-space.yaml',
  },
  {
    entry: 2,
    message:
      'devmapper: Thin Pool has 1325 free metadata blocks which is less than minimum required 1331 free metadata blocks. Create more free metadata space in thin pool or use dm.min_free_space option to change behavior',
    cause: /metadata is nearly full/,
    scenario: 'docker-metadata-full-read-only.yaml',
  },
  { entry: 3, message: 'twi-aot-D-', cause: /out of data space/, scenario: 'pool-full-queue-extend.yaml' },
  {
    entry: 3,
    message: 'Data Space Available: 0B',
    cause: /min_free_space only when it creates/,
    scenario: 'another-consumer-fills-pool.yaml',
  },
  {
    entry: 4,
    message: 'device-mapper: thin: 253:0: unable to service pool target messages in READ_ONLY or FAIL mode',
    cause: /read-only, out-of-metadata-space or fail mode/,
    scenario: 'metadata-write-errors-needs-check-in-memory.yaml',
  },
  {
    entry: 4,
    message: 'Error removing mounted layer 5e4bd3ba7f2c: devicemapper: Error running DeleteDevice dm_task_run failed',
    cause: /pool is read-only or in fail mode/,
    scenario: 'read-only-mode.yaml',
  },
  {
    entry: 4,
    message:
      'Driver devicemapper failed to remove root filesystem 5e4bd3ba7f2c: devicemapper: Error running DeleteDevice dm_task_run failed',
    cause: /pool is read-only or in fail mode/,
    scenario: 'docker-metadata-full-read-only.yaml',
  },
  {
    entry: 4,
    message: 'Buffer I/O error on device dm-1',
    cause: /failed with EIO/,
    scenario: 'bad-sectors-under-one-layer.yaml',
  },
  {
    entry: 5,
    message:
      '[graphdriver] prior storage driver "devicemapper" failed: Base Device UUID verification failed. Possibly using a different thin pool then last invocation:exit status 2',
    cause: /blkid .*needs thin_check\/thin_repair/,
    scenario: 'needs-check-repair-rehearsal.yaml',
  },
  {
    entry: 6,
    message: 'Error running DeviceCreate (createPool) dm_task_run failed',
    cause: /dm-thin-pool module is not loaded/,
    scenario: 'docker-dm-thin-pool-not-loaded.yaml',
  },
  {
    entry: 6,
    message:
      'Error starting daemon: error initializing graphdriver: devmapper: Base Device UUID and Filesystem verification failed.devicemapper: Error running deviceCreate (ActivateDevice) dm_task_run failed',
    cause: /without its storage options .*dm\.datadev\/dm\.metadatadev/,
    scenario: 'docker-restart-without-storage-options.yaml',
  },
  {
    entry: 7,
    message: 'Base Device UUID and Filesystem verification failed upon restarting docker',
    cause: /another pool than the one its metadata .* records/,
    scenario: 'docker-restart-without-storage-options.yaml',
  },
  {
    entry: 8,
    message:
      'error initializing graphdriver: devmapper: Unable to take ownership of thin-pool (docker-thinpool) that already has used data blocks',
    cause: /earlier install/,
    scenario: 'docker-reinstall-keeps-old-pool.yaml',
  },
  {
    entry: 9,
    message: 'Thin pool transaction_id is 113, while expected 0.',
    cause: /set_transaction_id\) and the one LVM recorded disagree/,
    scenario: 'transaction-id-mismatch.yaml',
  },
  {
    entry: 10,
    message:
      'Error response from daemon: Driver devicemapper failed to remove root filesystem 0f1a2b3c4d5e: failed to remove device 9a8b7c6d5e4f-init:devicemapper: Error running DeleteDevice dm_task_run failed',
    cause: /already gone from the pool but its metadata file/,
    scenario: 'docker-1x-device-gone-cannot-remove.yaml',
  },
  {
    entry: 11,
    message:
      'Error response from daemon: Driver devicemapper failed to remove root filesystem 3a0e4c5c2b91: Device is Busy',
    cause: /mount leaked into another mount namespace/,
    scenario: 'docker-deferred-deletion.yaml',
  },
  {
    entry: 12,
    message:
      'Error response from daemon: Driver devicemapper failed to remove root filesystem 9c1d2e3f4a5b: Device is Busy',
    cause: /mount leaked into another mount namespace/,
    scenario: 'docker-deferred-deletion.yaml',
  },
  {
    entry: 13,
    message:
      "Error mounting '/dev/mapper/docker-202:1-263421-5d2e5d3f0c8b' on '/var/lib/docker/devicemapper/mnt/5d2e5d3f0c8b': no such file or directory",
    cause: /udev sync is not supported/,
    scenario: null,
  },
  {
    entry: 14,
    message:
      'WARNING: Usage of loopback devices is strongly discouraged for production use. Either use `--storage-opt dm.thinpooldev` or use `--storage-opt dm.no_warn_on_loop_devices=true` to suppress this warning.',
    cause: /sparse loop files/,
    scenario: 'docker-loop-lvm-production-warning.yaml',
  },
  {
    entry: 15,
    message:
      'failed to register layer: ApplyLayer exit status 1 stdout:  stderr: write /usr/oracle/...dbf: no space left on device',
    cause: /filesystem inside the layer's thin device is full, not the pool/,
    scenario: 'docker-image-larger-than-basesize.yaml',
  },
  {
    entry: 16,
    message: 'devmapper: Base device size cannot be smaller than 10.74GB',
    cause: /never shrinks/,
    scenario: 'docker-basesize-grows-at-restart.yaml',
  },
  {
    entry: 18,
    message:
      'devmapper: Failed to read /var/lib/docker/devicemapper/metadata/4f3c2b1a0e9d with err: open /var/lib/docker/devicemapper/metadata/4f3c2b1a0e9d: no such file or directory',
    cause: /rolled back after a crash .* layer store had already recorded/,
    scenario: null,
  },
  {
    entry: 19,
    message: 'devicemapper: Error running deviceSuspend dm_task_run failed',
    cause: /already removed \(ENXIO\)/,
    scenario: 'docker-1x-suspend-after-enxio.yaml',
  },
  {
    entry: 20,
    message: 'failed to register layer: devicemapper: Error running deviceCreate (createSnapDevice) dm_task_run failed',
    cause: /refused the create_snap message/,
    scenario: 'docker-metadata-full-read-only.yaml',
  },
  { entry: 21, message: "Can't set cookie dm_task_set_cookie failed", cause: /udev cookie/, scenario: null },
  {
    entry: 22,
    message:
      'Error starting daemon: error initializing graphdriver: /dev/xvdm has a filesystem already, use dm.directlvm_device_force=true if you want to wipe the device',
    cause: /setup-config\.json .* is gone/,
    scenario: null,
  },
  {
    entry: 23,
    message: 'Error starting daemon: error initializing graphdriver: devicemapper: Non existing device docker-thinpool',
    cause: /not activated at boot/,
    // The pool that is not active after power comes back, and vgchange -ay, not thin_check missing.
    scenario: 'docker-crash-mid-transaction.yaml',
  },
  {
    entry: 23,
    message: '/usr/sbin/thin_check: execvp failed: No such file or directory',
    cause: /thin-provisioning-tools package is missing/,
    scenario: 'docker-thin-check-missing-after-reboot.yaml',
  },
  {
    entry: 23,
    message: 'Check of pool docker/thinpool failed (status:2). Manual repair required!',
    cause: /thin_check could not run/,
    scenario: 'docker-thin-check-missing-after-reboot.yaml',
  },
  {
    entry: 24,
    message: 'Check of pool vg/thinpool failed (status:64). Manual repair required!',
    cause: /metadata damaged/,
    scenario: 'lvm-check-failed-repair.yaml',
  },
  {
    entry: 24,
    message: 'Thin device 1 has 1 errors and is missing 17817 mappings',
    cause: /metadata is damaged/,
    scenario: 'lvm-check-failed-repair.yaml',
  },
  {
    entry: 24,
    message: 'data space map contains leaks',
    cause: /0\.9\.0 passed data leaks/,
    scenario: 'tools-1x-leaked-block-fails-check.yaml',
  },
  {
    entry: 24,
    message: 'no compatible roots found',
    cause: /found no older compatible pair of roots/,
    scenario: 'tools-1x-repair-no-compatible-roots.yaml',
  },
  {
    entry: 25,
    message:
      'failed to prepare extraction snapshot "extract-349520000-Sx7b sha256:4e1f4b9d": failed to suspend device "docker--fc-thinpool--devmapper-snap-78199": no such device or address',
    cause: /parent snapshot's device that is gone/,
    scenario: 'containerd-1.4-suspend-leaks-record.yaml',
  },
  {
    entry: 25,
    // As the report pasted it: a logrus field with its quotes escaped and gRPC's `: unknown` code.
    message:
      'error="failed to prepare extraction snapshot \\"extract-291310233-tINQ sha256:548debedae4b2c03c1dd3abb3cb9a2ecab28447a6ff4ed7f446cfab2b992648d\\": failed to suspend device \\"docker--fc-thinpool--devmapper-snap-78199\\": no such device or address: unknown"',
    cause: /parent snapshot's device that is gone/,
    scenario: 'containerd-1.4-suspend-leaks-record.yaml',
  },
  {
    entry: 25,
    message:
      'failed to save metadata for device "...-snap-78200" (parent: "...-snap-78179"): device "...-snap-78200" is already there {DeviceID:548 ...}: object already exists',
    cause: /failed parent suspend left such a record/,
    scenario: 'containerd-1.4-suspend-leaks-record.yaml',
  },
  {
    entry: 25,
    message:
      'error="failed to create container, cleaning up: failed to save metadata for device \\"docker--fc-thinpool--devmapper-snap-78200\\" (parent: \\"docker--fc-thinpool--devmapper-snap-78179\\"): device \\"docker--fc-thinpool--devmapper-snap-78200\\" is already there {DeviceID:548 Size:3221225472 Name:docker--fc-thinpool--devmapper-snap-78200 ParentName:docker--fc-thinpool--devmapper-snap-78199 State:unknown 0 Error:}: object already exists"',
    cause: /failed parent suspend left such a record/,
    scenario: 'containerd-1.4-suspend-leaks-record.yaml',
  },
  {
    entry: 26,
    message:
      'failed to create containerd container: failed to save metadata for device "vg0-mythinpool-snap-67451" (parent: "vg0-mythinpool-snap-45443"): object already exists',
    cause: /before metadata\.db committed/,
    scenario: 'containerd-object-already-exists.yaml',
  },
  {
    entry: 26,
    message:
      '... device "vg_thin-containerd_thin_pool-snap-54" is already there {DeviceID:44 Size:10737418240 Name:vg_thin-containerd_thin_pool-snap-54 ParentName:vg_thin-containerd_thin_pool-snap-53 State:Activated Error:}: object already exists',
    cause: /before metadata\.db committed/,
    scenario: 'containerd-object-already-exists.yaml',
  },
  {
    entry: 27,
    message: 'INFO: task fdisk:4242 blocked for more than 120 seconds.',
    cause: /deactivated it deferred without resuming/,
    scenario: null,
  },
  {
    entry: 28,
    message:
      'failed to create snapshot "vg0-mythinpool-snap-1083" (dev: 59) from "vg0-mythinpool-snap-19" (dev: 6): ... file exists',
    cause: /exists in the pool though its database has it free/,
    scenario: null,
  },
  {
    entry: 28,
    message: 'failed to save initial metadata for snapshot "vg0-mythinpool-snap-4": object already exists',
    cause: /database and the pool disagree/,
    scenario: null,
  },
  {
    entry: 29,
    message: 'failed to mount rootfs component &{ext4 /dev/mapper/vg0-mythinpool-snap-2 []}: no such file or directory',
    cause: /record says Activated but its dm device is gone/,
    scenario: null,
  },
  {
    entry: 30,
    message:
      'failed to prepare extraction snapshot "extract-...": failed to create new thin device "VolGroup01-LV_ebs-snap-1"(dev: 6): invalid argument',
    cause: /refused create_thin with EINVAL/,
    scenario: 'containerd-create-thin-invalid-argument.yaml',
  },
  {
    entry: 31,
    // The report quotes no message; this is what containerd prints for the first id the pool still holds.
    message:
      'failed to prepare extraction snapshot "extract-1-abcd sha256:0f": failed to create new thin device "vg0-mythinpool-snap-1" (dev: 1): file exists',
    cause: /database was deleted or replaced while the pool kept its devices/,
    scenario: 'containerd-database-deleted-pool-keeps-ids.yaml',
  },
  {
    entry: 32,
    message:
      'failed to commit the preparing: failed to suspend device "containerd-snapshotter-suite-pool-...-snap-13": invalid argument',
    cause: /refused to suspend/,
    scenario: 'containerd-suspend-invalid-argument-retried.yaml',
  },
  {
    entry: 32,
    message: 'device-mapper: suspend ioctl on containerd-snapshotter-suite-pool-snap-13 failed: Invalid argument',
    cause: /refused to suspend/,
    scenario: 'containerd-suspend-invalid-argument-retried.yaml',
  },
];

describe('explain on the catalogue (docker-devicemapper.md §4)', () => {
  for (const row of ROWS) {
    it(`entry ${row.entry}: ${row.message.slice(0, 80)}`, () => {
      const e = explain(row.message, library);
      expect(e.entries, 'the entries whose reports show it').toContain(row.entry);
      expect(e.meaning).toMatch(row.cause);
      expect(e.source).toContain(`entr`);
      // Only a declared symptom or a printed line names a scenario that reproduces the message; a
      // pool state it implies is a weaker hint, listed after them.
      const reproducing = e.scenarios.filter((m) => m.how !== 'state').map((m) => basename(m.scenario.file));
      if (row.scenario === null) expect(reproducing).toEqual([]);
      else expect(reproducing).toContain(row.scenario);
    });
  }

  it('covers every entry with a message (17 has none: a state)', () => {
    const covered = new Set(ROWS.map((r) => r.entry));
    const missing = Array.from({ length: 32 }, (_, i) => i + 1).filter((n) => !covered.has(n));
    expect(missing).toEqual([17]);
  });
});

describe('normalising a pasted line', () => {
  it('strips a journal prefix, a logrus wrapper and a dmesg timestamp', () => {
    expect(
      normalizeSymptom(
        'Dec 06 10:00:01 host containerd[812]: time="2021-03-01T10:00:01Z" level=error msg="failed to suspend device \\"x-snap-1\\": no such device or address"',
      ),
    ).toBe('failed to suspend device "x-snap-1": no such device or address');
    expect(normalizeSymptom('[ 12.345678] device-mapper: thin: 253:0: switching pool to fail mode')).toBe(
      'device-mapper: thin: 253:0: switching pool to fail mode',
    );
  });

  it("makes two machines' lines equal: device names, ids, major:minor, hashes and sizes", () => {
    const lab = canonicalSymptom(
      'failed to save metadata for device "vg0-mythinpool-snap-2" (parent: "vg0-mythinpool-snap-1"): device "vg0-mythinpool-snap-2" is already there {DeviceID:2 Size:8589934592}: object already exists',
    );
    const field = canonicalSymptom(
      'failed to save metadata for device "docker--fc-thinpool--devmapper-snap-78200" (parent: "docker--fc-thinpool--devmapper-snap-78179"): device "docker--fc-thinpool--devmapper-snap-78200" is already there {DeviceID:548 Size:10737418240}: object already exists',
    );
    expect(field).toBe(lab);
    expect(canonicalSymptom('device-mapper: thin: 253:0: No free metadata blocks')).toBe(
      canonicalSymptom('device-mapper: thin: 254:12: No free metadata blocks'),
    );
    expect(canonicalSymptom('Data Space Used: 85.61 GB of 107.4 GB')).toBe(
      canonicalSymptom('Data Space Used: 1.2 MB of 2 GB'),
    );
    expect(canonicalSymptom('Non existing device docker-thinpool')).toBe(
      canonicalSymptom('Non existing device vg0-pool'),
    );
  });

  it('keeps what tells two causes apart: the failing call, thin_check not running', () => {
    expect(canonicalSymptom('Error running deviceCreate (ActivateDevice) dm_task_run failed')).not.toBe(
      canonicalSymptom('Error running deviceCreate (createPool) dm_task_run failed'),
    );
    expect(canonicalSymptom('Check of pool vg/pool failed (status:2).')).not.toBe(
      canonicalSymptom('Check of pool vg/pool failed (status:64).'),
    );
  });
});
