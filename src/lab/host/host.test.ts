import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab-shell.js';

const shell = (ramdiskKb = 65536): LabShell => new LabShell({ ramdiskKb });

/** Runs lines one at a time and returns everything they printed. */
function run(sh: LabShell, script: string): string {
  let out = '';
  for (const step of sh.steps(script)) out += step.output;
  return out;
}

const DIRECT_LVM = `pvcreate /dev/ram0 >/dev/null; vgcreate docker /dev/ram0 >/dev/null
lvcreate --wipesignatures y -n thinpool docker -l 95%VG >/dev/null
lvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG >/dev/null
lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta >/dev/null 2>&1
echo '{"storage-driver": "devicemapper", "storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool"]}' > /etc/docker/daemon.json
systemctl start docker
docker pull alpine >/dev/null
`;

describe('kernel modules', () => {
  it('a thin-pool table is refused while dm_thin_pool is not loaded, and accepted once it is again', () => {
    const sh = shell();
    const out = run(
      sh,
      `rmmod dm_thin_pool
dmsetup targets | grep -c thin
dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes; echo rc=$?
modprobe dm_thin_pool; echo rc=$?
dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes; echo rc=$?
modprobe -r dm_thin_pool; echo rc=$?
`,
    );
    expect(out).toBe(
      '0\ndevice-mapper: reload ioctl on pool (254:0) failed: Invalid argument\nCommand failed.\nrc=1\nrc=0\nrc=0\nmodprobe: FATAL: Module dm_thin_pool is in use.\nrc=1\n',
    );
  });

  it('modprobe -r takes the unused dependencies with it; a missing module and a bad option are named', () => {
    const sh = shell();
    expect(run(sh, 'modprobe -r dm_thin_pool; lsmod | grep -c -E "^dm_(thin_pool|bio_prison|persistent_data) "')).toBe(
      '0\n',
    );
    expect(run(sh, 'modprobe nosuch; echo rc=$?')).toBe(
      'modprobe: FATAL: Module nosuch not found in directory /lib/modules/6.1.0-57-amd64\nrc=1\n',
    );
    expect(run(sh, 'modprobe -a dm_zero; echo rc=$?')).toBe('thinlab: not modelled: modprobe -a\nrc=2\n');
    expect(run(sh, 'rmmod -f dm_zero; echo rc=$?')).toBe('thinlab: not modelled: rmmod -f\nrc=2\n');
  });
});

describe('boot', () => {
  it('a blacklisted module is not loaded at boot; an explicit modprobe still loads it', () => {
    const sh = shell();
    const out = run(
      sh,
      `echo 'blacklist dm_thin_pool' > /etc/modprobe.d/no-thin.conf
reboot
journalctl -b
lsmod | grep -c '^dm_thin_pool '
modprobe dm_thin_pool; lsmod | grep -c '^dm_thin_pool '
`,
    );
    expect(out).toBe("systemd-modules-load[212]: Module 'dm_thin_pool' is deny-listed (by kmod)\n0\n1\n");
  });

  it('boot is refused unless power was lost; after a crash it brings the units up again in order', () => {
    const sh = shell(524288);
    expect(run(sh, 'boot; echo rc=$?')).toMatch(/^thinlab: boot: the host is running.*\nrc=1\n$/);
    run(sh, DIRECT_LVM);
    const out = run(
      sh,
      'crash\ndocker images | grep -c alpine\nboot\ndocker images | grep -c alpine\nlvs -o lv_name,lv_attr docker',
    );
    expect(out).toBe(
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n0\n1\n  LV       Attr      \n  thinpool twi-a-t---\n',
    );
    expect(run(sh, 'journalctl -u docker | grep systemd | tail -n 2')).toBe(
      'systemd[1]: Starting docker.service - Docker Application Container Engine...\nsystemd[1]: Started docker.service - Docker Application Container Engine.\n',
    );
  });

  it('a removed device node comes back at boot', () => {
    const sh = shell();
    expect(run(sh, 'rm /dev/ram1; test -b /dev/ram1; echo $?; reboot; test -b /dev/ram1; echo $?')).toBe('1\n0\n');
  });

  it('a unit that is disabled does not start at boot', () => {
    const sh = shell(524288);
    run(sh, DIRECT_LVM);
    expect(run(sh, 'systemctl disable docker; reboot; docker images; echo rc=$?')).toBe(
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\nrc=1\n',
    );
  });
});

