import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab-shell.js';

describe('choosing a build with apt-get install PACKAGE=VERSION', () => {
  it('installs containerd.io 1.4.3-1 and Debian 12 containerd back; containerd --version says which runs', () => {
    const sh = new LabShell();
    expect(sh.runLine('containerd --version')).toBe(
      'containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1\n',
    );
    expect(sh.runLine('apt-get install -y containerd.io=1.4.3-1 | tail -n 1')).toBe(
      'Setting up containerd.io (1.4.3-1) ...\n',
    );
    expect(sh.runLine('containerd --version')).toBe(
      'containerd containerd.io 1.4.3 269548fa27e0089a8b8278fc4fc781d7f65a939b\n',
    );
    expect(sh.containerd.version).toBe('1.4.3-1');
    sh.runLine('apt-get install -y containerd >/dev/null');
    expect(sh.containerd.version).toBe('1.6.20~ds1-1');
  });

  it("refuses a version the lab does not model with apt's error and by name, changing nothing", () => {
    const sh = new LabShell();
    expect(sh.runLine('apt-get install -y containerd.io=1.4.4-1 2>&1 >/dev/null')).toBe(
      "E: Version '1.4.4-1' for 'containerd.io' was not found\nthinlab: not modelled: containerd.io 1.4.4-1 (the lab's containerd.io is 1.4.3-1)\n",
    );
    expect(sh.lastStatus).toBe('100');
    expect(sh.containerd.version).toBeUndefined();
    expect(sh.runLine('apt-get install -y thin-provisioning-tools=1.0.0 2>&1 >/dev/null')).toContain(
      "E: Version '1.0.0' for 'thin-provisioning-tools' was not found",
    );
    expect(sh.runLine('apt-get install -y docker.io=17.03.2 2>&1 >/dev/null')).toContain(
      "E: Version '17.03.2' for 'docker.io' was not found",
    );
    expect(sh.docker.version).toBe('20.10.24');
    expect(sh.runLine('containerd config default; echo rc=$?')).toMatch(
      /^thinlab: not modelled: containerd config default .*\nrc=2\n$/,
    );
  });

  it("restarts a running daemon on the new build, as the package's postinst does; docker version says both", () => {
    const sh = new LabShell({ ramdiskKb: 524288 });
    sh.runLine(
      'echo \'{"storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/ram0"]}\' > /etc/docker/daemon.json',
    );
    sh.runLine('systemctl start docker');
    expect(sh.runLine('docker version')).toBe(
      'Client:\n Version:           20.10.24\n API version:       1.41\n\nServer:\n Engine:\n  Version:          20.10.24\n  API version:      1.41 (minimum version 1.12)\n containerd:\n  Version:          1.6.20~ds1\n',
    );
    sh.runLine('apt-get install -y docker.io=1.13.1-0ubuntu1~16.04.2 containerd.io=1.4.3-1 >/dev/null');
    expect(sh.docker.running).toBe(true);
    expect(sh.runLine("docker version --format '{{.Server.Version}}'")).toBe('1.13.1\n');
    expect(sh.runLine('docker info 2>/dev/null | grep "Server Version"')).toBe(' Server Version: 1.13.1\n');
    expect(sh.runLine('docker version | tail -n 1')).toBe('  Version:          1.4.3\n');
  });
});
