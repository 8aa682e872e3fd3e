/**
 * RAM-disk sizes by name, so that a script pasted from the Docker demo into `thinlab sh` runs on
 * the machine the demo ran on (`--ramdisk-kb docker-demo`). The numbers live here, apart from the
 * lab, so that reading them for `--help` loads nothing else; a test holds `oracle` to the lab's
 * DEFAULT_RAMDISK_KB.
 */
import { UsageError } from './output.js';

/** The largest RAM disk a branch may record (src/replay/branch-registry.ts holds stored sizes to it too). */
export const MAX_RAMDISK_KB = 4 * 1024 * 1024 * 1024;

/** The kernel oracle VM's RAM disks (64 MiB each): the lab's default, what the fixtures were recorded on. */
export const ORACLE_RAMDISK_KB = 65536;
/** The Docker demo's RAM disks: 512 MiB each, room for real images (64 MiB holds only alpine). */
export const DOCKER_DEMO_RAMDISK_KB = 524288;

export const RAMDISK_PRESETS: Readonly<Record<string, number>> = {
  oracle: ORACLE_RAMDISK_KB,
  'docker-demo': DOCKER_DEMO_RAMDISK_KB,
};

/** `--ramdisk-kb`: a positive number of KiB or a preset's name; the default is the oracle's size. */
export function parseRamdiskKb(text: string | undefined): number {
  if (text === undefined) return ORACLE_RAMDISK_KB;
  const preset = RAMDISK_PRESETS[text];
  if (preset !== undefined) return preset;
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > MAX_RAMDISK_KB)
    throw new UsageError(
      `--ramdisk-kb needs a number of KiB from 1 to ${MAX_RAMDISK_KB} (4 TiB) or a preset (${Object.entries(
        RAMDISK_PRESETS,
      )
        .map(([k, v]) => `${k} = ${v}`)
        .join(', ')}), got '${text}'`,
    );
  return Number(text);
}
