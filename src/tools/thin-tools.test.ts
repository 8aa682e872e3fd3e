/**
 * The lab's thin-provisioning-tools against the real 0.9.0 binaries: the same command line on the
 * same files, with stdout, stderr and the exit status compared exactly. Writing tools are also
 * compared by what the real thin_dump prints of their output. Skipped where the real tools are not
 * installed; the lab-only tests below cover the error paths and the device paths either way.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testSlice } from '../../test/slice.js';
import { testImages } from './tool-images.js';
import { hasRealTools, ToolBench } from './tool-test-support.js';
import { THIN_TOOLS_090 } from '../shared/thin-tool-names.js';

const images = testImages();
const bench = new ToolBench();
afterAll(() => bench.dispose());

function expectSame(line: string, extra: Record<string, Uint8Array | string> = {}): void {
  const { lab, real } = bench.both(images, line, extra);
  expect(lab).toEqual(real);
}

/** What the real thin_dump says about some metadata bytes. */
function realDump(bytes: Uint8Array, name: string): { dump: string; check: number | null } {
  const path = join(bench.dir, name);
  writeFileSync(path, bytes);
  const options = { encoding: 'utf8', maxBuffer: 256 << 20 } as const;
  return {
    dump: spawnSync('thin_dump', [path], options).stdout,
    check: spawnSync('thin_check', ['-q', path], options).status,
  };
}

const damaged = [
  'bad0',
  'bad1',
  'bad2',
  'bad3',
  'bad4',
  'bad5',
  'bad6',
  'bad7',
  'bad8',
  'bad9',
  'trunc',
  'tiny',
  'zero',
];
const deep = ['detailsLeaf', 'mappingLeaf', 'lastMappingLeaf', 'topLeaf'];
const valid = ['empty', 'small', 'big'];

describe.skipIf(!hasRealTools)('thin_check matches 0.9.0', () => {
  it.each(
    testSlice([
      ...[...valid, ...damaged, ...deep, 'undercounted', 'leaked'].map((n) => `thin_check @${n}`),
      'thin_check --ignore-non-fatal-errors @leaked',
      'thin_check -q @bad8',
      'thin_check -q @small',
      'thin_check --super-block-only @bad8',
      'thin_check --skip-mappings @bad8',
      'thin_check --skip-mappings @bad9',
      'thin_check -m @small',
      'thin_check -q -m @small',
      'thin_check @held',
      'thin_check -m @held',
      'thin_check -m @heldbig',
      'thin_check',
      'thin_check --bogus @small',
      'thin_check -h',
      'thin_check -V',
      'thin_check /run/missing',
      'thin_check /run',
    ]),
  )('%s', (line) => expectSame(line));

  it('--clear-needs-check-flag rewrites the superblock as the real tool does', () => {
    const line = 'thin_check --clear-needs-check-flag @small';
    const lab = bench.lab({ small: images.small! }, line);
    const real = bench.real({ small: images.small! }, line);
    expect([lab.stdout, lab.stderr, lab.status]).toEqual([real.stdout, real.stderr, real.status]);
    expect(Buffer.from(lab.files.small!).equals(Buffer.from(real.files.small!))).toBe(true);
  });
});

describe.skipIf(!hasRealTools)('thin_dump matches 0.9.0', () => {
  it.each(
    testSlice([
      ...[...valid, ...damaged, ...deep].map((n) => `thin_dump @${n}`),
      ...deep.map((n) => `thin_dump -r @${n}`),
      ...valid.map((n) => `thin_dump -f human_readable @${n}`),
      ...['bad0', 'bad7', 'bad8', 'bad9', 'trunc'].map((n) => `thin_dump -r @${n}`),
      'thin_dump --repair --format=human_readable @bad8',
      'thin_dump -m @small',
      'thin_dump -m 5 @small',
      'thin_dump @held',
      'thin_dump -m @held',
      'thin_dump -m50 @held',
      'thin_dump -m7 @held',
      'thin_dump -m7 @small',
      'thin_dump -m -f human_readable @heldbig',
      'thin_dump -f foo @small',
      'thin_dump --dev-id 7 @small',
      'thin_dump --dev-id 9 @small',
      'thin_dump --skip-mappings @small',
      'thin_dump -o @out.xml @small; cat @out.xml',
      'thin_dump',
      'thin_dump -x @small',
      'thin_dump -h',
      'thin_dump /run/missing',
      // An output that cannot be opened: 0.9.0's ofstream fails in silence, and the status is 0.
      'thin_dump -o /run @small',
      'thin_dump -o /run/missing/x.xml @small',
    ]),
  )('%s', (line) => expectSame(line, { 'out.xml': '' }));
});

