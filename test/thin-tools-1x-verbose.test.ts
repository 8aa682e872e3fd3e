/**
 * The hidden -v of the 1.1.0 tools whose log lines the lab prints (thin_ls, thin_restore,
 * thin_repair, thin_migrate; src/tools/log-level-1x.ts), and the option checks found beside them,
 * against the real 1.1.0 on the same files: stdout, stderr and the status, exactly. The real runs
 * go in one batch (test/real-tools-batch.ts). What depends on timing (-vv's debug lines on a
 * counting thin_ls) must be refused by name. Skipped where the real 1.1.0 is absent.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRealTools1x } from '../src/tools/real-tools-1x.js';
import { nodeProblemImages, testImages } from '../src/tools/tool-images.js';
import { ToolBench, withoutUnwrittenNodeTails } from '../src/tools/tool-test-support.js';
import { type BatchResult, runRealBatch } from './real-tools-batch.js';

// The lab words a panic as the real tool does without RUST_BACKTRACE (rust-panic-1x.ts); a
// developer's shell that sets it would change only the real side.
delete process.env.RUST_BACKTRACE;

const real = findRealTools1x();
const binDir = 'binDir' in real ? real.binDir : undefined;
if (binDir === undefined)
  console.log(
    `thin-tools-1x-verbose: skipping the comparison with the real 1.1.0: ${'missing' in real ? real.missing : ''}`,
  );
const bench = new ToolBench('debian13', binDir);
afterAll(() => {
  bench.dispose();
  if (binDir !== undefined) rmSync(binDir, { recursive: true, force: true });
});

const device = (id: number, mappings: string): string =>
  `<device dev_id="${id}" mapped_blocks="1" transaction="0" creation_time="0" snap_time="0">\n${mappings}</device>\n`;
const superblock = '<superblock uuid="" time="1" transaction="2" data_block_size="128" nr_data_blocks="100">\n';
const mapping = (block: number): string => `<single_mapping origin_block="0" data_block="${block}" time="0"/>\n`;

const images: Record<string, Uint8Array | string> = {
  ...testImages(),
  ...nodeProblemImages(),
  out: new Uint8Array(4 << 20),
  data: new Uint8Array(1 << 20),
  'two.xml': `${superblock}${device(3, mapping(5))}${device(9, mapping(6))}</superblock>\n`,
  // The second device's mapping is past nr_data_blocks: both devices were begun before the error.
  'bad.xml': `${superblock}${device(3, mapping(5))}${device(9, mapping(500))}</superblock>\n`,
  // No </superblock>: "incomplete source metadata" after the devices' lines.
  'open.xml': `${superblock}${device(3, '')}${device(4, '')}`,
};
const many = (n: number): string => Array.from({ length: n }, () => ' -v').join('');

const lines = [
  // thin_ls: Info adds the scan's node counts, after "Scanning data mappings" and before an error.
  ...['small', 'held', 'empty', 'mappingLeaf', 'lastMappingLeaf', 'bad1', 'bad8', 'topLeaf', 'leaked'].map(
    (n) => `thin_ls -v @${n}`,
  ),
  'thin_ls -v -o DEV,SHARED_BLOCKS,EXCLUSIVE @big',
  'thin_ls -v -m @heldbig',
  'thin_ls -v -m @small',
  'thin_ls -v /run/missing',
  // Without a counting column there is no scan, so -vv prints nothing more.
  'thin_ls -vv -o DEV,TRANSACTION @big',
  // The level is 3 + the count in a u8: 253 wrap to 0 ("invalid index"), 254 to Fatal.
  `thin_ls${many(253)} @small`,
  `thin_ls${many(254)} @small`,
  // Found beside -v: a tiny file, and --format given twice.
  'thin_ls @tiny',
  'thin_ls -v @tiny',
  'thin_ls -o DEV -o DEV @small',
  // thin_restore: "building btree for device N" as each <device> opens; -q drops them.
  'thin_restore -v -i @two.xml -o @out',
  'thin_restore -vvv -i @two.xml -o @out',
  'thin_restore -v -q -i @two.xml -o @out',
  'thin_restore -v -i @bad.xml -o @out',
  'thin_restore -v -i @small -o @out',
  'thin_restore -v -i @open.xml -o @out',
  'thin_restore -v -i @two.xml -o @tiny',
  `thin_restore${many(253)} -i @two.xml -o @out`,
  'thin_restore --transaction-id 4 --transaction-id 5 -i @two.xml -o @out',
  // thin_migrate: -v is taken; its checks before the migration, and its hidden options.
  'thin_migrate -v',
  'thin_migrate -vv --source-dev @small',
  'thin_migrate -q --source-dev @small',
  `thin_migrate${many(253)}`,
  'thin_migrate --zero-dest --source-dev @small --buffer-size-meg 4',
  'thin_migrate --delta-id 5',
  'thin_migrate -q --delta-id x --source-dev @small --dest-file @out',
  'thin_migrate --zero',
  'thin_migrate --source-dev a --source-dev b',
  'thin_migrate --buffer-size-meg 1 --buffer-size-meg 2',
  'thin_metadata_pack -v -i @small -o @out',
  'thin_metadata_unpack -v -i @small -o @out',
  // thin_repair: the root search's candidates and pairs, then the Restorer's lines; -q says nothing.
  ...['small', 'big', 'held', 'heldbig', 'empty', 'leaked', 'undercounted', 'trunc', 'detailsLeaf'].map(
    (n) => `thin_repair -v -i @${n} -o @out`,
  ),
  ...['bad0', 'bad1', 'bad7', 'bad8', 'bad9'].map((n) => `thin_repair -v -i @${n} -o @out`),
  'thin_repair -vv -i @small -o @out',
  'thin_repair -q -v -i @small -o @out',
  'thin_repair -q -i @bad8 -o @out',
  'thin_repair -q -i @tiny -o @out',
  `thin_repair${many(253)} -i @small -o @out`,
  'thin_repair --data-block-size 128 --data-block-size 128 -i @small -o @out',
];

/**
 * thin_repair's superblock overrides: on a sound superblock the search agrees with (Superblock::
 * overrides: the larger transaction id and data block count, the size as given, which the
 * Restorer then checks), and on a damaged one with --data-block-size (rebuild_superblock around
 * the first pair found). The images written are compared too, all but 1.1.0's unwritten node tails.
 */
