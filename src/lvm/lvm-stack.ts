/**
 * What LVM prints differently from one stack to the other: LVM 2.03.16 (debian12) and 2.03.31
 * (debian13), as the oracle recorded them (`fixtures/lvm/*.out` and `*.debian13.out`). The lab has
 * one LVM; where the two versions differ, the commands ask `lvmStack(ctx)` for the version's data
 * instead of keeping a second copy of a command.
 */
import type { ShellContext } from '../lab/context.js';
import { LIBDM_VERSION } from '../lab/dmsetup.js';
import type { StackId } from '../model/stack.js';
import type { LvmVersion } from './lvm-options.js';

export interface LvmStackBehaviour {
  /** LVM's version, as `lvm version` names it. */
  readonly version: LvmVersion;
  /**
   * lvs's Monitor column for an active pool that dmeventd does not watch: 2.03.16 leaves it empty
   * when activation/monitoring is 0, 2.03.31 says so (fixtures/lvm/80).
   */
  readonly monitoringDisabledText: string;
  /** lvconvert --repair of an active pool (fixtures/lvm/84). */
  readonly activePoolRepairText: (vg: string, pool: string) => string;
  /**
   * 2.03.31 keeps the unrepaired metadata of a repair (`POOL_meta0`) read-only: lvs shows `-ri-`
   * where 2.03.16 shows `-wi-` (fixtures/lvm/84).
   */
  readonly repairBackupReadOnly: boolean;
  /**
   * `lvextend --poolmetadatasize`: 2.03.16 checks over-provisioning and reports the resize with
   * the `_tmeta` volume it grew (`thin pools`, `vg/pool_tmeta successfully resized`), 2.03.31 with
   * the pool (`thin pool vg/pool`, `vg/pool successfully resized`) (fixtures/lvm/81).
   */
  readonly metadataResizeNamesPool: boolean;
  /**
   * lvextend of a volume that does not exist: 2.03.16's lvresize words it its own way, 2.03.31
   * as every other command (fixtures/lvm/82).
   */
  readonly lvextendOwnNotFoundText: boolean;
  /** `lvconvert --repair` of a volume that is not a pool: 2.03.31 makes the first line a WARNING (fixtures/lvm/90). */
  readonly lvTypeRefusalPrefix: string;
  /** lvm2's command-form descriptions end in a space in 2.03.16 (`Repair a thin pool. `), not in 2.03.31 (fixtures/lvm/90). */
  readonly syntaxLineEnd: string;
  /** `lvm version`'s first line: the release and its date (fixtures/lvm/101). */
  readonly release: string;
  /** `lvm version`'s `Configuration:` line: Debian's ./configure options for its lvm2 package (fixtures/lvm/101). */
  readonly configure: string;
}

/** The ./configure options both Debian packages give (fixtures/lvm/101), before and after each one's own. */
const CONFIGURE_HEAD =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ./configure's own ${prefix}, which lvm version prints as it is.
  './configure --build=x86_64-linux-gnu --prefix=/usr --includedir=${prefix}/include --mandir=${prefix}/share/man --infodir=${prefix}/share/info --sysconfdir=/etc --localstatedir=/var --disable-option-checking --disable-silent-rules --libdir=${prefix}/lib/x86_64-linux-gnu --runstatedir=/run --disable-maintainer-mode --disable-dependency-tracking';
const CONFIGURE_MIDDLE =
  '--with-usrlibdir=/usr/lib/x86_64-linux-gnu --with-optimisation=-O2 --with-cache=internal --with-device-uid=0 --with-device-gid=6 --with-device-mode=0660 --with-default-pid-dir=/run --with-default-run-dir=/run/lvm --with-default-locking-dir=/run/lock/lvm --with-thin=internal --with-thin-check=/usr/sbin/thin_check --with-thin-dump=/usr/sbin/thin_dump --with-thin-repair=/usr/sbin/thin_repair';
const CONFIGURE_ENABLES =
  '--enable-applib --enable-blkid_wiping --enable-cmdlib --enable-dmeventd --enable-editline --enable-lvmlockd-dlm --enable-lvmlockd-sanlock --enable-lvmpolld --enable-notify-dbus --enable-pkgconfig --enable-udev_rules --enable-udev_sync';

export const LVM_STACKS: Readonly<Record<StackId, LvmStackBehaviour>> = {
  debian12: {
    version: '2.03.16',
    monitoringDisabledText: '',
    activePoolRepairText: () => 'Active pools cannot be repaired.  Use lvchange -an first.',
    repairBackupReadOnly: false,
    metadataResizeNamesPool: false,
    lvextendOwnNotFoundText: true,
    lvTypeRefusalPrefix: '',
    syntaxLineEnd: ' ',
    release: '2.03.16(2) (2022-05-18)',
    configure: `${CONFIGURE_HEAD} --libdir=/lib/x86_64-linux-gnu --sbindir=/sbin ${CONFIGURE_MIDDLE} --with-udev-prefix=/ ${CONFIGURE_ENABLES} --disable-readline`,
  },
  debian13: {
    version: '2.03.31',
    monitoringDisabledText: 'not enabled',
    activePoolRepairText: (vg, pool) => `Cannot repair active pool ${vg}/${pool}.  Use lvchange -an first.`,
    repairBackupReadOnly: true,
    metadataResizeNamesPool: true,
    lvextendOwnNotFoundText: false,
    lvTypeRefusalPrefix: 'WARNING: ',
    syntaxLineEnd: '',
    release: '2.03.31(2) (2025-02-27)',
    configure: `${CONFIGURE_HEAD} --enable-write_install --prefix=/usr --exec-prefix=/usr ${CONFIGURE_MIDDLE} ${CONFIGURE_ENABLES} --enable-write_install --disable-readline`,
  },
};

/** `lvm version` (and any LVM command's `--version`): LVM's, libdevmapper's and the kernel's dm versions. */
export function lvmVersionText(ctx: ShellContext): string {
  const lvm = lvmStack(ctx);
  return [
    `  LVM version:     ${lvm.release}`,
    `  Library version: ${LIBDM_VERSION[ctx.machine.stack]}`,
    `  Driver version:  ${ctx.machine.kernel.dmIoctlVersion}`,
    `  Configuration:   ${lvm.configure}`,
    '',
  ].join('\n');
}

/** The LVM of the lab's stack. */
export function lvmStack(ctx: ShellContext): LvmStackBehaviour {
  return LVM_STACKS[ctx.machine.stack];
}