describe.skipIf(!hasRealTools)('thin_ls matches 0.9.0', () => {
  const all =
    'DEV,MAPPED_BLOCKS,EXCLUSIVE_BLOCKS,SHARED_BLOCKS,MAPPED_SECTORS,EXCLUSIVE_SECTORS,SHARED_SECTORS,MAPPED_BYTES,EXCLUSIVE_BYTES,SHARED_BYTES,MAPPED,EXCLUSIVE,SHARED,TRANSACTION,CREATE_TIME,SNAP_TIME';
  it.each(
    testSlice([
      ...valid.map((n) => `thin_ls @${n}`),
      ...valid.map((n) => `thin_ls -o ${all} @${n}`),
      `thin_ls --no-headers -o ${all} @big`,
      'thin_ls --no-headers @empty',
      'thin_ls -o DEV,FOO @small',
      'thin_ls -o "" @small',
      'thin_ls -m @small',
      'thin_ls -m @held',
      'thin_ls -m -o DEV,EXCLUSIVE_BLOCKS,SHARED @heldbig',
      'thin_ls @bad8',
      'thin_ls @detailsLeaf',
      'thin_ls -o DEV,EXCLUSIVE @mappingLeaf',
      'thin_ls -o DEV,EXCLUSIVE @bad8',
      'thin_ls @bad7',
      'thin_ls @bad0',
      'thin_ls @tiny',
      'thin_ls',
      'thin_ls -h',
    ]),
  )('%s', (line) => expectSame(line));
});

describe.skipIf(!hasRealTools)('thin_delta and thin_rmap match 0.9.0', () => {
  it.each(
    testSlice([
      'thin_delta --thin1 0 --thin2 1 @big',
      'thin_delta --thin1 1 --thin2 2 --verbose @big',
      'thin_delta --snap1 2 --snap2 0 @big',
      'thin_delta --thin1 0 --thin2 10 --verbose @big',
      'thin_delta --thin1 10 --thin2 0 @big',
      'thin_delta --thin1 7 --thin2 7 @small',
      'thin_delta --snap1 0 --snap2 1 @small',
      'thin_delta --snap1 7 @small',
      'thin_delta --thin1 x --thin2 7 @small',
      'thin_delta --thin1 7 --thin2 7 @bad8',
      'thin_delta --thin1 7 --thin2 7 @bad0',
      'thin_delta -m --thin1 7 --thin2 7 @small',
      'thin_delta --thin1 7 --thin2 7 @held',
      'thin_delta -m --thin1 7 --thin2 7 @held',
      'thin_delta -m --thin1 0 --thin2 1 @heldbig',
      'thin_delta -m7 --thin1 7 --thin2 7 @held',
      'thin_rmap --region 0..10 @held',
      'thin_delta',
      'thin_rmap --region 0..40000 @big',
      'thin_rmap --region 0..100 --region 20000..20100 @big',
      'thin_rmap --region 0..6 @small',
      'thin_rmap --region 5 @small',
      'thin_rmap --region 5..3 @small',
      'thin_rmap --region 5..x @small',
      'thin_rmap --region 0..100 @bad8',
      'thin_rmap --region 0..10 @mappingLeaf',
      'thin_delta --thin1 0 --thin2 1 @mappingLeaf',
      'thin_rmap --region 0..100 /run/missing',
      'thin_rmap @small',
      'thin_rmap',
    ]),
  )('%s', (line) => expectSame(line));
});

/** XML inputs for thin_restore: a valid one, and one for each of the real tool's complaints. */
const SB =
  '<superblock uuid="" time="5" transaction="2" flags="0" version="2" data_block_size="128" nr_data_blocks="100">\n';
