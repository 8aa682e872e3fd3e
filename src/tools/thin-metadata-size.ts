/**
 * thin_metadata_size 0.9.0: pure arithmetic, reproduced with its quirks. Sizes are parsed with
 * unsigned 64-bit wrap-around (so the zebi- and yobi- factors wrap to 0), the estimate is
 * `(1 + 2·pool/block/252 + thins) · 4096` bytes in the output unit, and it is printed with C's
 * `%llu`, `%0.2f` or `%0.2e` (round half to even on exact ties, unlike JavaScript's toFixed).
 */
import type { ClapCommand } from './clap.js';
import { defineTool, type ThinTool } from './define-tool.js';
import { cExp2, cFixed2 } from './float-format.js';
import { metadataSizeRun1x, SIZE_ARGS_1X } from './thin-metadata-size-1x.js';
import type { ToolEnv } from './tool-io.js';
import { THIN_METADATA_SIZE_HELP_1X } from './usage-1x.js';

const PROG = 'thin_metadata_size';
const UNIT_CHARS = 'bskKmMgGtTpPeEzZyY';
const UNIT_STRINGS = [
  'bytes',
  'sectors',
  'kibibytes',
  'kilobytes',
  'mebibytes',
  'megabytes',
  'gibibytes',
  'gigabytes',
  'tebibytes',
  'terabytes',
  'pebibytes',
  'petabytes',
  'ebibytes',
  'exabytes',
  'zebibytes',
  'zetabytes',
  'yobibytes',
  'yottabytes',
];
const U64 = (1n << 64n) - 1n;
const LLONG_MAX = (1n << 63n) - 1n;

/** The unit factors, computed as the C code computes them, wrapping at 2^64. */
const FACTORS: bigint[] = (() => {
  const f = [1n, 512n, 1024n, 1000n];
  for (let u = 4; u < UNIT_STRINGS.length; u += 2) {
    f[u] = (f[u - 2]! * f[2]!) & U64;
    f[u + 1] = (f[u - 1]! * f[3]!) & U64;
  }
  return f;
})();
const SECTORS_INDEX = 1;
const MAPPINGS_PER_BLOCK = BigInt(Math.floor((4096 - 64) / 16));

const HELP = `Thin Provisioning Metadata Device Size Calculator.
Usage: ${PROG} [options]
\t-b  --block-size BLOCKSIZE[${UNIT_CHARS}]  Block size of thin provisioned devices.
\t-s  --pool-size SIZE[${UNIT_CHARS}]        Size of pool device.
\t-m  --max-thins #MAXTHINS[${UNIT_CHARS}]   Maximum sum of all thin devices and snapshots.
\t-u  --unit {${UNIT_CHARS}}                 Output unit specifier.
\t-n  --numeric-only [short|long]                 Output numeric value only (optionally with short/long unit identifier).
\t-h  --help                                      This help.
\t-V  --version                                   Print thin provisioning tools version.
`;

class Abort extends Error {}

/** unit_index(): one character, or a prefix of a unit's long name. */
function unitIndex(unit: string): number {
  if (unit.length === 1) return UNIT_CHARS.indexOf(unit);
  return UNIT_STRINGS.findIndex((s) => s.startsWith(unit));
}

/** Holds the options as they arrive; `Abort` ends the tool with 0.9.0's message. */
interface SizeOptions {
  unitIdx: number;
  numeric: 'none' | 'number' | 'short' | 'long';
  n: Record<'b' | 's' | 'm', bigint>;
  text: Record<'b' | 's' | 'm', string>;
}

/**
 * thin_metadata_size's command line in 1.1.0, whose run (other arithmetic and words: `1065240
 * sectors` where 0.9.0 says `thin_metadata_size - 1073224 sectors estimated ...`) is in
 * thin-metadata-size-1x.ts. Required options in clap's order.
 */
const CLI_1X: ClapCommand = {
  help: THIN_METADATA_SIZE_HELP_1X,
  args: [
    { long: 'block-size', short: 'b', value: '<SIZE[bskmg]>', required: true, key: 'b', ...SIZE_ARGS_1X.b },
    { long: 'pool-size', short: 's', value: '<SIZE[bskmgtp]>', required: true, key: 's', ...SIZE_ARGS_1X.s },
    { long: 'max-thins', short: 'm', value: '<NUM>', required: true, key: 'm', numeric: true },
    { long: 'numeric-only', short: 'n', value: '<OPT>', optionalValue: true, key: 'n', possible: ['short', 'long'] },
    { long: 'unit', short: 'u', value: '<UNIT>', key: 'u', ...SIZE_ARGS_1X.u },
  ],
};