describe('LVM runs the thin_check that lvm.conf names', () => {
  it('an empty thin_check_executable turns the check off; another program is refused by name', () => {
    const sh = shell(524288);
    run(sh, DIRECT_LVM);
    run(sh, 'systemctl stop docker; lvchange -an docker/thinpool; rm /usr/sbin/thin_check');
    expect(run(sh, 'lvchange -ay docker/thinpool; echo rc=$?')).toBe(
      '  /usr/sbin/thin_check: execvp failed: No such file or directory\n  Check of pool docker/thinpool failed (status:2). Manual repair required!\nrc=5\n',
    );
    expect(
      run(
        sh,
        `echo 'global { thin_check_executable = "" }' > /etc/lvm/lvm.conf; lvchange -ay docker/thinpool; echo rc=$?`,
      ),
    ).toBe('rc=0\n');
    run(sh, 'lvchange -an docker/thinpool; apt-get install thin-provisioning-tools >/dev/null');
    expect(
      run(
        sh,
        `echo 'global { thin_check_executable = "/usr/sbin/thin_dump" }' > /etc/lvm/lvm.conf; lvchange -ay docker/thinpool; echo rc=$?`,
      ),
    ).toBe(
      'thinlab: not modelled: running /usr/sbin/thin_dump as thin_check_executable (the lab runs /usr/sbin/thin_check)\nrc=2\n',
    );
    expect(
      run(
        sh,
        `echo 'global { thin_check_options = [ "-q", "--skip-mappings" ] }' > /etc/lvm/lvm.conf; lvchange -ay docker/thinpool; echo rc=$?`,
      ),
    ).toBe('rc=0\n');
  });

  it('an lvm.conf setting the lab does not model refuses every LVM command, by name', () => {
    const sh = shell();
    expect(
      run(sh, `echo 'activation { auto_activation_volume_list = [ "vg0" ] }' > /etc/lvm/lvm.conf; pvs; echo rc=$?`),
    ).toMatch(
      /^thinlab: not modelled: lvm.conf setting activation\/auto_activation_volume_list = \[ "vg0" \] .*\nrc=2\n$/,
    );
    expect(run(sh, `echo 'activation { udev_sync = 1 }' > /etc/lvm/lvm.conf; pvs; echo rc=$?`)).toMatch(
      /^thinlab: not modelled: lvm.conf setting activation\/udev_sync = 1 .*\nrc=2\n$/,
    );
    expect(run(sh, `echo 'activation { udev_sync = 0 }' > /etc/lvm/lvm.conf; vgs; echo rc=$?`)).not.toContain(
      'not modelled',
    );
  });
});

describe('files are real', () => {
  it('a removed program is not found, by name or by path; apt-get install puts it back', () => {
    const sh = shell();
    expect(
      run(sh, 'rm /sbin/thin_dump; thin_dump /dev/ram0; echo rc=$?; /usr/sbin/thin_dump /dev/ram0; echo rc=$?'),
    ).toMatch(/thin_dump: not found\nrc=127\n.*not found\nrc=127\n$/);
    expect(run(sh, 'apt-get install nosuch; echo rc=$?')).toBe(
      'Reading package lists...\nBuilding dependency tree...\nReading state information...\nE: Unable to locate package nosuch\nrc=100\n',
    );
    run(sh, 'apt-get install thin-provisioning-tools');
    expect(run(sh, 'thin_dump /dev/ram0 >/dev/null 2>&1; echo rc=$?')).not.toBe('rc=127\n');
  });

  it("removing containerd's snapshotter root deletes its records, for the next start", () => {
    const sh = shell(262144);
    run(
      sh,
      `pvcreate /dev/ram0 >/dev/null; vgcreate vg0 /dev/ram0 >/dev/null
lvcreate --thinpool vg0/pool -L 100M >/dev/null 2>&1
printf '[plugins."io.containerd.snapshotter.v1.devmapper"]\\n  pool_name = "vg0-pool"\\n  root_path = "/var/lib/containerd/devmapper"\\n  base_image_size = "64MB"\\n' > /etc/containerd/config.toml
systemctl start containerd
ctr images pull --snapshotter devmapper docker.io/library/alpine:latest >/dev/null`,
    );
    const before = run(sh, 'containerd-devices | wc -l');
    expect(Number(before.trim())).toBeGreaterThan(0);
    // The running daemon keeps its open databases; the next start finds none.
    expect(run(sh, 'rm -rf /var/lib/containerd/devmapper; echo rc=$?; containerd-devices | wc -l')).toBe(
      `rc=0\n${before}`,
    );
    // Only the header line is left.
    expect(run(sh, 'systemctl restart containerd; containerd-devices | wc -l')).toBe('1\n');
    expect(run(sh, 'rm -rf /var/lib/containerd/other; echo rc=$?')).toMatch(
      /^thinlab: not modelled: removing \/var\/lib\/containerd\/other .*\nrc=2\n$/,
    );
  });

  it('an unmodelled containerd key or daemon.json directive is refused by name', () => {
    const sh = shell();
    expect(
      run(
        sh,
        `printf '[plugins."io.containerd.snapshotter.v1.devmapper"]\\n  pool_name = "p"\\n  fs_options = "x"\\n' > /etc/containerd/config.toml; systemctl start containerd; echo rc=$?`,
      ),
    ).toMatch(
      /^thinlab: not modelled: config.toml key plugins.io.containerd.snapshotter.v1.devmapper.fs_options .*\nrc=2\n$/,
    );
    expect(run(sh, `echo '{"data-root": "/srv/docker"}' > /etc/docker/daemon.json; dockerd; echo rc=$?`)).toBe(
      'failed to start daemon: thinlab: not modelled: daemon.json directive "data-root"\nrc=1\n',
    );
  });
});

describe('blockdev', () => {
  it('refuses the options it does not model by name', () => {
    expect(run(shell(), 'blockdev --setro /dev/ram0; echo rc=$?')).toBe(
      'thinlab: not modelled: blockdev --setro\nrc=2\n',
    );
  });
});
