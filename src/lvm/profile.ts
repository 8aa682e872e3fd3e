/**
 * LVM's configuration, the part thin pools use: `/etc/lvm/lvm.conf` and configuration profiles
 * (`/etc/lvm/profile/NAME.profile`). A pool's autoextend policy is the `activation` section's
 * `thin_pool_autoextend_threshold` and `thin_pool_autoextend_percent`, taken from the pool's
 * profile when it sets them, else from lvm.conf, else LVM's defaults (threshold 100: never extend;
 * percent 20). `activation/monitoring` (default 1) says whether dmeventd watches the pools.
 */
import type { LabFileSystem } from '../lab/fs.js';
import { latin1Text } from '../shared/bytes.js';

export interface AutoextendPolicy {
  readonly threshold: number;
  readonly percent: number;
}

export const DEFAULT_POLICY: AutoextendPolicy = { threshold: 100, percent: 20 };
export const LVM_CONF_PATH = '/etc/lvm/lvm.conf';

export function profilePath(name: string): string {
  return `/etc/lvm/profile/${name}.profile`;
}

/** A numeric `key = value` setting of LVM's config syntax (sections in braces, `#` comments); undefined when absent. */
function numericSetting(text: string, key: string): number | undefined {
  const m = new RegExp(`(?:^|[\\s{])${key}\\s*=\\s*([0-9]+)`, 'm').exec(text.replace(/#.*$/gm, ''));
  return m === null ? undefined : Number(m[1]);
}

function fileText(fs: LabFileSystem, path: string): string {
  const file = fs.get(path);
  return file === undefined ? '' : latin1Text(file.readBytes(0, file.sizeBytes));
}

/** The settings of one profile or lvm.conf text, over `base` for what it leaves out. */
export function parseProfile(text: string, base: AutoextendPolicy = DEFAULT_POLICY): AutoextendPolicy {
  return {
    threshold: numericSetting(text, 'thin_pool_autoextend_threshold') ?? base.threshold,
    percent: numericSetting(text, 'thin_pool_autoextend_percent') ?? base.percent,
  };
}

/** A pool's policy: its profile over lvm.conf over LVM's defaults. */
export function readProfile(fs: LabFileSystem, name: string | null): AutoextendPolicy {
  const global = parseProfile(fileText(fs, LVM_CONF_PATH));
  return name === null ? global : parseProfile(fileText(fs, profilePath(name)), global);
}

/** `activation/monitoring` of lvm.conf: LVM's default is 1 (dmeventd watches thin pools). */
export function monitoringEnabled(fs: LabFileSystem): boolean {
  return (numericSetting(fileText(fs, LVM_CONF_PATH), 'monitoring') ?? 1) !== 0;
}
