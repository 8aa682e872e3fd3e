/**
 * The VM's memory as one budget (issue 17 item 1): /tmp, /run, the RAM disks, shell values and
 * pipes share the 901068 kB the VM has free after boot. The outcomes the VM showed are kernel
 * fixtures (fixtures/kernel/140-143); these tests hold the lab to the rest of the model: what
 * one consumer takes, another no longer has, and a stream is never cut by it.
 */
import { describe, expect, it } from 'vitest';
import { VM_FREE_MEMORY_BYTES } from '../lab/fs.js';
import { memoryFreeBytes } from '../lab/fs-memory.js';
import { LabShell } from '../lab/lab-shell.js';

const MIB = 1024 * 1024;
const doubling = '( x=a; n=0; while [ $n -lt 40 ]; do x=$x$x; n=$((n+1)); done; echo "${#x}" ); echo "rc $?"';

describe('one memory budget', () => {
  it('counts /tmp, /run and RAM disk pages against the VM free memory; holes and zeros on a RAM disk cost nothing', () => {
    const sh = new LabShell();
    // The lab's own files at boot (configuration under /etc) take a few pages.
    const boot = VM_FREE_MEMORY_BYTES - memoryFreeBytes(sh.fs, sh.machine);
    expect(boot).toBeLessThan(MIB);
    sh.runScript(
      [
        'dd if=/dev/zero of=/tmp/a bs=1M count=10 2>/dev/null',
        'dd if=/dev/zero of=/run/b bs=1M count=5 2>/dev/null',
        'truncate -s 1G /tmp/sparse',
        'dd if=/dev/urandom of=/dev/ram0 bs=1M count=3 2>/dev/null',
        'dd if=/dev/zero of=/dev/ram1 bs=1M count=3 2>/dev/null',
      ].join('\n'),
    );
    expect(VM_FREE_MEMORY_BYTES - memoryFreeBytes(sh.fs, sh.machine) - boot).toBe(18 * MIB);
    sh.runScript('rm /tmp/a');
    expect(VM_FREE_MEMORY_BYTES - memoryFreeBytes(sh.fs, sh.machine) - boot).toBe(8 * MIB);
  });

  it('kills a doubling subshell sooner when files hold the memory, as the OOM killer does', () => {
    const empty = new LabShell().runScript(doubling);
    expect(empty).toBe('Killed\nrc 137\n');
    const sh = new LabShell();
    sh.runScript(
      'dd if=/dev/zero of=/tmp/big bs=1M count=470 2>/dev/null; dd if=/dev/zero of=/run/big bs=1M count=380 2>/dev/null',
    );
    // About 30 MiB left: 2^24 characters (32 MiB for the copy) no longer fit.
    const out = sh.runScript('( x=a; n=0; while [ $n -lt 40 ]; do x=$x$x; n=$((n+1)); echo $n; done ) | tail -n 1');
    expect(out).toBe('Killed\n23\n');
    sh.runScript('rm /tmp/big /run/big');
    expect(sh.runScript('( x=a; n=0; while [ $n -lt 40 ]; do x=$x$x; n=$((n+1)); echo $n; done ) | tail -n 1')).toBe(
      'Killed\n28\n',
    );
  });

  it('kills a writer to /run when /tmp holds the rest of the memory, and the script goes on', () => {
    const sh = new LabShell();
    const out = sh.runScript(
      'dd if=/dev/zero of=/tmp/big bs=1M count=600 2>/dev/null; dd if=/dev/zero of=/run/big bs=1M count=600; echo "rc $?"; echo after',
    );
    expect(out).toBe('Killed\nrc 137\nafter\n');
  });

  it('kills sort when the lines it keeps take the memory left, as the OOM killer did on the VM', () => {
    // fixtures/kernel/147-stream-filters: `yes | sort` prints `Killed`, status 137; with files
    // holding most of the memory it is killed as soon as its lines take what they leave.
    const sh = new LabShell();
    sh.runScript(
      'dd if=/dev/zero of=/tmp/big bs=1M count=470 2>/dev/null; dd if=/dev/zero of=/run/big bs=1M count=380 2>/dev/null',
    );
    const out = sh.runScript('yes | sort; echo "rc $?"; echo after');
    expect(out).toBe('Killed\nrc 137\nafter\n');
  });

  it('kills a reader holding one endless line (no newline) at the memory left, naming the limit', () => {
    const sh = new LabShell();
    sh.runScript(
      'dd if=/dev/zero of=/tmp/big bs=1M count=470 2>/dev/null; dd if=/dev/zero of=/run/big bs=1M count=380 2>/dev/null',
    );
    for (const reader of ['grep -c y', 'sed s/y/n/', 'cut -c 1']) {
      const out = sh.runScript(`yes | tr -d '\\n' | ${reader}; echo "rc $?"`);
      const tool = reader.split(' ')[0];
      expect(out).toMatch(
        new RegExp(`^thinlab: out of memory: ${tool}'s line took the \\d+ MiB the VM had left .*\\nrc 137\\n$`),
      );
    }
  });

  it('ends the script when a command substitution takes the memory left in its own shell', () => {
    const sh = new LabShell();
    sh.runScript(
      'dd if=/dev/zero of=/tmp/big bs=1M count=470 2>/dev/null; dd if=/dev/zero of=/run/big bs=1M count=380 2>/dev/null',
    );
    const out = sh.runScript('x=$(yes); echo never');
    expect(out).toMatch(/^thinlab: out of memory: a command substitution needs \d+ MiB .*\n$/);
    expect(sh.exitStatus).toBe(137);
    const sub = new LabShell();
    sub.runScript(
      'dd if=/dev/zero of=/tmp/big bs=1M count=470 2>/dev/null; dd if=/dev/zero of=/run/big bs=1M count=380 2>/dev/null',
    );
    expect(sub.runScript('( x=$(yes) ); echo "rc $?"')).toBe('Killed\nrc 137\n');
  });

  it('never cuts a pipe whose reader streams, however little memory is left', () => {
    const sh = new LabShell();
    sh.runScript(
      'dd if=/dev/zero of=/tmp/big bs=1M count=600 2>/dev/null; dd if=/dev/zero of=/run/big bs=1M count=401 2>/dev/null',
    );
    expect(memoryFreeBytes(sh.fs, sh.machine)).toBeLessThan(MIB);
    const a = sh.runScript('dd if=/dev/urandom of=/dev/ram0 bs=1M count=8 2>/dev/null; cat /dev/ram0 | md5sum');
    const b = sh.runScript('md5sum /dev/ram0');
    expect(a.replace('-', '/dev/ram0')).toBe(b);
  });
});
