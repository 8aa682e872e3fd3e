/**
 * The command lines test/clap-1x.test.ts runs through 1.1.0's tools: each value option and flag of
 * every thin tool given twice (long, short, mixed, with `=`, a bad value first or second, the
 * operand between), -h, -V and the hidden -v and --io-engine with others, an option's value that
 * looks like an option, and mistyped options after others (the usage line names what was given).
 * No line reaches a file: the metadata named is /nonexist, so each ends in clap or in the tool's
 * first check of its input. fixtures/tools-1x/clap-lines.json holds the real 1.1.0's answers
 * (scripts/record-clap-1x.ts).
 */
import type { RunResult } from '../src/tools/tool-test-support.js';
import { runRealBatch } from './real-tools-batch.js';

interface ToolOptions {
  /** What the tool needs besides the option tried (its operand, its required options). */
  readonly base: string;
  /** Options with a value: long name, short letter or '', two values. */
  readonly values: readonly (readonly [string, string, string, string])[];
  /** Flags: long name (or ''), short letter (or ''). */
  readonly flags: readonly (readonly [string, string])[];
  /** Whether it has the hidden --io-engine (engine.rs engine_args). */
  readonly engine: boolean;
}

const TOOLS: Readonly<Record<string, ToolOptions>> = {
  thin_check: {
    base: '/nonexist',
    values: [
      ['override-details-root', '', '5', '6'],
      ['override-mapping-root', '', '5', '6'],
    ],
    flags: [
      ['auto-repair', ''],
      ['clear-needs-check-flag', ''],
      ['ignore-non-fatal-errors', ''],
      ['metadata-snap', 'm'],
      ['quiet', 'q'],
      ['skip-mappings', ''],
      ['super-block-only', ''],
    ],
    engine: true,
  },
  thin_dump: {
    base: '/nonexist',
    values: [
      ['data-block-size', '', '128', '256'],
      ['dev-id', '', '1', '2'],
      ['format', 'f', 'xml', 'human_readable'],
      ['nr-data-blocks', '', '10', '20'],
      ['output', 'o', '/tmp/a', '/tmp/b'],
      ['transaction-id', '', '1', '2'],
    ],
    flags: [
      ['quiet', 'q'],
      ['repair', 'r'],
      ['skip-mappings', ''],
      ['metadata-snap', 'm'],
    ],
    engine: true,
  },
  thin_restore: {
    base: '-i /nonexist -o /nonexist2',
    values: [
      ['data-block-size', '', '128', '256'],
      ['nr-data-blocks', '', '10', '20'],
      ['transaction-id', '', '1', '2'],
      ['input', 'i', '/nonexist', '/nonexist3'],
      ['output', 'o', '/nonexist2', '/nonexist4'],
    ],
    flags: [['quiet', 'q']],
    engine: true,
  },
  thin_repair: {
    base: '-i /nonexist -o /nonexist2',
    values: [
      ['data-block-size', '', '128', '256'],
      ['nr-data-blocks', '', '10', '20'],
      ['transaction-id', '', '1', '2'],
      ['input', 'i', '/nonexist', '/nonexist3'],
      ['output', 'o', '/nonexist2', '/nonexist4'],
    ],
    flags: [['quiet', 'q']],
    engine: true,
  },
  thin_ls: {
    base: '/nonexist',
    values: [['format', 'o', 'DEV', 'MAPPED_BLOCKS']],
    flags: [
      ['metadata-snap', 'm'],
      ['no-headers', ''],
    ],
    engine: true,
  },
  thin_delta: {
    base: '--thin1 1 --thin2 2 /nonexist',
    values: [
      ['root1', '', '5', '6'],
      ['root2', '', '5', '6'],
      ['thin1', '', '1', '3'],
      ['thin2', '', '2', '3'],
      ['snap1', '', '1', '3'],
    ],
    flags: [
      ['metadata-snap', 'm'],
      ['verbose', ''],
    ],
    engine: true,
  },
  thin_rmap: { base: '/nonexist', values: [['region', '', '0..1', '2..3']], flags: [], engine: true },
  thin_trim: {
    base: '--metadata-dev /nonexist --data-dev /nonexist2',
    values: [
      ['metadata-dev', '', '/nonexist', '/n3'],
      ['data-dev', '', '/nonexist2', '/n4'],
    ],
    flags: [['quiet', 'q']],
    engine: true,
  },
  thin_metadata_size: {
    base: '-b 64k -s 1g -m 10',
    values: [
      ['block-size', 'b', '64k', '128k'],
      ['pool-size', 's', '1g', '2g'],
      ['max-thins', 'm', '10', '20'],
      ['unit', 'u', 'k', 'm'],
    ],
    flags: [['numeric-only', 'n']],
    engine: false,
  },
  thin_metadata_pack: {
    base: '-i /nonexist -o /nonexist2',
    values: [
      ['input', 'i', '/nonexist', '/n3'],
      ['output', 'o', '/nonexist2', '/n4'],
    ],
    flags: [['force', 'f']],
    engine: false,
  },
  thin_metadata_unpack: {
    base: '-i /nonexist -o /nonexist2',
    values: [
      ['input', 'i', '/nonexist', '/n3'],
      ['output', 'o', '/nonexist2', '/n4'],
    ],
    flags: [['force', 'f']],
    engine: true,
  },
  thin_migrate: {
    base: '--source-dev /nonexist --dest-file /nonexist2',
    values: [
      ['buffer-size-meg', '', '4', '8'],
      ['source-dev', '', '/nonexist', '/n3'],
      ['dest-dev', '', '/dev/x', '/dev/y'],
      ['dest-file', '', '/nonexist2', '/n4'],
    ],
    flags: [['quiet', 'q']],
    engine: true,
  },
  // The dm-cache and dm-era tools the lab models (src/tools/cache-era.ts): the checks take the hidden -v too.
  cache_check: {
    base: '/nonexist',
    values: [],
    flags: [
      ['auto-repair', ''],
      ['clear-needs-check-flag', ''],
      ['ignore-non-fatal-errors', ''],
      ['quiet', 'q'],
      ['skip-discards', ''],
      ['skip-hints', ''],
      ['skip-mappings', ''],
      ['super-block-only', ''],
    ],
    engine: true,
  },
  cache_dump: {
    base: '/nonexist',
    values: [['output', 'o', '/tmp/a', '/tmp/b']],
    flags: [['repair', 'r']],
    engine: true,
  },
  era_check: {
    base: '/nonexist',
    values: [],
    flags: [
      ['ignore-non-fatal-errors', ''],
      ['quiet', 'q'],
      ['super-block-only', ''],
    ],
    engine: true,
  },
  era_dump: {
    base: '/nonexist',
    values: [['output', 'o', '/tmp/a', '/tmp/b']],
    flags: [
      ['logical', ''],
      ['repair', 'r'],
    ],
    engine: true,
  },
};

