import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { parseGoJson } from './go-json.js';
import { parseDmOptions } from './options.js';
import { humanSize, ramInBytes } from './units.js';

describe('docker units', () => {
  it('prints sizes as go-units HumanSize does (decimal, %.4g)', () => {
    expect(humanSize(107374182400)).toBe('107.4GB');
    expect(humanSize(65536)).toBe('65.54kB');
    expect(humanSize(524288)).toBe('524.3kB');
    expect(humanSize(10737418240)).toBe('10.74GB');
    expect(humanSize(8589934592)).toBe('8.59GB');
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(19922944)).toBe('19.92MB');
  });

  it('reads sizes as RAMInBytes does (binary)', () => {
    expect(ramInBytes('10G')).toBe(10 * 1024 ** 3);
    expect(ramInBytes('512k')).toBe(512 * 1024);
    expect(ramInBytes('20GiB')).toBe(20 * 1024 ** 3);
    expect(ramInBytes('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(ramInBytes('ten')).toBe("invalid size: 'ten'");
  });
});

describe("Go's JSON errors for daemon.json", () => {
  it.each([
    ['{"a": [1,]}', "invalid character ']' looking for beginning of value"],
    ['{"a": 1,}', "invalid character '}' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a": 1 "b": 2}', "invalid character '\"' after object key:value pair"],
    ['{"a": tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a": 1', 'unexpected end of JSON input'],
    ['{} x', "invalid character 'x' after top-level value"],
    ["{'a': 1}", "invalid character '\\'' looking for beginning of object key string"],
  ])('%s', (text, message) => {
    expect(parseGoJson(text)).toEqual({ ok: false, error: message });
  });

  it('reads valid JSON', () => {
    expect(parseGoJson('{"storage-opts": ["dm.basesize=20G"], "debug": true}')).toEqual({
      ok: true,
      value: { 'storage-opts': ['dm.basesize=20G'], debug: true },
    });
  });
});

describe('dm.* options', () => {
  it('has the driver defaults', () => {
    const o = parseDmOptions([]);
    expect(typeof o).toBe('object');
    if (typeof o === 'string') return;
    expect(o.baseSizeBytes).toBe(10 * 1024 ** 3);
    expect(o.loopDataSizeBytes).toBe(100 * 1024 ** 3);
    expect(o.loopMetadataSizeBytes).toBe(2 * 1024 ** 3);
    expect(o.blockSizeSectors).toBe(128);
    expect(o.minFreeSpacePercent).toBe(10);
    expect(o.blkDiscard).toBe(true);
  });

  it('turns blkdiscard off by default with an external pool', () => {
    const o = parseDmOptions(['dm.thinpooldev=/dev/mapper/docker-thinpool']);
    expect(typeof o !== 'string' && o.blkDiscard).toBe(false);
    expect(typeof o !== 'string' && o.thinPoolDevice).toBe('docker-thinpool');
  });

  it.each([
    [['dm.foo=1'], 'devmapper: Unknown option dm.foo'],
    [['DM.FOO=1'], 'devmapper: Unknown option dm.foo'],
    [['dm.fs=btrfs'], 'devmapper: Unsupported filesystem btrfs'],
    [['dm.min_free_space=10'], 'devmapper: Option dm.min_free_space requires % suffix'],
    [['dm.min_free_space=100%'], 'devmapper: Invalid value 100 for option dm.min_free_space'],
    [['dm.basesize=lots'], "invalid size: 'lots'"],
    [
      ['dm.thinp_percent=100', 'dm.thinp_metapercent=1', 'dm.directlvm_device=/dev/ram0'],
      'dm.thinp_percent must be greater than 0 and less than 100',
    ],
    [
      ['dm.thinp_percent=95', 'dm.directlvm_device=/dev/ram0'],
      'must set both `dm.thinp_percent` and `dm.thinp_metapercent` if either is specified',
    ],
    [
      ['dm.thinp_percent=95', 'dm.thinp_metapercent=10', 'dm.directlvm_device=/dev/ram0'],
      'combined `dm.thinp_percent` and `dm.thinp_metapercent` must not be greater than 100',
    ],
    [
      ['dm.thinp_percent=95', 'dm.thinp_metapercent=1'],
      'must provide device path in `dm.directlvm_device` in order to configure direct-lvm',
    ],
    [
      ['dm.directlvm_device=/dev/ram0', 'dm.thinpooldev=x'],
      'cannot setup direct-lvm when `dm.thinpooldev` is also specified',
    ],
    [['dm.thinp_autoextend_threshold=101'], 'dm.thinp_autoextend_threshold must be greater than 0 and less than 100'],
    [
      ['dm.use_deferred_removal=false', 'dm.use_deferred_deletion=true'],
      'devmapper: Deferred deletion can not be enabled as deferred removal is not enabled. Enable deferred removal using --storage-opt dm.use_deferred_removal=true parameter',
    ],
    [['dm.libdm_log_level=9'], 'dm.libdm_log_level must be in range [2,7]'],
  ])('%j fails with the driver text', (opts, message) => {
    expect(parseDmOptions(opts)).toBe(message);
  });
});