const DEV = '<device dev_id="1" mapped_blocks="1" transaction="0" creation_time="0" snap_time="0">\n';
const xmls: Record<string, string> = {
  'good.xml': `${SB}${DEV}<range_mapping origin_begin="0" data_begin="10" length="3" time="1"/>\n<single_mapping origin_block="3" data_block="13" time="2"/>\n<single_mapping origin_block="7" data_block="20" time="2"/>\n</device>\n<device dev_id="2" mapped_blocks="4" transaction="1" creation_time="3" snap_time="4">\n<range_mapping origin_begin="0" data_begin="10" length="3" time="1"/>\n</device>\n</superblock>\n`,
  'flags.xml':
    '<superblock uuid="" time="0" transaction="1" flags="1" data_block_size="128" nr_data_blocks="10">\n</superblock>\n',
  'garbage.xml': 'garbage\n',
  'empty.xml': '',
  'open.xml': `${SB}${DEV}`,
  'junk.xml': `${SB}</superblock>\n<x/>`,
  'token.xml': `${SB}${DEV.trimEnd()}\n</superblock>\n`,
  'lexical.xml': `${SB.replace('time="5"', 'time="x"')}</superblock>\n`,
  'nosb.xml': `${DEV}</device>\n`,
  'beyond.xml': `${SB}${DEV}<single_mapping origin_block="0" data_block="200" time="0"/>\n</device>\n</superblock>\n`,
  'noattr.xml': `${SB}${DEV}<single_mapping origin_block="0" time="0"/>\n</device>\n</superblock>\n`,
  'unknown.xml': `${SB}${DEV}<foo/>\n</device>\n</superblock>\n`,
  'notin.xml': `${SB}<single_mapping origin_block="0" data_block="2" time="0"/>\n</superblock>\n`,
  'dup.xml': `${SB}${DEV}</device>${DEV}</device></superblock>\n`,
  'mismatch.xml': `${SB}${DEV}</superblock>\n`,
};
const outputs = {
  'out.bin': new Uint8Array(4 << 20),
  'small.bin': new Uint8Array(20480),
  'min.bin': new Uint8Array(32768),
  'zero.bin': new Uint8Array(0),
};

describe.skipIf(!hasRealTools)('thin_restore matches 0.9.0', () => {
  // test:fast takes every third (test/slice.ts), as below.
  it.each(testSlice(Object.keys(xmls)))('restores %s as the real tool does', (xml) => {
    const line = `thin_restore -i @${xml} -o @out.bin`;
    const files = { [xml]: xmls[xml]!, 'out.bin': outputs['out.bin'] };
    const lab = bench.lab(files, line);
    const real = bench.real(files, line);
    expect([lab.stdout, lab.stderr, lab.status]).toEqual([real.stdout, real.stderr, real.status]);
    // A failed restore leaves the superblock wiped in both; a good one dumps the same and checks clean.
    const labOut = realDump(lab.files['out.bin']!, 'lab-out.bin');
    const realOut = realDump(real.files['out.bin']!, 'real-out.bin');
    expect(labOut).toEqual(realOut);
  });

  it('restores the big lab state through its own dump', () => {
    const xml = realDump(images.big!, 'big.bin').dump;
    const files = { 'big.xml': xml, 'out.bin': new Uint8Array(16 << 20) };
    const lab = bench.lab(files, 'thin_restore -i @big.xml -o @out.bin');
    expect(lab.status).toBe(0);
    expect(realDump(lab.files['out.bin']!, 'lab-big.bin')).toEqual({ dump: xml, check: 0 });
  });

  it.each(
    testSlice([
      'thin_restore -i @small -o @out.bin',
      'thin_restore -i @tiny -o @out.bin',
      'thin_restore -i @good.xml -o @small.bin',
      'thin_restore -i @good.xml -o @min.bin',
      'thin_restore -i @good.xml -o @zero.bin',
      'thin_restore -i @good.xml -o /run/missing',
      'thin_restore -i /run/missing -o @out.bin',
      'thin_restore -i @good.xml -o /run',
      'thin_restore -i @good.xml',
      'thin_restore -o @out.bin',
      'thin_restore',
      'thin_restore -h',
      'thin_restore -V',
    ]),
  )('%s', (line) => expectSame(line, { ...xmls, ...outputs }));
});