const overrideLines = [
  'thin_repair --data-block-size 128 -i @bad0 -o @out',
  'thin_repair -v --data-block-size 256 --transaction-id 9 --nr-data-blocks 100000 -i @bad0 -o @out',
  'thin_repair --data-block-size 384 --transaction-id 1 -i @bad0 -o @out',
  'thin_repair --data-block-size 100 -i @bad0 -o @out',
  'thin_repair --data-block-size 128 -i @zero -o @out',
  'thin_repair --data-block-size 128 -i @bad8 -o @out',
  'thin_repair --transaction-id 9 -i @small -o @out',
  'thin_repair --data-block-size 256 -i @big -o @out',
  'thin_repair --nr-data-blocks 5 -i @small -o @out',
  'thin_repair --nr-data-blocks 100000 -i @held -o @out',
  'thin_repair -v --data-block-size 64 -i @small -o @out',
];

const realRuns = new Map<string, BatchResult>();
beforeAll(() => {
  if (binDir === undefined) return;
  // thin_dump's XML of `big` (303 devices) restored onto 1 MiB runs out of space part of the way.
  images['big.xml'] = bench.lab({ big: images.big! }, 'thin_dump @big').stdout;
  const all = [...lines, ...overrideLines, 'thin_restore -v -i @big.xml -o @data'];
  const results = runRealBatch(
    binDir,
    all.map((line) => ({ line, files: bench.files(images, line), keep: overrideLines.includes(line) ? ['out'] : [] })),
  );
  all.forEach((line, i) => realRuns.set(line, results[i]!));
}, 600_000);

function expectSame(line: string): void {
  const { stdout, stderr, status } = bench.lab(bench.files(images, line), line);
  const theirs = realRuns.get(line)!;
  expect({ stdout, stderr, status }).toEqual({ stdout: theirs.stdout, stderr: theirs.stderr, status: theirs.status });
}

describe.skipIf(binDir === undefined)('the hidden -v of 1.1.0 matches the real tools', () => {
  it.each(lines)('%s', (line) => expectSame(line));
  it.each(overrideLines)('%s (and the image it writes)', (line) => {
    const lab = bench.lab(bench.files(images, line), line);
    const theirs = realRuns.get(line)!;
    expect([lab.stdout, lab.stderr, lab.status]).toEqual([theirs.stdout, theirs.stderr, theirs.status]);
    const written = (bytes: Uint8Array): Buffer => Buffer.from(withoutUnwrittenNodeTails(bytes));
    expect(written(lab.files.out!).equals(written(theirs.files.out!))).toBe(true);
  });
  it('thin_restore -v out of metadata space stops at the device it failed in', () =>
    expectSame('thin_restore -v -i @big.xml -o @data'));
});

describe('what -v would time is refused by name', () => {
  it.each([
    'thin_ls -vv @small',
    'thin_ls -v -v -o DEV,MAPPED_BLOCKS @big',
    'thin_migrate --source-dev @small --dest-file @out',
  ])('%s', (line) => {
    const lab = bench.lab(bench.files(images, line), line);
    expect(lab.status).toBe(127);
    expect(lab.stderr).toMatch(
      /^thinlab: not modelled: thin_\w+ of thin-provisioning-tools 1\.1\.0 \(stack debian13\): /,
    );
    expect(lab.stdout).toBe('');
  });
});
