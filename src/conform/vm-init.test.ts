import { describe, expect, it } from 'vitest';
import { DEBIAN12_VM_VERSIONS } from './test-support.js';
import { MARK, initScript, parseConsole } from './vm-init.js';
import { VM_MODULES, VM_STACKS } from './vm-stacks.js';

const VERSIONS = [
  `ok\r${MARK} kernelRelease 6.1.0-57-amd64`,
  `${MARK} kernel 6.1.192`,
  `${MARK} thinProvisioningTools 0.9.0`,
  `${MARK} dmsetup Library version:   1.02.185 (2022-05-18)`,
  `${MARK} lvm   LVM version:     2.03.16(2) (2022-05-18)`,
  `${MARK} busybox BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.`,
];

describe('parseConsole', () => {
  it('reads the script output between the markers, its status and the versions', () => {
    const console = [
      ...VERSIONS,
      `${MARK} begin`,
      'hello',
      'rc=1',
      `${MARK} end 3`,
      '[  9.1] reboot: Power down',
      '',
    ].join('\r\n');
    const t = parseConsole(console);
    expect(t).not.toBeNull();
    expect(t!.text).toBe('hello\nrc=1\n');
    expect(t!.status).toBe(3);
    expect(t!.versions).toEqual(DEBIAN12_VM_VERSIONS);
  });

  it('keeps output that did not end with a newline', () => {
    const t = parseConsole([`${MARK} begin`, `no newline${MARK} end 0`, ''].join('\n'));
    expect(t!.text).toBe('no newline');
  });

  it('returns null when the VM never began or never finished the script', () => {
    expect(parseConsole('Kernel panic - not syncing\n')).toBeNull();
    expect(parseConsole(`${MARK} begin\nhalf\n`)).toBeNull();
  });

  it('leaves a version empty when the tool printed none', () => {
    const t = parseConsole([`${MARK} lvm sh: lvm: not found`, `${MARK} begin`, `${MARK} end 0`].join('\n'));
    expect(t!.versions.lvm).toBe('');
    expect(t!.versions.kernelRelease).toBe('');
  });
});

describe('initScript', () => {
  it('loads every module, pipes the output only where the stack says so, and powers off', () => {
    const d12 = initScript(VM_STACKS.debian12);
    const d13 = initScript(VM_STACKS.debian13);
    for (const m of VM_MODULES) expect(d12).toContain(m);
    expect(d12).toContain('sh /scenario.sh 2>&1; rc=$?');
    expect(d13).toContain('| cat');
    expect(d12).not.toContain('| cat');
    expect(d12.trimEnd().endsWith('poweroff -f')).toBe(true);
    expect(d12).toContain(`echo "${MARK} end $rc"`);
  });
});
