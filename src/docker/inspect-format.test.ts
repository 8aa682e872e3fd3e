import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { goPrint, parseGoTemplate } from './go-template.js';

function docker(): LabShell {
  const shell = new LabShell({ ramdiskKb: 524288 });
  shell.runLine(
    'echo \'{"storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/ram0"]}\' > /etc/docker/daemon.json',
  );
  shell.runLine('systemctl start docker');
  shell.runLine('docker run -d --name fred alpine >/dev/null');
  return shell;
}

describe('docker inspect --format', () => {
  const shell = docker();
  const fred = shell.docker.containers.find((c) => c.name === 'fred')!;
  const device = shell.docker.devices[fred.mountId]!;

  it('prints the fields people ask for, from the lab state', () => {
    expect(shell.runLine("docker inspect -f '{{.GraphDriver.Data.DeviceId}}' fred")).toBe(`${device.deviceId}\n`);
    expect(shell.runLine("docker inspect --format '{{.GraphDriver.Data.DeviceName}}' fred")).toMatch(
      new RegExp(`^docker-[0-9:]+-[0-9]+-${fred.mountId}\n$`),
    );
    expect(shell.runLine("docker inspect --format='{{.State.Status}} {{.State.Running}} {{.Id}}' fred")).toBe(
      `running true ${fred.id}\n`,
    );
    expect(shell.runLine("docker inspect -f '{{json .GraphDriver}}' fred")).toBe(
      `{"Data":{"DeviceId":"${device.deviceId}","DeviceName":"${shell.runLine("docker inspect -f '{{.GraphDriver.Data.DeviceName}}' fred").trim()}","DeviceSize":"${device.sizeBytes}"},"Name":"devicemapper"}\n`,
    );
    // One line per object, images too.
    expect(shell.runLine("docker inspect -f '{{.GraphDriver.Name}}' fred alpine")).toBe('devicemapper\ndevicemapper\n');
  });

  it("fails as Docker's template does on a key Docker does not have, losing nothing", () => {
    const before = JSON.stringify(shell.docker);
    expect(shell.runLine("docker inspect -f '{{.Foo}}' fred")).toBe(
      '\nTemplate parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"\n',
    );
    expect(shell.lastStatus).toBe('1');
    expect(shell.runLine("docker inspect -f 'x {{.State.Nope}}' fred")).toContain(
      'template: :1:4: executing "" at <.State.Nope>: map has no entry for key "Nope"',
    );
    expect(shell.runLine("docker inspect -f '{{.Id' fred")).toBe(
      'Template parsing error: template: :1: unclosed action\n',
    );
    expect(shell.runLine("docker inspect -f '{{nope .Id}}' fred")).toBe(
      'Template parsing error: template: :1: function "nope" not defined\n',
    );
    expect(JSON.stringify(shell.docker)).toBe(before);
  });

  it('refuses by name what Docker has and the lab does not model', () => {
    for (const [line, what] of [
      ["docker inspect -f '{{.State.Pid}}' fred", '.State.Pid'],
      ["docker inspect -f '{{json .State}}' fred", '.State'],
      ["docker inspect -f '{{range .Mounts}}x{{end}}' fred", '{{range .Mounts}}'],
      ['docker inspect -f \'{{printf "%s" .Id}}\' fred', 'printf'],
      ['docker inspect --size fred', '--size'],
    ] as const) {
      const out = shell.runLine(line);
      expect(out, line).toMatch(/^thinlab: not modelled: /);
      expect(out, line).toContain(what);
      expect(shell.lastStatus, line).toBe('2');
    }
  });
});

describe('docker ps --format', () => {
  const shell = docker();
  const fred = shell.docker.containers.find((c) => c.name === 'fred')!;

  it('prints each row through the template, a table format with headers', () => {
    expect(shell.runLine("docker ps --format '{{.Names}}: {{.Status}} {{.Command}}'")).toBe(
      `fred: Up Less than a second ${fred.command}\n`,
    );
    expect(shell.runLine("docker ps --format 'table {{.ID}}\\t{{.Names}}'")).toBe(
      `CONTAINER ID   NAMES\n${fred.id.slice(0, 12)}   fred\n`,
    );
    expect(shell.runLine('docker ps -q')).toBe(`${fred.id.slice(0, 12)}\n`);
  });

  it("fails with Docker's error on an unknown field and refuses unmodelled fields and options by name", () => {
    expect(shell.runLine("docker ps --format '{{.Foo}}'")).toBe(
      'Template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext\n',
    );
    expect(shell.lastStatus).toBe('1');
    expect(shell.runLine("docker ps --format '{{.CreatedAt}}'")).toMatch(/^thinlab: not modelled: .*\.CreatedAt/);
    expect(shell.lastStatus).toBe('2');
    expect(shell.runLine('docker ps --no-trunc')).toMatch(/^thinlab: not modelled: docker ps --no-trunc/);
    expect(shell.lastStatus).toBe('2');
  });
});

describe("Go's text/template, the part the lab evaluates", () => {
  it('prints maps and slices as fmt does, and trims around {{- -}}', () => {
    expect(goPrint({ b: '2', a: '1' })).toBe('map[a:1 b:2]');
    expect(goPrint(['x', 'y'])).toBe('[x y]');
    const parsed = parseGoTemplate('a  {{- .X -}}  b');
    expect(parsed.ok && parsed.segments.map((s) => (s.kind === 'text' ? s.text : '*'))).toEqual(['a', '*', 'b']);
  });
});

describe('docker options the lab does not model', () => {
  it('are refused by name instead of being read as names or dropped, and nothing changes', () => {
    const shell = docker();
    const before = JSON.stringify(shell.docker);
    for (const [line, what] of [
      ['docker stop -t 0 fred', 'docker stop -t'],
      ['docker rm -v fred', 'docker rm -v'],
      ['docker rmi --no-prune alpine', 'docker rmi --no-prune'],
      ['docker pull -q busybox', 'docker pull -q'],
      ["docker commit -m 'msg' fred snap", 'docker commit -m'],
      ['docker exec -u root fred dd if=/dev/zero of=/x bs=1M count=1', 'docker exec -u'],
    ] as const) {
      expect(shell.runLine(`${line}; echo rc=$?`), line).toMatch(
        new RegExp(`^thinlab: not modelled: ${what} .*\\nrc=2\\n$`),
      );
    }
    expect(JSON.stringify(shell.docker)).toBe(before);
  });
});