function valueLines(t: string, base: string, [long, short, v1, v2]: readonly string[]): string[] {
  const lines = [
    `${t} --${long} ${v1} --${long} ${v2} ${base}`,
    `${t} --${long} ${v1} --${long} ${v1} ${base}`,
    `${t} --${long}=${v1} --${long}=${v2} ${base}`,
    `${t} --${long} ${v1} ${base} --${long} ${v2}`,
    `${t} --${long} xyz --${long} ${v2} ${base}`,
    `${t} --${long} ${v1} --${long} xyz ${base}`,
    `${t} -q --${long}`,
  ];
  if (short !== '')
    lines.push(`${t} -${short} ${v1} -${short} ${v2} ${base}`, `${t} -${short}${v1} --${long} ${v2} ${base}`);
  return lines;
}

function flagLines(t: string, base: string, [long, short]: readonly string[]): string[] {
  const lines: string[] = [];
  if (long !== '') lines.push(`${t} --${long} --${long} ${base}`, `${t} --${long} --bogus`);
  if (short !== '') lines.push(`${t} -${short} -${short} ${base}`, `${t} -${short}${short} ${base}`);
  if (long !== '' && short !== '') lines.push(`${t} -${short} --${long} ${base}`);
  return lines;
}

function toolLines(t: string, o: ToolOptions): string[] {
  const lines = [
    ...o.values.flatMap((v) => valueLines(t, o.base, v)),
    ...o.flags.flatMap((f) => flagLines(t, o.base, f)),
    ...['-h -h', '-V -V', '-VV', '--help --help', '-h -V', '-V -h', '-V --version', '-V --bogus', '--bogus -V'],
    ...['-h --bogus', '--bogus -h', '-q -q -h', '-h -q -q', '-V -q', '-V -v', '-v -V', '--version=1'],
    ...[`-V ${o.base}`, `${o.base} -V`, `-v -v ${o.base}`, `-vvv ${o.base}`, `-q ${o.base} --bogus`],
  ].map((l) => (l.startsWith(t) ? l : `${t} ${l}`));
  if (o.engine)
    lines.push(
      ...[
        `--io-engine sync ${o.base}`,
        `--io-engine sync --io-engine sync ${o.base}`,
        '--io-engine',
        '--io-engin sync',
      ].map((l) => `${t} ${l}`),
    );
  return lines;
}