describe.skipIf(!hasRealTools)('thin_repair matches 0.9.0', () => {
  it.each(testSlice(['small', 'big', 'empty', 'held', ...deep, 'bad0', 'bad7', 'bad8', 'bad9', 'trunc', 'tiny']))(
    'repairs %s as the real tool does',
    (name) => {
      const line = `thin_repair -i @${name} -o @out.bin`;
      const files = { [name]: images[name]!, 'out.bin': new Uint8Array(16 << 20) };
      const lab = bench.lab(files, line);
      const real = bench.real(files, line);
      expect([lab.stdout, lab.stderr, lab.status]).toEqual([real.stdout, real.stderr, real.status]);
      if (real.status === 0)
        expect(realDump(lab.files['out.bin']!, 'lab-rep.bin')).toEqual(
          realDump(real.files['out.bin']!, 'real-rep.bin'),
        );
    },
  );

  it.each(
    testSlice([
      'thin_repair -i @small',
      'thin_repair -o @out.bin',
      'thin_repair -i /run/missing -o @out.bin',
      'thin_repair -i @small -o /run/missing',
      'thin_repair -i @small -o @tiny',
      'thin_repair',
    ]),
  )('%s', (line) => expectSame(line, { 'out.bin': new Uint8Array(4 << 20) }));
});

describe.skipIf(!hasRealTools)('thin_trim matches 0.9.0 where files can stand in for devices', () => {
  it.each(
    testSlice([
      'thin_trim --metadata-dev @small --data-dev @empty',
      'thin_trim --metadata-dev @small --data-dev /run/missing',
      'thin_trim --metadata-dev /run/missing --data-dev @small',
      'thin_trim --metadata-dev @bad0 --data-dev @small',
      'thin_trim --metadata-dev @bad4 --data-dev @small',
      'thin_trim --metadata-dev @tiny --data-dev @small',
      'thin_trim --metadata-dev @small',
      'thin_trim --pool-inactive --metadata-dev @small --data-dev @empty',
      'thin_trim',
      'thin_trim -h',
    ]),
  )('%s', (line) => expectSame(line));
});

describe.skipIf(!hasRealTools)('thin_metadata_size matches 0.9.0', () => {
  const grid: string[] = [];
  for (const b of ['64k', '128', '1m', '2g', '512']) {
    for (const s of ['1t', '10g', '100000', '3T', '1p']) {
      for (const m of ['1', '1000', '7k']) grid.push(`-b ${b} -s ${s} -m ${m}`);
    }
  }
  const units = ['', ' -u k', ' -u m', ' -u G', ' -u t -n', ' -u b -nlong', ' -u M -nshort'];
  // test:fast takes every third line of the grid (test/slice.ts).
  it.each(testSlice(grid.flatMap((g, i) => [g + units[i % units.length]!, g + units[(i + 3) % units.length]!])))(
    'thin_metadata_size %s',
    (args) => expectSame(`thin_metadata_size ${args}`),
  );
  it.each(
    testSlice([
      '',
      '-h',
      '-V',
      '-x',
      '-b',
      '-b 64k',
      '-b 64k -s 1t',
      '-b 63k -s 1t -m 1',
      '-b 64k -s 64k -m 1',
      '-b x -s 1t -m 1',
      '-b 64k -s 1t -m 1 -u q',
      '-b 64k -b 64k -s 1t -m 1',
      '-b 64k -s 1t -m 1 -n -n',
      '-b 64k -s 1t -m 1 -nfoo',
      '--block-size=64kib --pool-size=1tebi --max-thins=10k',
      '-u m -b 128 -s 1000000 -m 3',
    ]),
  )('thin_metadata_size %s', (args) => expectSame(`thin_metadata_size ${args}`));
});