/** The lab's state apart from logs and the shell's own variables: what a refused command must not change. */
function footprint(shell: LabShell): string {
  const devices = shell.machine
    .deviceList()
    .map((d) => `${d.name}:${d.live === null ? '' : shell.machine.targetStatus(d, true)}`);
  const { log: _log, ...docker } = shell.docker;
  const { monitorLog: _m, monitorLastMs: _t, ...lvm } = shell.lvm;
  return JSON.stringify({ devices, docker, lvm });
}

describe('bad input changes nothing', () => {
  const setup = [
    'pvcreate /dev/ram0 >/dev/null; vgcreate docker /dev/ram0 >/dev/null',
    'lvcreate --thinpool docker/thinpool -l 90%VG -Zn >/dev/null',
    'echo \'{"storage-driver": "devicemapper", "storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool"]}\' > /etc/docker/daemon.json',
    'systemctl start docker',
    'docker run -d --name web alpine >/dev/null 2>&1',
  ];

  it.each([
    ['lvcreate -n x -L 4M nosuch', '  Volume group "nosuch" not found\n  Cannot process volume group nosuch\n', '5'],
    ['lvextend -L+4M nosuch/pool', '  Volume group "nosuch" not found\n  Cannot process volume group nosuch\n', '5'],
    ['lvextend -L+4M docker/nopool', '  Logical volume nopool not found in volume group docker.\n', '5'],
    ['vgcreate docker /dev/ram1', '  A volume group called docker already exists.\n', '5'],
    ['pvcreate /dev/ram7', '  No device found for /dev/ram7.\n', '5'],
    [
      'lvcreate -n big -L 10G docker',
      '  Volume group "docker" has insufficient free space (5 extents): 2560 required.\n',
      '5',
    ],
    ['lvs -o lv_name,bogus', '  Unrecognised field: bogus\n', '5'],
    ['docker rm nosuch', 'Error: No such container: nosuch\n', '1'],
    ['docker stop nosuch', 'Error response from daemon: No such container: nosuch\n', '1'],
    ['docker exec nosuch ls', 'Error response from daemon: No such container: nosuch\n', '1'],
    [
      'docker rmi alpine',
      'Error response from daemon: conflict: unable to remove repository reference "alpine" (must force) - container ',
      '1',
    ],
    ['docker rm web', 'Error response from daemon: You cannot remove a running container ', '1'],
    [
      'docker pull nosuchimage',
      "Using default tag: latest\nError response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n",
      '1',
    ],
    ['docker run --storage-opt foo=1 alpine', 'Error response from daemon: Unknown option foo\n', '125'],
    ['docker frobnicate', "docker: 'frobnicate' is not a docker command.\nSee 'docker --help'\n", '1'],
  ])('%s', (command, message, status) => {
    const shell = new LabShell({ ramdiskKb: 262144 });
    for (const line of setup) shell.runLine(line);
    const before = footprint(shell);
    const output = shell.runLine(command);
    expect(output.startsWith(message)).toBe(true);
    expect(shell.lastStatus).toBe(status);
    expect(footprint(shell)).toBe(before);
  });
});

