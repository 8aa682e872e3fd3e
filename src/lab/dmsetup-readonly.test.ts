/**
 * Read-only device-mapper tables, remove_all with a device open, udevcomplete_all and pdata_tools
 * (fixtures/kernel/213 and 214, recorded on both stacks): the transcripts check the recorded
 * cases; these name each rule, and the cases the lab refuses by name.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from './lab-shell.js';

function shell(stack: 'debian12' | 'debian13' = 'debian12'): LabShell {
  return new LabShell({ ramdiskKb: 4096, stack });
}

describe('dmsetup -r (read-only tables)', () => {
  it('the disk turns read-only at the resume that swaps a read-only table in, and back at the next', () => {
    const sh = shell();
    sh.runLine('dmsetup create z --table "0 64 zero"; dmsetup mknodes');
    sh.runLine('dmsetup load -r z --table "0 64 zero"');
    // Loaded but not resumed: still writable, the inactive table is the read-only one.
    expect(sh.runLine('dmsetup info -c -o attr,readonly --noheadings z')).toBe('LI-w:Writeable\n');
    sh.runLine('dmsetup resume z');
    expect(sh.runLine('dmsetup info z | grep State; blockdev --getro /dev/mapper/z')).toBe(
      'State:             ACTIVE (READ-ONLY)\n1\n',
    );
    // A suspend and resume without a new table keeps it.
    sh.runLine('dmsetup suspend z; dmsetup resume z');
    expect(sh.runLine('dmsetup info -c -o attr --noheadings z')).toBe('L--r\n');
    sh.runLine('dmsetup reload z --table "0 64 zero"; dmsetup resume z');
    expect(sh.runLine('dmsetup info -c -o attr,readonly --noheadings z')).toBe('L--w:Writeable\n');
  });

  it('a cleared read-only inactive table leaves the disk as it was', () => {
    const sh = shell();
    sh.runLine('dmsetup create z --table "0 64 zero"');
    expect(sh.runLine('dmsetup load --readonly z --table "0 64 zero"; echo rc=$?')).toBe('rc=0\n');
    sh.runLine('dmsetup clear z; dmsetup resume z');
    expect(sh.runLine('dmsetup info -c -o attr --noheadings z')).toBe('L--w\n');
  });

  it('a write through dd fails with EPERM before the end of the device is checked; a read works', () => {
    const sh = shell();
    sh.runLine('dmsetup create -r z --table "0 64 zero"; dmsetup mknodes');
    expect(sh.runLine('dd if=/dev/zero of=/dev/mapper/z bs=512 count=1 seek=64 conv=notrunc 2>&1; echo rc=$?')).toBe(
      "dd: error writing '/dev/mapper/z': Operation not permitted\n1+0 records in\n0+0 records out\nrc=1\n",
    );
    expect(sh.runLine('dd if=/dev/mapper/z bs=512 count=1 2>/dev/null | wc -c')).toBe('512\n');
  });

  it('a thin-pool table may not be loaded read-only: EINVAL, with the kernel log lines', () => {
    const sh = shell();
    expect(
      sh.runLine('dmsetup create -r pool --table "0 8192 thin-pool /dev/ram0 /dev/ram1 128 0" 2>&1; echo rc=$?'),
    ).toBe('device-mapper: reload ioctl on pool (254:0) failed: Invalid argument\nCommand failed.\nrc=1\n');
    expect(sh.runLine("dmesg | grep read-only | sed 's/^\\[[^]]*\\] //'; dmsetup ls")).toBe(
      'device-mapper: table: 254:0: thin-pool: target type may not be included in a read-only table (-EINVAL)\nNo devices found\n',
    );
  });

  it('a thin tool writing to a read-only device is refused by name', () => {
    const sh = shell();
    sh.runLine('dmsetup create -r ro --table "0 8192 linear /dev/ram0 0"; dmsetup mknodes');
    sh.runLine(
      `printf '<superblock uuid="" time="0" transaction="1" data_block_size="128" nr_data_blocks="1024">\\n</superblock>\\n' > /tmp/m.xml`,
    );
    const out = sh.runLine('thin_restore -q -i /tmp/m.xml -o /dev/mapper/ro 2>&1; echo rc=$?');
    expect(out).toMatch(/^thinlab: not modelled: a thin tool writing to the read-only device \/dev\/mapper\/ro/);
    expect(out).toMatch(/rc=2\n$/);
  });
});

describe('dmsetup remove_all', () => {
  it('removes what nothing holds open, leaves the rest with a kernel log line, and exits 0', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"; dmsetup create b --table "0 8 zero"; dmsetup mknodes');
    sh.runLine('exec 3</dev/mapper/a');
    expect(sh.runLine('dmsetup remove_all 2>&1; echo rc=$?; dmsetup ls; test -e /dev/mapper/b || echo pruned')).toBe(
      'rc=0\na\t(254:0)\npruned\n',
    );
    expect(sh.runLine("dmesg | grep remove_all | sed 's/^\\[[^]]*\\] //'")).toBe(
      'device-mapper: ioctl: remove_all left 1 open device(s)\n',
    );
  });

  it('-f and --deferred are refused by name, and nothing is removed', () => {
    const sh = shell();
    sh.runLine('dmsetup create a --table "0 8 zero"');
    expect(sh.runLine('dmsetup remove_all -f 2>&1; echo rc=$?')).toMatch(
      /^thinlab: not modelled: dmsetup remove_all -f .*\nCommand failed.\nrc=1\n$/,
    );
    expect(sh.runLine('dmsetup remove_all --deferred 2>&1; echo rc=$?')).toMatch(
      /^thinlab: not modelled: dmsetup remove_all --deferred .*\nCommand failed.\nrc=1\n$/,
    );
    expect(sh.runLine('dmsetup ls')).toBe('a\t(254:0)\n');
  });
});

describe('dmsetup udevcomplete_all', () => {
  it('an age is printed as C prints an unsigned as %d; words that are no number fail', () => {
    const sh = shell();
    expect(sh.runLine('echo y | dmsetup udevcomplete_all 4294967295 2>&1 >/dev/null')).toBe(
      'WARNING: This operation will destroy all semaphores older than -1 minutes with keys that have a prefix 3405 (0xd4d).\n',
    );
    expect(sh.runLine('dmsetup -y udevcomplete_all 0; echo rc=$?')).toBe(
      '0 semaphores with keys prefixed by 3405 (0xd4d) destroyed. 0 skipped.\nrc=0\n',
    );
    expect(sh.runLine('dmsetup -y udevcomplete_all x1 2>&1; echo rc=$?')).toBe(
      'Failed to read age_in_minutes parameter.\nCommand failed.\nrc=1\n',
    );
  });

  it('the answer is the last y or n of the line that ends the prompt; end of input is no', () => {
    const sh = shell();
    expect(sh.runLine("printf 'yn\\n' | dmsetup udevcomplete_all 2>/dev/null")).toBe(
      'Do you really want to continue? [y/n]: Semaphores with keys prefixed by 3405 (0xd4d) NOT destroyed.\n',
    );
    expect(sh.runLine("printf '\\n\\ny\\n' | dmsetup udevcomplete_all 2>/dev/null")).toBe(
      `${'Do you really want to continue? [y/n]: '.repeat(3)}0 semaphores with keys prefixed by 3405 (0xd4d) destroyed. 0 skipped.\n`,
    );
  });
});

describe('pdata_tools', () => {
  it('runs the tool it names, as that tool', () => {
    for (const stack of ['debian12', 'debian13'] as const) {
      const sh = shell(stack);
      expect(sh.runLine('pdata_tools thin_check -V')).toBe(stack === 'debian12' ? '0.9.0\n' : '1.1.0\n');
      expect(sh.runLine('pdata_tools thin_dump /nonexistent 2>&1; echo rc=$?')).toBe(
        sh.runLine('thin_dump /nonexistent 2>&1; echo rc=$?'),
      );
    }
  });

  it('a tool of its list the lab does not have is refused by name; one off its list gets its usage', () => {
    const sh12 = shell('debian12');
    expect(sh12.runLine('pdata_tools cache_check /dev/ram0 2>&1; echo rc=$?')).toMatch(
      /^thinlab: not modelled: pdata_tools cache_check .*\nrc=2\n$/,
    );
    expect(sh12.runLine('pdata_tools thin_migrate 2>&1 | head -1')).toBe("Unknown command 'thin_migrate'\n");
    const sh13 = shell('debian13');
    expect(sh13.runLine('pdata_tools thin_shrink 2>&1; echo rc=$?')).toMatch(
      /^thinlab: not modelled: pdata_tools thin_shrink .*\nrc=2\n$/,
    );
    expect(sh13.runLine('pdata_tools thin_migrate -V')).toBe('1.1.0\n');
  });
});