describe.skipIf(!hasRealTools)('stdout and stderr interleave as with 0.9.0', () => {
  it.each(
    testSlice([
      'thin_check @small',
      'thin_check @bad8',
      'thin_check @mappingLeaf',
      'thin_check @undercounted',
      'thin_check --clear-needs-check-flag @small',
      'thin_dump @bad8',
      'thin_dump @bad9',
      'thin_dump @mappingLeaf',
      'thin_delta --thin1 7 --thin2 7 @bad8',
      'thin_ls @bad7',
      'thin_rmap --region 5 @small',
      'thin_restore -i @small -o @small',
      'thin_metadata_size -b 64k -s 1t',
    ]),
  )('%s', (line) => {
    const files = bench.files(images, line);
    const { lab, real } = bench.combined(files, line);
    expect(lab).toBe(real);
  });
});

/** Loop devices let the real thin_trim discard onto a block device (root only). */
const canLoop = hasRealTools && process.getuid?.() === 0 && spawnSync('losetup', ['-f']).status === 0;

describe.skipIf(!canLoop)('thin_trim on a block device matches 0.9.0', () => {
  const xmlFor = (runs: Array<[number, number]>): string =>
    '<superblock uuid="" time="0" transaction="1" flags="0" version="2" data_block_size="128" nr_data_blocks="1024">\n' +
    '<device dev_id="1" mapped_blocks="0" transaction="0" creation_time="0" snap_time="0">\n' +
    runs
      .map(
        ([begin, length], i) =>
          `<range_mapping origin_begin="${i * 2000}" data_begin="${begin}" length="${length}" time="0"/>\n`,
      )
      .join('') +
    '</device>\n</superblock>\n';
  it.each(
    testSlice([
      [
        'gaps and a free tail',
        [
          [10, 3],
          [100, 1],
        ],
      ],
      [
        'the last block in use',
        [
          [3, 1],
          [1023, 1],
        ],
      ],
      ['nothing in use', []],
      ['everything in use', [[0, 1024]]],
      ['a free head only', [[500, 524]]],
    ]) as Array<[string, Array<[number, number]>]>,
  )('%s', (_name, runs) => {
    const xml = xmlFor(runs);
    // The real tool: metadata restored into a file, the data device a 64 MiB loop device.
    const meta = join(bench.dir, 'trim-meta.bin');
    const data = join(bench.dir, 'trim-data.bin');
    writeFileSync(join(bench.dir, 'trim.xml'), xml);
    writeFileSync(meta, new Uint8Array(1 << 20));
    writeFileSync(data, new Uint8Array(0));
    spawnSync('truncate', ['-s', String(1024 * 128 * 512), data]);
    expect(spawnSync('thin_restore', ['-i', join(bench.dir, 'trim.xml'), '-o', meta]).status).toBe(0);
    const loop = spawnSync('losetup', ['-f', '--show', data], { encoding: 'utf8' }).stdout.trim();
    let real: string;
    try {
      const r = spawnSync('sh', ['-c', `thin_trim --metadata-dev ${meta} --data-dev ${loop} 2>&1; echo "rc=$?"`], {
        encoding: 'utf8',
      });
      real = r.stdout;
    } finally {
      spawnSync('losetup', ['-d', loop]);
    }
    // The lab: the same XML restored by the lab, the data device a thin of the same size.
    const lab = bench.lab(
      { 'trim.xml': xml, 'meta.bin': new Uint8Array(1 << 20) },
      [
        'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
        'dmsetup message pool 0 "create_thin 1"',
        'dmsetup create thin --table "0 131072 thin /dev/mapper/pool 1" && dmsetup mknodes',
        'thin_restore -i @trim.xml -o @meta.bin',
        'thin_trim --metadata-dev @meta.bin --data-dev /dev/mapper/thin 2>&1; echo "rc=$?"',
      ].join('\n'),
    );
    expect(lab.stdout).toBe(real);
  });
});