describe('device ids', () => {
  function docker(): LabShell {
    const shell = new LabShell({ ramdiskKb: 524288 });
    shell.runLine(
      'echo \'{"debug": true, "storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/ram0"]}\' > /etc/docker/daemon.json',
    );
    shell.runLine('systemctl start docker');
    return shell;
  }
  const idOf = (shell: LabShell, ref: string): number => {
    const img = shell.docker.images.find((i) => i.ref === ref)!;
    return shell.docker.devices[shell.docker.layers[img.layers[0]!]!.cacheId]!.deviceId;
  };

  it('skips an id the pool already has, logging it, and uses the next free one', () => {
    const shell = docker();
    expect(shell.runLine('dmsetup message docker-thinpool 0 "create_thin 2"; echo $?')).toBe('0\n');
    shell.runLine('docker pull alpine >/dev/null');
    expect(idOf(shell, 'alpine:latest')).toBe(3);
    expect(shell.docker.log.some((l) => l.includes('Device ID 2 exists in pool but it is supposed to be unused'))).toBe(
      true,
    );
  });

  it('wraps at 24 bits', () => {
    const shell = docker();
    shell.docker.nextDeviceId = 0xfffffe;
    shell.runLine('docker pull alpine >/dev/null');
    shell.runLine('docker pull busybox >/dev/null');
    expect(idOf(shell, 'alpine:latest')).toBe(0xffffff);
    expect(idOf(shell, 'busybox:latest')).toBe(0);
    expect(shell.runLine('dmsetup status docker-thinpool | cut -d" " -f4')).toBe('3\n');
  });
});

describe('docker commit and system prune', () => {
  it('commit makes a layer on the image top layer holding what the container wrote; prune asks, then removes it all', () => {
    const shell = new LabShell({ ramdiskKb: 524288 });
    shell.runLine(
      'echo \'{"storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/ram0"]}\' > /etc/docker/daemon.json',
    );
    shell.runLine('systemctl start docker');
    shell.runLine('docker run -d --name w alpine >/dev/null 2>&1');
    shell.runLine('docker exec w dd if=/dev/zero of=/data bs=1M count=8 2>/dev/null');
    expect(shell.runLine('docker commit w mine:v1')).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const mine = shell.docker.images.find((i) => i.ref === 'mine:v1')!;
    const alpine = shell.docker.images.find((i) => i.ref === 'alpine:latest')!;
    expect(mine.layers.slice(0, -1)).toEqual(alpine.layers);
    const added = shell.docker.layers[mine.layers[mine.layers.length - 1]!]!;
    expect(added.parent).toBe(alpine.layers[alpine.layers.length - 1]);
    expect(added.sizeBytes).toBe(8 * 1024 * 1024 + 8192);
    expect(shell.runLine('docker images')).toContain('mine         v1       ');
    shell.runLine('docker stop w');
    // Without -f, prune asks; anything but y leaves everything.
    expect(shell.runLine('echo n | docker system prune -a')).toContain('Are you sure you want to continue? [y/N] ');
    expect(shell.docker.containers).toHaveLength(1);
    const out = shell.runLine('echo y | docker system prune -a');
    expect(out).toMatch(/Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Images:\nuntagged: alpine:latest\n/);
    expect(out).toMatch(/Total reclaimed space: [0-9.]+MB\n$/);
    expect(shell.docker.images).toEqual([]);
    expect(Object.keys(shell.docker.devices)).toEqual(['']);
    expect(shell.runLine('dmsetup status docker-thinpool | cut -d" " -f6')).toBe('38/960\n');
  });
});

