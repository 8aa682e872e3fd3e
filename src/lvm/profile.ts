/**
 * LVM configuration profiles (`/etc/lvm/profile/NAME.profile`), the part thin pools use: the
 * `activation` section's `thin_pool_autoextend_threshold` and `thin_pool_autoextend_percent`.
 * Without a profile, lvm.conf's defaults apply: threshold 100 (never extend) and percent 20.
 */
import type { LabFileSystem } from '../shell/fs.js';
import { latin1Text } from '../shell/text-tools.js';

export interface AutoextendPolicy {
  readonly threshold: number;
  readonly percent: number;
}

export const DEFAULT_POLICY: AutoextendPolicy = { threshold: 100, percent: 20 };

export function profilePath(name: string): string {
  return `/etc/lvm/profile/${name}.profile`;
}

/** Reads `key = value` settings of a profile (LVM's config syntax: sections in braces, `#` comments). */
export function parseProfile(text: string): AutoextendPolicy {
  const setting = (key: string): number | undefined => {
    const m = new RegExp(`(?:^|[\\s{])${key}\\s*=\\s*([0-9]+)`, 'm').exec(text.replace(/#.*$/gm, ''));
    return m === null ? undefined : Number(m[1]);
  };
  return {
    threshold: setting('thin_pool_autoextend_threshold') ?? DEFAULT_POLICY.threshold,
    percent: setting('thin_pool_autoextend_percent') ?? DEFAULT_POLICY.percent,
  };
}

export function readProfile(fs: LabFileSystem, name: string | null): AutoextendPolicy {
  if (name === null) return DEFAULT_POLICY;
  const file = fs.get(profilePath(name));
  if (file === undefined) return DEFAULT_POLICY;
  return parseProfile(latin1Text(file.readBytes(0, file.sizeBytes)));
}