/** The lines, each once. */
export const CLAP_LINES_1X: readonly string[] = [
  ...new Set([
    ...Object.entries(TOOLS).flatMap(([t, o]) => toolLines(t, o)),
    'thin_dump --format -h /nonexist',
    'thin_dump -o -q /nonexist',
    'thin_dump --dev-id -5 /nonexist',
    'thin_dump -o -- /nonexist',
    'thin_dump -q --skip-mapping',
    'thin_dump -o /nonexist --bogus',
    'thin_dump -m=5 --bogus',
    'thin_dump --dev-id 1 --dev-id 1 --bogus',
    'thin_dump -r -m /nonexist',
    'thin_dump -m=5 -q --repair /nonexist',
    'thin_dump --format xm /nonexist',
    'thin_dump -f= /nonexist',
    'thin_dump -q /nonexist -- /y',
    'thin_metadata_size -s 1g --blok-size',
    'thin_metadata_size -n=shor -b 64k -s 1g -m 10',
    'thin_metadata_size -n= -b 64k -s 1g -m 10',
    'thin_rmap --regio 1',
    'thin_delta --thin1 1 --snap2 2 --bogus',
    'thin_restore -i a -q --bogus',
    'thin_repair -i /nonexist -o /nonexist2 extra',
    'thin_repair -i /nonexist -o /nonexist2 extra extra2',
    'thin_repair -q -X',
    'thin_ls -o xyz /nonexist',
    'thin_ls -o DEV,xyz /nonexist',
    'thin_ls -o DEV, /nonexist',
    'thin_ls --format= /nonexist',
    'thin_check -vv /nonexist',
    'thin_trim -vv --metadata-dev /nonexist --data-dev /nonexist2',
  ]),
];

/**
 * Where the real tool's clap takes the line and the tool goes on (a status other than 0 and 2), lines
 * the lab refuses by name (status 127): thin_migrate's migration and thin_metadata_unpack's run.
 */
export const CLAP_LINES_REFUSED_1X: readonly RegExp[] = [/^thin_migrate /, /^thin_metadata_unpack /];

/**
 * The real tools' answers to `lines`, in batches (one shell's script is one argument, which Linux
 * holds to 128 KiB), run where the host's /dev/mapper cannot be seen: thin_migrate's answer names
 * the errno of opening /dev/mapper/control, which the recording has as ENOENT (test/real-tools-batch.ts).
 */
export function realAnswers1x(binDir: string, lines: readonly string[]): RunResult[] {
  const answers: RunResult[] = [];
  for (let first = 0; first < lines.length; first += 200) {
    const runs = lines.slice(first, first + 200).map((line) => ({ line, files: {} }));
    for (const { stdout, stderr, status } of runRealBatch(binDir, runs, { hideHostDeviceMapper: true }))
      answers.push({ stdout, stderr, status });
  }
  return answers;
}