describe('docker-fault version: the dockerd a lab runs', () => {
  it('refuses a version the lab does not model, and a change while dockerd runs, keeping the one it had', () => {
    const shell = new LabShell({ ramdiskKb: 524288 });
    expect(shell.runLine('docker-fault version 18.09; echo $?')).toBe(
      'thinlab: docker-fault version: not modelled: 18.09 (the lab runs dockerd 20.10.24 or 1.13.1)\n2\n',
    );
    expect(shell.docker.version).toBe('20.10.24');
    shell.runLine('docker-fault version 1.13.1');
    shell.runLine(
      `echo '{"storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/ram0"]}' > /etc/docker/daemon.json`,
    );
    shell.runLine('systemctl start docker');
    expect(shell.runLine('docker-fault version 20.10.24; echo $?')).toBe(
      'thinlab: docker-fault version: stop dockerd first (systemctl stop docker)\n1\n',
    );
    expect(shell.runLine("docker info 2>/dev/null | grep 'Server Version'")).toBe(' Server Version: 1.13.1\n');
  });
});

describe('dm.* options that shape what Docker builds', () => {
  const run = (script: string, ramdiskKb: number): string => {
    const sh = new LabShell({ ramdiskKb });
    let out = '';
    for (const step of sh.steps(script)) out += step.output;
    return out;
  };

  it('dm.blocksize is the pool block size CreatePool loads', () => {
    expect(
      run(
        'dockerd --storage-driver devicemapper --storage-opt dm.datadev=/dev/ram1 --storage-opt dm.metadatadev=/dev/ram0 --storage-opt dm.blocksize=512K\ndmsetup table | grep thin-pool',
        262144,
      ),
    ).toBe('docker-8:1-1048577-pool: 0 524288 thin-pool 1:0 1:1 1024 32768 1 skip_block_zeroing \n');
  });

  it('dm.thinp_autoextend_percent and _threshold go into the direct-lvm profile', () => {
    expect(
      run(
        `echo '{"storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/ram0", "dm.thinp_autoextend_percent=30", "dm.thinp_autoextend_threshold=70"]}' > /etc/docker/daemon.json
systemctl start docker
cat /etc/lvm/profile/docker-thinpool.profile`,
        524288,
      ),
    ).toBe('activation {\n\tthin_pool_autoextend_threshold=70\n\tthin_pool_autoextend_percent=30\n}\n');
  });

  it('the options whose effect the lab does not model are refused by name once they parse', () => {
    expect(parseDmOptions(['dm.mkfsarg=-K'])).toBe('thinlab: not modelled: storage option dm.mkfsarg');
    expect(parseDmOptions(['dm.xfs_nospace_max_retries=x'])).toBe('strconv.ParseUint: parsing "x": invalid syntax');
  });
});

describe('a pool in Fail mode, as moby reads its status', () => {
  it("docker info keeps the zero counts Status() starts with, and a restart fails with Sscanf's error", () => {
    const shell = new LabShell();
    for (const line of [
      'dmsetup create meta --table "0 8192 linear /dev/ram0 0" && dmsetup mknodes',
      'dmsetup create docker-thinpool --table "0 65536 thin-pool /dev/mapper/meta /dev/ram1 128 32768 1 skip_block_zeroing" && dmsetup mknodes',
      `echo '{"storage-driver": "devicemapper", "storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool"]}' > /etc/docker/daemon.json`,
      'systemctl start docker',
      'dmsetup reload meta --table "0 8192 error"; dmsetup suspend meta; dmsetup resume meta',
      'dmsetup message docker-thinpool 0 "create_thin 9"',
    ])
      shell.runLine(line);
    expect(shell.runLine('dmsetup status docker-thinpool')).toBe('0 65536 thin-pool Fail\n');
    const info = shell.runLine('docker info 2>&1 | grep -E "Blocksize|Space"');
    expect(info.split('\n').filter((l) => l !== '')).toEqual(
      [
        'Pool Blocksize',
        'Data Space Used',
        'Data Space Total',
        'Data Space Available',
        'Metadata Space Used',
        'Metadata Space Total',
        'Metadata Space Available',
        'Thin Pool Minimum Free Space',
      ].map((name) => `  ${name}: 0B`),
    );
    expect(shell.runLine('systemctl restart docker; echo $?')).toMatch(/\n1\n$/);
    expect(shell.runLine('journalctl -u docker | tail -1')).toBe(
      'failed to start daemon: error initializing graphdriver: expected integer\n',
    );
  });
});
