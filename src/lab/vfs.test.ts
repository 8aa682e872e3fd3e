import { describe, expect, it } from 'vitest';
import { latin1Text } from '../shared/bytes.js';
import { reboot } from './host/boot.js';
import { Lab } from './lab.js';
import { fileKind, lookupPath, readPath, removePath } from './vfs.js';

const lab = (): Lab => new Lab({ ramdiskKb: 1024 });

describe('the lab VFS', () => {
  it('creates a file under /tmp, reads it back, and removes it; then it is missing', () => {
    const l = lab();
    const f = l.fs.openForWrite('/tmp/note', true);
    if (typeof f === 'string') throw new Error(f);
    f.writeBytes(0, new TextEncoder().encode('hello\n'));
    expect(fileKind(l, '/tmp/note')).toBe('file');
    expect(latin1Text(readPath(l, '/tmp/note') as Uint8Array)).toBe('hello\n');
    expect(removePath(l, '/tmp/note', false)).toBeNull();
    expect(fileKind(l, '/tmp/note')).toBeNull();
    expect(readPath(l, '/tmp/note')).toBe('No such file or directory');
    expect(removePath(l, '/tmp/note', false)).toBe('No such file or directory');
  });

  it('refuses to create files outside the writable directories', () => {
    const l = lab();
    expect(l.fs.openForWrite('/patterns/Z', true)).toBe("can't create '/patterns/Z': Read-only file system");
    expect(l.fs.openForWrite('/nowhere/x', true)).toBe("can't create '/nowhere/x': No such file or directory");
  });

  it('removes a directory only recursively, with the files under it', () => {
    const l = lab();
    for (const name of ['a', 'b'])
      if (typeof l.fs.openForWrite(`/tmp/${name}`, true) === 'string') throw new Error(name);
    expect(removePath(l, '/tmp', false)).toBe('Is a directory');
    expect(l.fs.list('/tmp/')).toEqual(['/tmp/a', '/tmp/b']);
    expect(removePath(l, '/tmp', true)).toBeNull();
    expect(l.fs.list('/tmp/')).toEqual([]);
  });

  it('resolves the special paths: devices, /dev/zero and /dev/null, patterns, /proc, /sys and the module parameter', () => {
    const l = lab();
    expect(lookupPath(l, '/dev/ram0').kind).toBe('block');
    expect(fileKind(l, '/dev/ram0')).toBe('block');
    expect(fileKind(l, '/dev/zero')).toBe('char');
    expect(fileKind(l, '/dev/null')).toBe('char');
    expect(fileKind(l, '/dev/mapper/control')).toBe('char');
    expect(fileKind(l, '/dev/nosuch')).toBeNull();
    expect(fileKind(l, '/dev/mapper')).toBe('dir');
    const pattern = readPath(l, '/patterns/A') as Uint8Array;
    expect(pattern.length).toBe(4 * 1024 * 1024);
    expect(pattern.every((b) => b === 'A'.charCodeAt(0))).toBe(true);
    expect(latin1Text(readPath(l, '/proc/uptime') as Uint8Array)).toBe(
      `${(l.machine.nowMs / 1000).toFixed(2)} ${(l.machine.nowMs / 1000).toFixed(2)}\n`,
    );
    expect(fileKind(l, '/sys/block/ram0')).toBe('dir');
    expect(latin1Text(readPath(l, '/sys/module/dm_thin_pool/parameters/no_space_timeout') as Uint8Array)).toBe(
      `${l.machine.noSpaceTimeoutSecs}\n`,
    );
    expect(readPath(l, '/tmp')).toBe('Is a directory');
  });

  it('removes a device node until the next boot (devtmpfs makes it again); the device stays', () => {
    const l = lab();
    expect(removePath(l, '/dev/ram0', false)).toBeNull();
    expect(fileKind(l, '/dev/ram0')).toBeNull();
    expect(removePath(l, '/dev/ram0', false)).toBe('No such file or directory');
    expect(l.machine.resolve('/dev/ram0')).not.toBeNull();
    expect(fileKind(l, '/dev/ram1')).toBe('block');
    reboot(l);
    expect(fileKind(l, '/dev/ram0')).toBe('block');
  });

  it('refuses to remove kernel files and the read-only patterns', () => {
    const l = lab();
    expect(removePath(l, '/proc/uptime', false)).toBe('Operation not permitted');
    expect(removePath(l, '/patterns/A', false)).toBe('Read-only file system');
    expect(fileKind(l, '/patterns/A')).toBe('file');
  });
});
