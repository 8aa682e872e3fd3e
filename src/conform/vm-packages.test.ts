import { describe, expect, it } from 'vitest';
import { DEFAULT_SOURCE, kernelPackageOf, packagesOf, sourcesList } from './vm-packages.js';
import { qemuArgs, vmMemoryMb } from './vm-run.js';

describe('the VM packages', () => {
  it('come from the release, its updates and its security archive', () => {
    expect(sourcesList('trixie', DEFAULT_SOURCE)).toBe(
      [
        'deb http://deb.debian.org/debian trixie main',
        'deb http://deb.debian.org/debian trixie-updates main',
        'deb http://deb.debian.org/debian-security trixie-security main',
        '',
      ].join('\n'),
    );
  });

  it('take the kernel linux-image-amd64 names, and every package of the dependency closure once', () => {
    expect(kernelPackageOf('linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n')).toBe(
      'linux-image-6.1.0-57-amd64',
    );
    expect(kernelPackageOf('linux-image-amd64\n')).toBeNull();
    const recurse = 'dmsetup\n  Depends: libc6\n  Depends: <libudev1>\nlibc6\n<awk>\ndmsetup\n';
    expect(packagesOf(recurse)).toEqual(['dmsetup', 'libc6']);
  });
});

describe('the VM run', () => {
  it('has room for both RAM disks and boots the kernel with the size on its command line', () => {
    expect(vmMemoryMb(65536)).toBe(1024);
    expect(vmMemoryMb(524288)).toBe(1536);
    const args = qemuArgs({ kernelPath: '/k', initramfsPath: '/i', kernelRelease: 'r' }, '/run.gz', 524288);
    expect(args).toContain('tcg');
    expect(args.slice(args.indexOf('-append'))[1]).toBe('console=ttyS0 panic=-1 loglevel=1 ramdisk_kb=524288');
    expect(args.slice(args.indexOf('-initrd'))[1]).toBe('/run.gz');
  });
});
