/**
 * Lab-only tests of the thin-provisioning-tools: block devices (which the comparison with the real
 * binaries cannot use), usage and file errors, and the helpers whose behaviour was measured on
 * 0.9.0 (size formatting, std::sort's order, printf rounding). These run with or without the
 * real tools installed.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { cppSort } from './cpp-sort.js';
import { getoptLong } from './getopt.js';
import { formatDiskUnit } from './thin-ls.js';
import { cExp2, cFixed2 } from './float-format.js';
import { testImages } from './tool-images.js';
import { THIN_CHECK_USAGE, THIN_RMAP_USAGE } from './usage.js';

const images = testImages();

function shellWith(files: Record<string, Uint8Array | string>): LabShell {
  const shell = new LabShell();
  for (const [name, content] of Object.entries(files)) {
    const f = shell.fs.openForWrite(`/run/${name}`, true);
    if (typeof f === 'string') throw new Error(f);
    f.writeBytes(0, typeof content === 'string' ? new TextEncoder().encode(content) : content);
  }
  return shell;
}

const XML = `<superblock uuid="" time="0" transaction="1" flags="1" version="2" data_block_size="128" nr_data_blocks="1024">
  <device dev_id="1" mapped_blocks="4" transaction="0" creation_time="0" snap_time="0">
    <range_mapping origin_begin="0" data_begin="10" length="3" time="0"/>
    <single_mapping origin_block="9" data_block="100" time="0"/>
  </device>
</superblock>
`;

describe('the tools on the lab block devices', () => {
  it('thin_check reports an unformatted ram disk as 0.9.0 reports zeros', () => {
    const shell = new LabShell();
    expect(shell.runLine('thin_check /dev/ram0; echo "rc=$?"')).toBe(
      'examining superblock\n  superblock is corrupt\n    bad checksum in superblock, wanted 1490015127\nrc=1\n',
    );
  });

  it('thin_restore writes a ram disk that thin_check, thin_dump and thin_ls then read', () => {
    const shell = shellWith({ 'a.xml': XML });
    expect(shell.runLine('thin_restore -i /run/a.xml -o /dev/ram0; echo "rc=$?"')).toBe('rc=0\n');
    expect(shell.runLine('thin_check /dev/ram0; echo "rc=$?"')).toBe(
      'examining superblock\nTRANSACTION_ID=1\nMETADATA_FREE_BLOCKS=16383\nexamining devices tree\nexamining mapping tree\nchecking space map counts\nrc=0\n',
    );
    expect(shell.runLine('thin_dump /dev/ram0')).toBe(XML.replace(/^ {2}/gm, '  '));
    expect(shell.runLine('thin_ls /dev/ram0')).toBe(
      'DEV MAPPED CREATE_TIME SNAP_TIME \n  1 256KiB           0         0 \n',
    );
  });

  it('thin_check --clear-needs-check-flag clears the flag on a device', () => {
    const shell = shellWith({ 'a.xml': XML });
    shell.runLine('thin_restore -i /run/a.xml -o /dev/ram0');
    expect(shell.runLine('thin_check -q --clear-needs-check-flag /dev/ram0; echo "rc=$?"')).toBe('rc=0\n');
    expect(shell.runLine('thin_dump /dev/ram0 | head -n 1')).toContain('flags="0"');
  });

  it('thin_repair copies a device to a file without the damaged tree', () => {
    const shell = shellWith({ 'bad8.bin': images.bad8!, 'out.bin': new Uint8Array(1 << 20) });
    expect(shell.runLine('thin_repair -i /run/bad8.bin -o /run/out.bin; echo "rc=$?"')).toBe('rc=0\n');
    expect(shell.runLine('thin_dump /run/out.bin')).toBe(
      '<superblock uuid="" time="0" transaction="3" flags="1" version="2" data_block_size="256" nr_data_blocks="5000">\n' +
        '  <device dev_id="7" mapped_blocks="0" transaction="0" creation_time="0" snap_time="0">\n  </device>\n</superblock>\n',
    );
  });

  it('thin_trim fails as 0.9.0 does when the data device refuses discards (a ram disk)', () => {
    // 1024 data blocks of 128 sectors: exactly the 64 MiB of /dev/ram1.
    const shell = shellWith({ 'a.xml': XML, 'meta.bin': new Uint8Array(1 << 20) });
    shell.runLine('thin_restore -i /run/a.xml -o /run/meta.bin');
    expect(shell.runLine('thin_trim --metadata-dev /run/meta.bin --data-dev /dev/ram1; echo "rc=$?"')).toBe(
      'in trim\nemitting discard for blocks (13, 100]\ndiscard ioctl failed\nrc=1\n',
    );
    expect(shell.runLine('thin_trim --metadata-dev /run/meta.bin --data-dev /dev/ram9; echo "rc=$?"')).toBe(
      "in trim\nCouldn't open data device '/dev/ram9'\nrc=1\n",
    );
  });

  it('thin_trim discards the gaps (and, as 0.9.0 does, the last block in use) on a thin device', () => {
    // A thin device of 1024 blocks of 128 sectors stands in for the data device; thins take discards.
    const shell = shellWith({ 'a.xml': XML, 'meta.bin': new Uint8Array(1 << 20) });
    shell.runLine('dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes');
    shell.runLine('dmsetup message pool 0 "create_thin 1"');
    shell.runLine('dmsetup create thin --table "0 131072 thin /dev/mapper/pool 1" && dmsetup mknodes');
    shell.runLine('thin_restore -i /run/a.xml -o /run/meta.bin');
    expect(shell.runLine('thin_trim --metadata-dev /run/meta.bin --data-dev /dev/mapper/thin; echo "rc=$?"')).toBe(
      'in trim\nemitting discard for blocks (13, 100]\nemitting discard for blocks (100, 1024]\nrc=0\n',
    );
  });

  it('thin_trim refuses a data device of the wrong size', () => {
    const shell = shellWith({ 'small.bin': images.small! });
    expect(shell.runLine('thin_trim --metadata-dev /run/small.bin --data-dev /dev/ram1; echo "rc=$?"')).toBe(
      'in trim\nData device is not the expected size\nrc=1\n',
    );
  });
});

describe('usage and file errors', () => {
  const cases: Array<[string, string]> = [
    ['thin_check; echo "rc=$?"', `No input file provided.\n${THIN_CHECK_USAGE}rc=1\n`],
    ['thin_check /run/none; echo "rc=$?"', "Couldn't stat path\nrc=1\n"],
    ['thin_check /tmp; echo "rc=$?"', 'bad path\nrc=1\n'],
    // Every directory the shell knows, not a list of the tools' own (the real 0.9.0 on a host's /etc/lvm, /sys/block/loop0).
    ['thin_check /sys/block/ram0; echo "rc=$?"', 'bad path\nrc=1\n'],
    ['thin_dump /etc/lvm; echo "rc=$?"', 'bad path\nrc=1\n'],
    ['thin_check -z /run/x; echo "rc=$?"', `thin_check: invalid option -- 'z'\n${THIN_CHECK_USAGE}rc=1\n`],
    ['thin_check -m /run/small.bin; echo "rc=$?"', 'No metadata snapshot found.\nrc=1\n'],
    ['thin_check -q -m /run/small.bin; echo "rc=$?"', 'rc=1\n'],
    ['thin_dump -f yaml /run/small.bin; echo "rc=$?"', "unknown format 'yaml'\nrc=1\n"],
    ['thin_dump /run/tiny.bin; echo "rc=$?"', 'Metadata is not large enough for superblock.\nrc=1\n'],
    ['thin_rmap --region 4 /run/small.bin; echo "rc=$?"', 'badly formed region (no dots)rc=1\n'],
    ['thin_rmap /run/small.bin; echo "rc=$?"', `No regions provided.\n${THIN_RMAP_USAGE}rc=1\n`],
    [
      'thin_restore -i /run/small.bin -o /run/none; echo "rc=$?"',
      'Output file does not exist.\n\nThe output file should either be a block device,\nor an existing file.  The file needs to be large\nenough to hold the metadata.\nrc=1\n',
    ],
    ['thin_ls -o DEV,NOPE /run/small.bin; echo "rc=$?"', 'unknown field\nrc=1\n'],
    ['thin_metadata_size -b 64k -s 1t; echo "rc=$?"', 'thin_metadata_size - max thins required!\nrc=1\n'],
    ['thin_metadata_size -b 64k -s 1t -m 1000 -n', '1073224\n'],
  ];
  it.each(cases)('%s', (line, expected) => {
    const shell = shellWith({ 'small.bin': images.small!, 'tiny.bin': images.tiny! });
    expect(shell.runLine(line)).toBe(expected);
  });

  it('thin_restore leaves a wiped superblock behind when the XML is bad, as 0.9.0 does', () => {
    const shell = shellWith({ 'bad.xml': '<superblock', 'out.bin': images.small! });
    expect(shell.runLine('thin_restore -i /run/bad.xml -o /run/out.bin; echo "rc=$?"')).toBe(
      'Parse error at line 1:\nunclosed token\n\nrc=1\n',
    );
    expect(shell.runLine('thin_check -q /run/out.bin; echo "rc=$?"')).toBe('rc=1\n');
  });
});

describe('helpers measured on 0.9.0', () => {
  it('formatDiskUnit rounds as thin_ls 0.9.0 does', () => {
    // Sizes in sectors and what 0.9.0's thin_ls printed for them (data block size of one sector).
    const measured: Array<[number, string]> = [
      [3, '1536'],
      [8, '4096'],
      [19, '10KiB'],
      [21, '11KiB'],
      [1019, '510KiB'],
      [1023, '512KiB'],
      [1025, '513KiB'],
      [2047, '1024KiB'],
      [2049, '1024KiB'],
      [3071, '1535KiB'],
      [4097, '2048KiB'],
      [10239, '5119KiB'],
      [20479, '10MiB'],
      [30000, '15MiB'],
      [100000, '49MiB'],
      [2096127, '1023MiB'],
      [2096129, '1024MiB'],
    ];
    for (const [sectors, text] of measured) expect(formatDiskUnit(BigInt(sectors))).toBe(text);
  });

  it('cppSort sorts by the key, and keeps equal keys in introsort order', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ key: (i * 7919) % 37, id: i }));
    const sorted = [...items];
    cppSort(sorted, (a, b) => a.key < b.key);
    expect(sorted.map((x) => x.key)).toEqual(items.map((x) => x.key).sort((a, b) => a - b));
    expect(new Set(sorted.map((x) => x.id)).size).toBe(500);
  });

  it('cFixed2 and cExp2 print as glibc printf does', () => {
    expect(cFixed2(0.125)).toBe('0.12');
    expect(cFixed2(0.375)).toBe('0.38');
    expect(cFixed2(524.04296875)).toBe('524.04');
    expect(cExp2(1024.001)).toBe('1.02e+03');
  });

  it('getoptLong permutes operands, takes attached optional arguments and abbreviations', () => {
    const longs = [
      { name: 'metadata-snap', arg: 'optional', key: 'm' },
      { name: 'format', arg: 'required', key: 'f' },
    ] as const;
    expect(getoptLong('t', ['-m', '5', 'dev', '--form', 'xml'], 'm::f:', longs)).toEqual({
      ok: true,
      options: [
        { key: 'm', arg: undefined },
        { key: 'f', arg: 'xml', at: { index: 4, offset: 0 } },
      ],
      operands: ['5', 'dev'],
      operandIndices: [1, 2],
    });
    // Where each value sits, for the CLI's rewriting of paths: inside `--output=`, `-o` attached or not.
    const positions = getoptLong('t', ['--format=a', '-fb', '-f', 'c', '--', '-x'], 'm::f:', longs);
    expect(positions).toEqual({
      ok: true,
      options: [
        { key: 'f', arg: 'a', at: { index: 0, offset: 9 } },
        { key: 'f', arg: 'b', at: { index: 1, offset: 2 } },
        { key: 'f', arg: 'c', at: { index: 3, offset: 0 } },
      ],
      operands: ['-x'],
      operandIndices: [5],
    });
    expect(getoptLong('t', ['--format'], 'm::f:', longs)).toEqual({
      ok: false,
      message: "t: option '--format' requires an argument\n",
    });
  });
});

describe('thin-provisioning-tools per stack', () => {
  const run = (stack: 'debian12' | 'debian13', line: string): { out: string; status: string } => {
    const shell = new LabShell({ stack });
    const out = shell.runLine(`${line} 2>&1`);
    return { out, status: shell.lastStatus };
  };

  it('answers -V with the release of the stack', () => {
    expect(run('debian12', 'thin_check -V')).toEqual({ out: '0.9.0\n', status: '0' });
    expect(run('debian13', 'thin_check -V')).toEqual({ out: '1.1.0\n', status: '0' });
  });

  it('has 1.1.0-only tools on debian13 alone: on debian12 the shell does not find them', () => {
    expect(run('debian12', 'thin_migrate -V').status).toBe('127');
    expect(run('debian12', 'thin_migrate -V').out).toMatch(/thin_migrate: not found\n$/);
    expect(run('debian13', 'thin_migrate -V')).toEqual({ out: '1.1.0\n', status: '0' });
  });

  it('has no thin_ll_dump on either stack', () => {
    for (const stack of ['debian12', 'debian13'] as const)
      expect(run(stack, 'thin_ll_dump /dev/ram0').out).toMatch(/thin_ll_dump: not found\n$/);
  });

  it('refuses by name what it does not model of 1.1.0, never with 0.9.0 words', () => {
    // thin_ls and thin_delta 1.1.0 are modelled (thin-ls-1x.ts, thin-delta-1x.ts); thin_metadata_pack's run is not.
    const pack = run('debian13', 'thin_metadata_pack -i /dev/ram0 -o /tmp/x.pack');
    expect(pack).toEqual({
      out: 'thinlab: not modelled: thin_metadata_pack of thin-provisioning-tools 1.1.0 (stack debian13): what it does beyond -h, -V and its command-line checks; see docs/tools.md\n',
      status: '127',
    });
    // thin_delta runs: on a RAM disk that holds no metadata, 1.1.0's words.
    expect(run('debian13', 'thin_delta --thin1 0 --thin2 1 /dev/ram0')).toEqual({
      out: 'bad checksum in superblock\n',
      status: '64',
    });
    const dump = run('debian13', 'thin_dump --transaction-id 3 /dev/ram0');
    expect(dump.status).toBe('127');
    expect(dump.out).toBe(
      "thinlab: not modelled: thin_dump of thin-provisioning-tools 1.1.0 (stack debian13): how it reports this failure (the lab has only 0.9.0's words for it); see docs/tools.md\n",
    );
    expect(run('debian13', 'cache_restore -i x -o y').out).toContain('thinlab: not modelled: cache_restore');
  });

  it("prints 1.1.0's thin_rmap of a snapshot sharing its origin's empty leaf: nothing, status 0", () => {
    // The real 1.1.0 on Linux 6.12 printed nothing with status 0 for this pool (fixtures/kernel-probes/220,
    // `rmap rc=0`); the lab refused it by name, the shared leaf being walked once.
    const shell = new LabShell({ stack: 'debian13' });
    shell.runLine('dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0"');
    shell.runLine(
      'dmsetup message pool 0 "create_thin 0"; dmsetup message pool 0 "create_snap 1 0"; dmsetup remove pool',
    );
    const out = shell.runLine('thin_rmap --region 0..10 /dev/ram0 2>&1');
    expect([out, shell.lastStatus]).toEqual(['', '0']);
  });

  it('says the metadata device of a live pool is busy, as 1.1.0 does', () => {
    const shell = new LabShell({ stack: 'debian13' });
    shell.runLine('dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes');
    const out = shell.runLine('thin_check /dev/ram0 2>&1');
    expect([out, shell.lastStatus]).toEqual(['Device or resource busy (os error 16)\n', '64']);
  });

  it('fails a leaked data block with 64 on debian13, where 0.9.0 on debian12 passes it', () => {
    const script = [
      'dmsetup create pool --table "0 1024 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
      'dmsetup message pool 0 "create_thin 0"',
      'dmsetup create thin --table "0 1024 thin /dev/mapper/pool 0" && dmsetup mknodes',
      'dd if=/patterns/A of=/dev/mapper/thin bs=64k count=2',
      'dmsetup remove thin',
      'dmsetup remove pool',
      'fault metadata refcount-high /dev/ram0',
    ];
    const results = (['debian12', 'debian13'] as const).map((stack) => {
      const shell = new LabShell({ stack });
      for (const line of script) shell.runLine(line);
      const out = shell.runLine('thin_check /dev/ram0 2>&1');
      return { out, status: shell.lastStatus };
    });
    expect(results[0]!.status).toBe('0');
    expect(results[1]!.status).toBe('64');
    expect(results[1]!.out).toContain('1 data blocks have leaked.\n');
    expect(results[1]!.out).toContain('data space map contains leaks\nperhaps you wanted to run with --auto-repair\n');
  });
});
