import { describe, expect, it } from 'vitest';
import type { StackId } from '../model/stack.js';
import { LabShell } from './lab-shell.js';

const run = (text: string, stack: StackId = 'debian12') => new LabShell({ ramdiskKb: 1024, stack }).runScript(text);

describe('env, as busybox 1.35 runs it in the VM', () => {
  it("prints the VM's environment in ash's order (fixtures/kernel-probes/213)", () => {
    expect(run('env; echo rc=$?\n')).toBe(
      'SHLVL=2\nHOME=/\nTERM=linux\nPATH=/bin:/sbin\nramdisk_kb=1024\nPWD=/\nrc=0\n',
    );
  });

  it('adds what is exported to its bucket, and what is assigned before it for it alone', () => {
    // ash's buckets: QD 2, SHLVL 5, HOME 6, A 13, X 14, TERM 18, PATH and ZZ 21 (the host's busybox sh agrees).
    expect(run('export ZZ=1 QD=2; X=3 A=4 env; export -n ZZ; unset QD; env | wc -l\n')).toBe(
      'QD=2\nSHLVL=2\nHOME=/\nA=4\nX=3\nTERM=linux\nPATH=/bin:/sbin\nZZ=1\nramdisk_kb=1024\nPWD=/\n6\n',
    );
    expect(run('X=1; env | grep X; export X; env | grep X\n')).toBe('X=1\n');
  });

  it('clears, unsets and sets, and runs a program with its input', () => {
    expect(run('env -u HOME - B=1; env -i; env -i A=1 PATH=/x A=2\n')).toBe('B=1\nA=2\nPATH=/x\n');
    // xargs passes its environment on, as busybox's does (the host's `echo | busybox xargs busybox env` agrees).
    expect(run('export P=1; echo | xargs env | grep P=; echo sh | xargs which\n')).toBe('P=1\n/bin/sh\n');
    expect(run('echo hi | env -i cat; env echo a b; env nothere; echo rc=$?\n')).toBe(
      "hi\na b\nenv: can't execute 'nothere': No such file or directory\nrc=127\n",
    );
  });
});

describe('which, over the VM’s /bin and /sbin', () => {
  it('finds the applets in /bin and the tools in /sbin (fixtures/kernel-probes/213)', () => {
    const names = 'which thin_check dmsetup sh busybox expr env which nothere; echo rc=$?\n';
    const found = '/sbin/thin_check\n/sbin/dmsetup\n/bin/sh\n/bin/busybox\n/bin/expr\n/bin/env\n/bin/which\nrc=1\n';
    expect(run(names)).toBe(found);
    expect(run(names, 'debian13')).toBe(found);
    expect(run('which -a sh; which /bin/sh ./x; echo rc=$?\n')).toBe('/bin/sh\n/bin/sh\nrc=1\n');
  });

  it('follows PATH, and a removed tool is not found', () => {
    expect(run('PATH=/sbin which sh thin_check; echo rc=$?\n')).toBe('/sbin/thin_check\nrc=1\n');
    expect(run('rm /usr/sbin/thin_check; which thin_check; echo rc=$?\n')).toBe('rc=1\n');
  });

  it('refuses by name a command only the lab has, and a directory it does not list', () => {
    expect(run('which thinlab\n')).toContain('thinlab: not modelled: which thinlab');
    expect(run('PATH=/opt which sh\n')).toContain('thinlab: not modelled: which sh with /opt in PATH');
  });
});
