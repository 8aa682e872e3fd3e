/**
 * readlink and realpath against the host's busybox 1.35.0 case by case (each case in a directory
 * of its own, $D), over what the lab has without symbolic links of its own making: files,
 * directories, missing names, trailing slashes, `..`, and the VM's own directories.
 */
import { describe, expect, it } from 'vitest';
import { busyboxAndLabInDirectories, hasHostBusybox } from './busybox-test-support.js';
import { LabShell } from './lab-shell.js';

const SETUP = "printf 'x\\n' > $D/f; mkdir $D/d";

const CASES = [
  'readlink $D/f',
  'readlink -v $D/f',
  'readlink -v $D/nx',
  'readlink -f $D/f',
  'readlink -fn $D/f',
  'readlink -f $D/nx',
  'readlink -f $D/nx/y',
  'readlink -f $D/f/',
  'readlink -f $D//d/./../f',
  'readlink -f $D/d/',
  'readlink -f $D/d/..',
  'readlink -f /',
  'readlink -f //',
  'readlink -f /nothere',
  'readlink -f ///nothere//',
  'readlink -f ""',
  'readlink',
  'readlink $D/f $D/f',
  'readlink -e $D/f',
  'readlink -sq $D/f',
  'realpath $D/f $D/nx $D/nx/y $D/d/.. $D/f/',
  'realpath',
  'realpath ""',
  'realpath -z $D/f',
  'realpath nothere',
  'realpath /tmp /tmp/ //tmp/../tmp',
].map((c) => `${c}; echo rc=$?`);

describe.runIf(hasHostBusybox)('readlink and realpath agree with the host busybox 1.35 case by case', () => {
  it('files, directories, missing names and options', () => {
    const { busybox, lab } = busyboxAndLabInDirectories(CASES, SETUP);
    expect(lab.length).toBe(busybox.length);
    for (const [k, text] of lab.entries()) expect(text).toBe(busybox[k]);
  });
});

describe('readlink and realpath on the VM nodes', () => {
  it('reads the /sys/block links and refuses what lies past them by name', () => {
    const shell = new LabShell({ ramdiskKb: 1024 });
    const out = shell.runScript(
      'readlink /sys/block/ram0; echo rc=$?; readlink -f /sys/block/ram0; echo rc=$?; realpath /dev/ram0 /dev/mapper/control',
    );
    expect(out).toBe(
      '../devices/virtual/block/ram0\nrc=0\n' +
        'thinlab: not modelled: resolving /sys/devices (the lab does not know what is there)\nrc=2\n' +
        '/dev/ram0\n/dev/mapper/control\n',
    );
  });

  it("follows LVM's /dev/VG/LV links as probe 214 recorded them on both VMs", () => {
    const shell = new LabShell({ ramdiskKb: 65536 });
    const out = shell.runScript(
      [
        'pvcreate /dev/ram1 >/dev/null; vgcreate vg0 /dev/ram1 >/dev/null; lvcreate -L 8M -n lv0 vg0 >/dev/null',
        'readlink /dev/vg0/lv0; readlink -f /dev/vg0/lv0; realpath /dev/mapper/vg0-lv0 /dev/vg0//lv0 /dev/vg0',
        'lvchange -an vg0/lv0 >/dev/null; readlink -v /dev/vg0/lv0; realpath /dev/vg0/lv0/x',
      ].join('\n'),
    );
    expect(out).toBe(
      '/dev/mapper/vg0-lv0\n/dev/mapper/vg0-lv0\n/dev/mapper/vg0-lv0\n/dev/mapper/vg0-lv0\n/dev/vg0\n' +
        'readlink: /dev/vg0/lv0: cannot read link: No such file or directory\n' +
        'realpath: /dev/vg0/lv0/x: No such file or directory\n',
    );
  });
});

describe('links LVM did not make', () => {
  it('gives a device dmsetup made no /dev/VG/LV link, whatever its name (probe 214: pool-meta has no /dev/pool)', () => {
    const shell = new LabShell({ ramdiskKb: 1024 });
    const out = shell.runScript(
      [
        'dmsetup create pool-meta --table "0 1024 linear /dev/ram0 0"; dmsetup mknodes',
        'ls /dev | grep -c "^pool$"; ls /dev/pool; stat -c %F /dev/pool/meta; test -L /dev/pool/meta; echo rc=$?',
        'readlink -f /dev/pool/meta; echo rc=$?',
      ].join('\n'),
    );
    expect(out).toBe(
      '0\nls: /dev/pool: No such file or directory\n' +
        "stat: can't stat '/dev/pool/meta': No such file or directory\nrc=1\nrc=1\n",
    );
  });
});

describe("readlink's usage on each stack", () => {
  it('lists -n first on debian13 (busybox 1.37), -f first on debian12 (1.35)', () => {
    const usage = (stack: 'debian12' | 'debian13') =>
      new LabShell({ ramdiskKb: 1024, stack }).runScript('readlink 2>&1 | sed -n 7p; readlink --help 2>&1 | sed -n 7p');
    expect(usage('debian12')).toBe('\t-f\tCanonicalize by following all symlinks\n'.repeat(2));
    expect(usage('debian13')).toBe("\t-n\tDon't add newline\n".repeat(2));
  });
});
