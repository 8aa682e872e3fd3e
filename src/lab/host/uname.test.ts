import { describe, expect, it } from 'vitest';
import { KERNEL_BEHAVIOUR } from '../../model/kernel-behaviour.js';
import { STACK_IDS, type StackId } from '../../model/stack.js';
import { LabShell } from '../lab-shell.js';
import { procVersionText, unameText } from './uname.js';

const run = (stack: StackId, script: string): string => new LabShell({ ramdiskKb: 4096, stack }).runScript(script);

describe('uname and /proc/version name each stack its own kernel', () => {
  it('prints the fields in busybox order whatever the order of the options', () => {
    const kernel = KERNEL_BEHAVIOUR.debian13;
    expect(unameText(kernel, new Set(['r', 's']))).toBe('Linux 6.12.117+deb13-amd64\n');
    expect(unameText(kernel, new Set(['m', 'n']))).toBe('(none) x86_64\n');
    expect(unameText(kernel, new Set())).toBe('Linux\n');
  });

  it('leaves the unknown processor and platform out of -a, but prints them when asked for', () => {
    const kernel = KERNEL_BEHAVIOUR.debian12;
    const all = unameText(kernel, new Set(['a']));
    expect(all).not.toContain('unknown');
    expect(all.split(' ')).toHaveLength(2 + kernel.buildVersion.split(' ').length + 3);
    expect(unameText(kernel, new Set(['a', 'p']))).toContain(' x86_64 unknown GNU/Linux');
  });

  it.each(STACK_IDS)('on %s, uname -r, /proc/version and modprobe agree on the release', (stack) => {
    const { release } = KERNEL_BEHAVIOUR[stack];
    expect(run(stack, 'uname -r')).toBe(`${release}\n`);
    expect(run(stack, 'cat /proc/version')).toBe(procVersionText(KERNEL_BEHAVIOUR[stack]));
    expect(run(stack, 'cat /proc/version')).toMatch(new RegExp(`^Linux version ${release.replace(/[+.]/g, '\\$&')} `));
    expect(run(stack, 'modprobe nosuchmodule; echo rc=$?')).toBe(
      `modprobe: FATAL: Module nosuchmodule not found in directory /lib/modules/${release}\nrc=1\n`,
    );
    expect(run(stack, `apt-get install --reinstall linux-image-$(uname -r) >/dev/null; echo rc=$?`)).toBe('rc=0\n');
  });

  it('the two stacks run different kernels', () => {
    expect(run('debian12', 'uname -r')).not.toBe(run('debian13', 'uname -r'));
  });

  it.each(STACK_IDS)('%s: apt-get installs the kernel package version that uname -v names', (stack) => {
    const kernel = KERNEL_BEHAVIOUR[stack];
    // uname -v on the oracle's VM: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)'.
    expect(kernel.buildVersion).toContain(` Debian ${kernel.packageVersion} (`);
  });

  it('refuses an unknown option and an operand with the usage, exit 1, printing nothing on stdout', () => {
    const out = run('debian13', 'uname -x 2>/dev/null; echo rc=$?; uname extra 2>&1 | head -1');
    expect(out).toBe('rc=1\nBusyBox v1.37.0 (Debian 1:1.37.0-6+b9) multi-call binary.\n');
    expect(run('debian12', 'uname -x 2>&1 | head -1')).toBe("uname: invalid option -- 'x'\n");
  });
});
