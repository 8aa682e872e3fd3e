import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';
import { parseBusyboxSize } from './loop-commands.js';

describe('busybox sizes', () => {
  it.each([
    ['100G', 100 * 1024 ** 3],
    ['16M', 16 * 1024 ** 2],
    ['3k', 3072],
    ['2KiB', 2048],
    ['1MB', 1_000_000],
    ['512', 512],
  ])('%s', (text, bytes) => expect(parseBusyboxSize(text)).toBe(bytes));

  it.each(['2X', '1T', '', '-1', '1.5G'])('refuses %s', (text) => expect(parseBusyboxSize(text)).toBeNull());
});

describe('loop devices', () => {
  it('a file and its loop device share their sectors, both ways', () => {
    const shell = new LabShell({ ramdiskKb: 1024 });
    shell.runLine('truncate -s 1M /tmp/f; losetup /dev/loop2 /tmp/f');
    shell.runLine('dd if=/patterns/D of=/dev/loop2 bs=4k seek=3 count=1 2>/dev/null');
    expect(shell.runLine('dd if=/tmp/f bs=4k skip=3 count=1 2>/dev/null | od -A d -c | head -1')).toBe(
      '0000000   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D   D\n',
    );
    shell.runLine('dd if=/patterns/E of=/tmp/f bs=4k seek=5 count=1 conv=notrunc 2>/dev/null');
    expect(shell.runLine('dd if=/dev/loop2 bs=4k skip=5 count=1 2>/dev/null | md5sum')).toBe(
      shell.runLine('dd if=/patterns/E bs=4k count=1 2>/dev/null | md5sum'),
    );
  });

  it('losetup -d on a device under a table detaches it only when the table is gone', () => {
    const shell = new LabShell({ ramdiskKb: 1024 });
    shell.runLine('truncate -s 8M /tmp/f; losetup -f /tmp/f');
    shell.runLine('dmsetup create lin --table "0 16384 linear /dev/loop0 0" && dmsetup mknodes');
    expect(shell.runLine('losetup -d /dev/loop0; echo $?; losetup -a')).toBe('0\n/dev/loop0: 0 /tmp/f\n');
    shell.runLine('dmsetup remove lin');
    expect(shell.runLine('losetup -a; losetup -f')).toBe('/dev/loop0\n');
  });

  it.each([
    ['losetup /dev/loop0 /tmp/none', 'losetup: /tmp/none: No such file or directory\n'],
    ['losetup /dev/loop0 /tmp/g', 'losetup: /tmp/g\n'],
    ['losetup -d /dev/loop5', 'losetup: /dev/loop5: No such device or address\n'],
    ['losetup -d /dev/loop20', 'losetup: /dev/loop20: No such file or directory\n'],
    ['truncate -s 5Q /tmp/f', "truncate: invalid number '5Q'\n"],
    [
      'losetup -r /dev/loop1 /tmp/g',
      'losetup: -r is not supported in the lab (supported: -a, -f, -d, LOOPDEV [FILE])\n',
    ],
    ['truncate -s 1G /nodir/z', 'truncate: /nodir/z: open: No such file or directory\n'],
  ])("%s fails with busybox's message and changes nothing", (command, message) => {
    const shell = new LabShell({ ramdiskKb: 1024 });
    shell.runLine('truncate -s 1M /tmp/f /tmp/g; losetup /dev/loop0 /tmp/f');
    const before = shell.runLine('losetup -a; wc -c < /tmp/f');
    expect(shell.runLine(`${command}; echo $?`)).toBe(`${message}1\n`);
    expect(shell.runLine('losetup -a; wc -c < /tmp/f')).toBe(before);
  });
});

describe('checkpoints from before loop devices', () => {
  it('restore: files get their storage, the machine its eight detached loop devices', async () => {
    const { deserialize, serialize } = await import('node:v8');
    const { restoreLab, snapshotLab } = await import('../replay/lab-snapshot.js');
    const shell = new LabShell({ ramdiskKb: 1024 });
    shell.runLine('echo hello > /tmp/x');
    const decoded = deserialize(snapshotLab(shell.lab)) as { graph: Record<string, unknown> };
    // Rewrite the graph to the old shape: a LabFile with its own `store` and `metadata`, no loops.
    const seen = new Set<unknown>();
    const toOldShape = (v: unknown): void => {
      if (v === null || typeof v !== 'object' || seen.has(v)) return;
      seen.add(v);
      if (v instanceof Map) {
        for (const [k, x] of v) {
          toOldShape(k);
          toOldShape(x);
        }
        return;
      }
      const record = v as Record<string, unknown>;
      if (record['\u0000class'] === 'LabFile') {
        const storage = record.storage as Record<string, unknown>;
        delete record.storage;
        record.store = storage.store;
        record.metadata = storage.metadata;
      }
      if (record['\u0000class'] === 'Machine') delete record.loops;
      for (const k of Object.keys(record)) toOldShape(record[k]);
    };
    toOldShape(decoded.graph);
    const restored = new LabShell(restoreLab(new Uint8Array(serialize(decoded))));
    expect(restored.runLine('cat /tmp/x')).toBe('hello\n');
    expect(restored.runLine('losetup -f; losetup /dev/loop7; echo $?')).toBe(
      '/dev/loop0\nlosetup: /dev/loop7: No such device or address\n1\n',
    );
  });
});
