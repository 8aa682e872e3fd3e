/**
 * /etc/lvm/lvm.conf as the lab reads it: the settings it models, and a refusal by name for every
 * other setting, so that a setting the lab would otherwise ignore cannot make a rehearsal pass
 * where the real LVM behaves otherwise. LVM reads its configuration at the start of every command,
 * and so does the lab (`checkLvmConf`). The autoextend settings and `activation/monitoring` are
 * read in profile.ts; `thin_check_executable` and `thin_check_options` here.
 */
import { notModelled } from '../lab/command-errors.js';
import type { LabFileSystem } from '../lab/fs.js';
import { latin1Text } from '../shared/bytes.js';

export const LVM_CONF = '/etc/lvm/lvm.conf';

/** Every lvm.conf setting the lab models (section/key). */
export const MODELLED_LVM_SETTINGS: readonly string[] = [
  'activation/thin_pool_autoextend_threshold',
  'activation/thin_pool_autoextend_percent',
  'activation/monitoring',
  'global/thin_check_executable',
  'global/thin_check_options',
  'global/thin_repair_executable',
];

/**
 * Settings accepted only with the one value that says what the lab does anyway: it has no udev,
 * no lvmpolld, and its LVM never runs thin_dump (the oracle's preamble sets these,
 * fixtures/lvm/oracle-preamble.sh). Any other value is refused.
 */
export const NO_EFFECT_LVM_SETTINGS: ReadonlyMap<string, readonly string[]> = new Map([
  ['devices/obtain_device_list_from_udev', ['0']],
  ['activation/udev_sync', ['0']],
  ['activation/udev_rules', ['0']],
  ['global/use_lvmpolld', ['0']],
  ['global/thin_dump_executable', ['"/sbin/thin_dump"', '"/usr/sbin/thin_dump"']],
  // The lab's dmeventd is built in (src/lvm/monitor.ts); the oracle's copy is /files/dmeventd.
  ['dmeventd/executable', ['"/files/dmeventd"', '"/sbin/dmeventd"', '"/usr/sbin/dmeventd"']],
]);

/** LVM 2.03.16's defaults for the thin check (lib/config/defaults.h). */
export const DEFAULT_THIN_CHECK_EXECUTABLE = '/usr/sbin/thin_check';
export const DEFAULT_THIN_CHECK_OPTIONS: readonly string[] = ['-q', '--clear-needs-check-flag'];

/** One `key = value` of LVM's config syntax, with the path of sections it is in. */
export interface LvmSetting {
  readonly path: string;
  readonly value: string;
}

const TOKEN = /([A-Za-z_][A-Za-z0-9_]*)\s*\{|\}|([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\[[^\]]*\]|"[^"]*"|[^\s}#]+)/g;

/** The settings of an LVM config text: sections in braces, `#` comments, arrays in brackets. */
export function parseLvmConfig(text: string): LvmSetting[] {
  const clean = text.replace(/#.*$/gm, '');
  const sections: string[] = [];
  const settings: LvmSetting[] = [];
  for (const m of clean.matchAll(TOKEN)) {
    if (m[1] !== undefined) sections.push(m[1]);
    else if (m[0] === '}') sections.pop();
    else settings.push({ path: [...sections, m[2]!].join('/'), value: m[3]! });
  }
  return settings;
}

function confSettings(fs: LabFileSystem): LvmSetting[] {
  const file = fs.get(LVM_CONF);
  return file === undefined ? [] : parseLvmConfig(latin1Text(file.readBytes(0, file.sizeBytes)));
}

/** The settings a configuration profile (/etc/lvm/profile/NAME.profile) may hold in the lab. */
export const MODELLED_PROFILE_SETTINGS: readonly string[] = [
  'activation/thin_pool_autoextend_threshold',
  'activation/thin_pool_autoextend_percent',
];

/**
 * Refuses, by name, the first lvm.conf or profile setting the lab does not model (LVM reads its
 * configuration at every command).
 */
export function checkLvmConf(fs: LabFileSystem): void {
  for (const path of fs.list('/etc/lvm/profile/')) {
    const f = fs.get(path)!;
    const bad = parseLvmConfig(latin1Text(f.readBytes(0, f.sizeBytes))).find(
      (s) => !MODELLED_PROFILE_SETTINGS.includes(s.path),
    );
    if (bad !== undefined)
      throw notModelled(`${path} setting ${bad.path} (the lab models ${MODELLED_PROFILE_SETTINGS.join(', ')})`);
  }
  const unmodelled = confSettings(fs).find(
    (s) => !MODELLED_LVM_SETTINGS.includes(s.path) && NO_EFFECT_LVM_SETTINGS.get(s.path)?.includes(s.value) !== true,
  );
  if (unmodelled !== undefined)
    throw notModelled(
      `lvm.conf setting ${unmodelled.path} = ${unmodelled.value} (the lab models ${MODELLED_LVM_SETTINGS.join(', ')})`,
    );
}

function stringValue(value: string): string {
  return value.replace(/^"(.*)"$/s, '$1');
}

/** `global/thin_repair_executable`, over LVM's default. */
export function thinRepairExecutable(fs: LabFileSystem): string {
  const exe = confSettings(fs).find((s) => s.path === 'global/thin_repair_executable');
  return exe === undefined ? '/usr/sbin/thin_repair' : stringValue(exe.value);
}

/** `global/thin_check_executable` and `global/thin_check_options`, over LVM's defaults. */
export function thinCheckConfig(fs: LabFileSystem): { executable: string; options: string[] } {
  const settings = confSettings(fs);
  const exe = settings.find((s) => s.path === 'global/thin_check_executable');
  const opts = settings.find((s) => s.path === 'global/thin_check_options');
  const options =
    opts === undefined
      ? [...DEFAULT_THIN_CHECK_OPTIONS]
      : [...opts.value.matchAll(/"([^"]*)"/g)].map((m) => m[1]!).filter((o) => o !== '');
  return { executable: exe === undefined ? DEFAULT_THIN_CHECK_EXECUTABLE : stringValue(exe.value), options };
}
