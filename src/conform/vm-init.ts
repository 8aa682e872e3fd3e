/**
 * The VM's /init: mount what a script expects, load the kernel modules, make the RAM disks, report the versions of what runs, then run /scenario.sh between two markers and
 * power off. Also the reading of that console output back. Pure text in, text out.
 */
import type { VmVersions } from './report.js';
import { VM_MODULES, type VmStack } from './vm-stacks.js';

/** The markers around the script's output on the console; a script is unlikely to print them. */
export const MARK = '@@thinlab-conform';

/**
 * The modules are tried in passes until a pass loads none: a module whose dependencies are not
 * loaded yet fails and is tried again, so the order of VM_MODULES does not have to be exact for
 * every kernel version (those built in are simply not there to load).
 */
const LOAD_MODULES = `left="${VM_MODULES.join(' ')}"
while [ -n "$left" ]; do
  next=""; loaded=0
  for m in $left; do
    [ -f /lib/modules/$m.ko ] || continue
    if [ "$m" = brd ]; then set -- rd_nr=2 rd_size=$RD; else set --; fi
    if insmod /lib/modules/$m.ko "$@" 2>/dev/null; then loaded=1; else next="$next $m"; fi
  done
  [ $loaded = 1 ] || break
  left=$next
done`;

/** The init script of a stack's VM. The RAM disk size comes from the kernel command line, so one image serves every size. */
export function initScript(stack: VmStack): string {
  const run = stack.pipeOutput
    ? '{ sh /scenario.sh 2>&1; echo $? > /run/.conform-rc; } | cat; rc=$(cat /run/.conform-rc)'
    : 'sh /scenario.sh 2>&1; rc=$?';
  return `#!/bin/sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run
for a in $(/bin/busybox --list); do [ -e /bin/$a ] || /bin/busybox ln -s busybox /bin/$a; done
export PATH=/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
mkdir -p /run/lvm /run/lock/lvm /etc/lvm/profile
RD=$(sed -n 's/.*ramdisk_kb=\\([0-9]*\\).*/\\1/p' /proc/cmdline)
${LOAD_MODULES}
echo
echo "${MARK} kernelRelease $(uname -r)"
echo "${MARK} kernel $(sed -n 's/.*Debian \\([0-9][0-9.]*\\).*/\\1/p' /proc/version)"
echo "${MARK} thinProvisioningTools $(thin_check -V 2>&1 | head -1)"
echo "${MARK} dmsetup $(dmsetup --version 2>&1 | head -1)"
echo "${MARK} lvm $(lvm version 2>&1 | head -1)"
echo "${MARK} busybox $(busybox 2>&1 | head -1)"
echo "${MARK} begin"
${run}
echo "${MARK} end $rc"
poweroff -f
`;
}

export interface VmTranscript {
  readonly text: string;
  readonly status: number;
  readonly versions: VmVersions;
}

/** The first version-like token (1.02.185, 0.9.0, 6.1.192) of a line, '' when there is none. */
function versionIn(line: string): string {
  return /[0-9]+\.[0-9]+(?:\.[0-9]+)*/.exec(line)?.[0] ?? '';
}

function versionsFrom(reported: ReadonlyMap<string, string>): VmVersions {
  const get = (key: string): string => reported.get(key) ?? '';
  return {
    kernelRelease: get('kernelRelease'),
    kernel: versionIn(get('kernel')),
    thinProvisioningTools: versionIn(get('thinProvisioningTools')),
    dmsetup: versionIn(get('dmsetup')),
    lvm: versionIn(get('lvm')),
    busybox: versionIn(get('busybox')),
  };
}

/**
 * The script's transcript from the VM's console (carriage returns dropped, as a terminal shows
 * it), or null when the console never reached the end marker (the VM did not boot, the script hung).
 */
export function parseConsole(console: string): VmTranscript | null {
  const lines = console.replaceAll('\r', '').split('\n');
  const reported = new Map<string, string>();
  const begin = lines.indexOf(`${MARK} begin`);
  if (begin < 0) return null;
  for (const line of lines.slice(0, begin)) {
    // The firmware's last words may share the line of the first report: read from the marker on.
    const m = new RegExp(`${MARK} ([A-Za-z]+) ?(.*)$`).exec(line);
    if (m !== null) reported.set(m[1]!, m[2]!);
  }
  for (let i = begin + 1; i < lines.length; i++) {
    const end = new RegExp(`^(.*)${MARK} end ([0-9]+)$`).exec(lines[i]!);
    if (end === null) continue;
    // Output without a final newline runs into the marker's line: it is still the script's.
    const body = [...lines.slice(begin + 1, i), ...(end[1] === '' ? [] : [end[1]!])];
    const text = body.length === 0 ? '' : `${body.join('\n')}${end[1] === '' ? '\n' : ''}`;
    return { text, status: Number(end[2]), versions: versionsFrom(reported) };
  }
  return null;
}