const sizeTool = defineTool({
  name: PROG,
  usage: HELP,
  v1: { cli: CLI_1X, runs: true },
  // getopt's own complaint about a bad option is all it prints; the C code then exits 1.
  usageAfterBadOption: false,
  options: [
    { long: 'block-size', short: 'b', arg: 'required' },
    { long: 'pool-size', short: 's', arg: 'required' },
    { long: 'max-thins', short: 'm', arg: 'required' },
    { long: 'unit', short: 'u', arg: 'required' },
    { long: 'numeric-only', short: 'n', arg: 'optional' },
    { long: 'help', short: 'h' },
    { long: 'version', short: 'V' },
  ],
  start: (env) => {
    if (env.release === '1.1.0') return metadataSizeRun1x(env);
    const o: SizeOptions = {
      unitIdx: SECTORS_INDEX,
      numeric: 'none',
      n: { b: 0n, s: 0n, m: 0n },
      text: { b: '', s: '', m: '' },
    };
    return {
      option: (key, arg) => {
        const { n, text } = o;
        switch (key) {
          case 'b':
          case 's':
          case 'm': {
            if (n[key] !== 0n) throw new Abort('option already given!');
            const digits = /^[0-9]*/.exec(arg!)![0];
            const unit = arg!.slice(digits.length);
            let idx = -1;
            if (unit !== '') {
              idx = unitIndex(unit);
              if (idx < 0) throw new Abort('Invalid unit specifier!');
            }
            let value = digits === '' ? 0n : BigInt(digits);
            if (value > LLONG_MAX) value = LLONG_MAX;
            const r = (value * FACTORS[idx < 0 ? SECTORS_INDEX : idx]!) & U64;
            n[key] = idx < 0 || key !== 'm' ? r / 512n : r;
            // The C code cut the unit off the argument in place, then appends the unit's long name.
            text[key] = idx < 0 && key === 'm' ? digits : digits + UNIT_STRINGS[idx < 0 ? o.unitIdx : idx]!;
            break;
          }
          case 'u': {
            const idx = unitIndex(arg!);
            if (idx < 0) throw new Abort('output unit specifier invalid!');
            o.unitIdx = idx;
            break;
          }
          case 'n': {
            if (o.numeric !== 'none') throw new Abort('-n already given!');
            o.numeric = 'number';
            if (arg !== undefined) {
              const isLong = 'long'.startsWith(arg);
              if (arg === '' || (!'short'.startsWith(arg) && !isLong)) throw new Abort('-n invalid option argument');
              o.numeric = isLong ? 'long' : 'short';
            }
            break;
          }
        }
        return undefined;
      },
      run: () => estimate(env.io, o),
    };
  },
});

function estimate(io: ToolEnv['io'], o: SizeOptions): number {
  const { n, text, unitIdx, numeric } = o;
  if (n.b === 0n) throw new Abort('block size required!');
  if (n.s === 0n) throw new Abort('pool size required!');
  if (n.m === 0n) throw new Abort('max thins required!');
  if ((n.b & (n.b - 1n)) !== 0n) throw new Abort('block size must be 2^^N');
  if (n.s <= n.b) throw new Abort('pool size must be larger than block size');

  const blocks = (((2n * n.s) & U64) / n.b / MAPPINGS_PER_BLOCK + n.m) & U64;
  let r = 1.0 + Number(blocks);
  r *= 8 * 512;
  r /= Number(FACTORS[unitIdx]!);
  const full = numeric === 'none';
  let out = full ? `${PROG} - ` : '';
  const whole = Math.floor(r);
  if (r === whole && Number.isFinite(r)) out += BigInt(r).toString();
  else if (!Number.isFinite(r)) out += r > 0 ? 'inf' : 'nan';
  else out += r - whole < 1e-2 ? cExp2(r) : cFixed2(r);
  if (full) out += ` ${UNIT_STRINGS[unitIdx]!}`;
  else if (numeric === 'short') out += UNIT_CHARS[unitIdx]!;
  else if (numeric === 'long') out += UNIT_STRINGS[unitIdx]!;
  if (full)
    out += ` estimated metadata area size for "--block-size=${text.b} --pool-size=${text.s} --max-thins=${text.m}"`;
  io.out(`${out}\n`);
  return 0;
}

/** thin_metadata_size: the defined tool, with its `Abort` turned into 0.9.0's message and status. */
export const thinMetadataSize: ThinTool = Object.assign(
  (env: ToolEnv, args: readonly string[]): number => {
    try {
      return sizeTool(env, args);
    } catch (e) {
      if (e instanceof Abort) {
        env.io.err(`${PROG} - ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  },
  { definition: sizeTool.definition },
);