describe.skipIf(!canLoop)('on live metadata (a device held open) the tools refuse as 0.9.0 does', () => {
  const lines = [
    'thin_check DEV',
    'thin_check --super-block-only DEV',
    'thin_check --clear-needs-check-flag DEV',
    'thin_dump DEV',
    'thin_dump -r DEV',
    'thin_ls DEV',
    'thin_delta --thin1 7 --thin2 7 DEV',
    'thin_rmap --region 0..3 DEV',
    'thin_repair -i DEV -o OUT',
    'thin_restore -i XML -o DEV',
    'thin_trim --metadata-dev DEV --data-dev OUT',
  ];
  it.each(lines)('%s', (template) => {
    // The real tool: the metadata on a loop device that this process holds open with O_EXCL.
    const meta = join(bench.dir, 'live-meta.bin');
    writeFileSync(meta, images.small!);
    writeFileSync(join(bench.dir, 'live-out.bin'), new Uint8Array(1 << 20));
    writeFileSync(join(bench.dir, 'live.xml'), xmls['good.xml']!);
    const loop = spawnSync('losetup', ['-f', '--show', meta], { encoding: 'utf8' }).stdout.trim();
    let real: string;
    const fd = openSync(loop, constants.O_RDONLY | constants.O_EXCL);
    try {
      const line = template
        .replace('DEV', loop)
        .replace('OUT', join(bench.dir, 'live-out.bin'))
        .replace('XML', join(bench.dir, 'live.xml'));
      real = spawnSync('sh', ['-c', `${line} 2>&1; echo "rc=$?"`], { encoding: 'utf8' }).stdout;
    } finally {
      closeSync(fd);
      spawnSync('losetup', ['-d', loop]);
    }
    // The lab: /dev/ram0 is the metadata device of an active pool.
    const lab = bench.lab(
      { 'out.bin': new Uint8Array(1 << 20), 'live.xml': xmls['good.xml']! },
      [
        'dmsetup create pool --table "0 131072 thin-pool /dev/ram0 /dev/ram1 128 0" && dmsetup mknodes',
        `${template.replace('DEV', '/dev/ram0').replace('OUT', '@out.bin').replace('XML', '@live.xml')} 2>&1; echo "rc=$?"`,
      ].join('\n'),
    );
    expect(lab.stdout).toBe(real);
  });
});

// Every tool's -h and -V, also after other options and after a bad option value: the lab acts on
// options in getopt order through one shared helper, as each real tool's option loop does.
describe.skipIf(!hasRealTools)('-h and -V match 0.9.0 for every tool', () => {
  const tools = THIN_TOOLS_090;
  it.each(
    testSlice([
      ...tools.flatMap((t) => [`${t} -h`, `${t} -V`, `${t} --help`, `${t} --version`, `${t} -V -h`]),
      'thin_check -q -h @small',
      'thin_dump -f bogus -h @small',
      'thin_dump -h -f bogus @small',
      'thin_ls -o BOGUS -V @small',
      'thin_rmap --region x -h @small',
      'thin_metadata_size -b 64k -h',
      'thin_metadata_size -b x -V',
    ]),
  )('%s', (line) => expectSame(line));
});

describe.skipIf(!hasRealTools)('thin_dump checks -f and --dev-id where 0.9.0 does', () => {
  it.each(
    testSlice([
      'thin_dump -f bogus',
      'thin_dump -f bogus /run/missing',
      'thin_dump -f bogus @small',
      'thin_dump -f custom @small',
      'thin_dump -f bogus -f xml @small',
      'thin_dump -f xml -f bogus @small',
      'thin_dump --dev-id x @small',
      'thin_dump --dev-id x',
      'thin_dump --dev-id 1x @small',
      'thin_dump --dev-id -1 @small',
      'thin_dump --dev-id -0 @small',
      'thin_dump --dev-id " 1" @small',
    ]),
  )('%s', (line) => expectSame(line));
});

// The five tools that share `openMetadata`, each failing at every step of it: the open, a file
// smaller than a block, and a bad superblock checksum (thin_dump --repair words that one itself).
describe.skipIf(!hasRealTools)('opening metadata fails as 0.9.0 does', () => {
  it.each(
    testSlice([
      ...['/run/missing', '@tiny', '@bad0'].flatMap((input) => [
        `thin_dump ${input}`,
        `thin_dump -r ${input}`,
        `thin_ls ${input}`,
        `thin_delta --thin1 0 --thin2 1 ${input}`,
        `thin_rmap --region 0..10 ${input}`,
        `thin_trim --metadata-dev ${input} --data-dev @small`,
      ]),
    ]),
  )('%s', (line) => expectSame(line));
});
