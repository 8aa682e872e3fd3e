/**
 * thin_metadata_size 0.9.0: pure arithmetic, reproduced with its quirks. Sizes are parsed with
 * unsigned 64-bit wrap-around (so the zebi- and yobi- factors wrap to 0), the estimate is
 * `(1 + 2·pool/block/252 + thins) · 4096` bytes in the output unit, and it is printed with C's
 * `%llu`, `%0.2f` or `%0.2e` (round half to even on exact ties, unlike JavaScript's toFixed).
 */
import { getoptLong } from './getopt.js';
import type { ToolEnv } from './tool-io.js';
import { printedHelpOrVersion } from './usage.js';

const PROG = 'thin_metadata_size';
const UNIT_CHARS = 'bskKmMgGtTpPeEzZyY';
const UNIT_STRINGS = [
  'bytes', 'sectors', 'kibibytes', 'kilobytes', 'mebibytes', 'megabytes', 'gibibytes', 'gigabytes', 'tebibytes', 'terabytes',
  'pebibytes', 'petabytes', 'ebibytes', 'exabytes', 'zebibytes', 'zetabytes', 'yobibytes', 'yottabytes',
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

const LONGS = [
  { name: 'block-size', arg: 'required', key: 'b' },
  { name: 'pool-size', arg: 'required', key: 's' },
  { name: 'max-thins', arg: 'required', key: 'm' },
  { name: 'unit', arg: 'required', key: 'u' },
  { name: 'numeric-only', arg: 'optional', key: 'n' },
  { name: 'help', arg: 'none', key: 'h' },
  { name: 'version', arg: 'none', key: 'V' },
] as const;

class Abort extends Error {}

/** unit_index(): one character, or a prefix of a unit's long name. */
function unitIndex(unit: string): number {
  if (unit.length === 1) return UNIT_CHARS.indexOf(unit);
  return UNIT_STRINGS.findIndex((s) => s.startsWith(unit));
}

/** C's printf("%0.2f"): exact decimal expansion, ties to even. */
export function cFixed2(x: number): string {
  const s = x.toFixed(100);
  const dot = s.indexOf('.');
  const head = BigInt(s.slice(0, dot) + s.slice(dot + 1, dot + 3));
  const rest = s.slice(dot + 3);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  const up = first > 5 || (first === 5 && (tail || head % 2n === 1n));
  const v = (head + (up ? 1n : 0n)).toString().padStart(3, '0');
  return `${v.slice(0, -2)}.${v.slice(-2)}`;
}

/** C's printf("%0.2e"): a two-digit exponent at least. */
export function cExp2(x: number): string {
  const [mant, exp] = x.toExponential(2).split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mant}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`;
}

export function thinMetadataSize(env: ToolEnv, args: readonly string[]): number {
  const { io } = env;
  try {
    return run(io, args);
  } catch (e) {
    if (e instanceof Abort) {
      io.err(`${PROG} - ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function run(io: ToolEnv['io'], args: readonly string[]): number {
  const parsed = getoptLong(PROG, args, 'b:s:m:u:n::hV', LONGS);
  // getopt's own complaint comes first, for the option that stopped it; the C code then exits 1.
  const options = parsed.ok ? parsed.options : [];
  let unitIdx = SECTORS_INDEX;
  let numeric: 'none' | 'number' | 'short' | 'long' = 'none';
  const n: Record<'b' | 's' | 'm', bigint> = { b: 0n, s: 0n, m: 0n };
  const text: Record<'b' | 's' | 'm', string> = { b: '', s: '', m: '' };
  for (const o of options) {
    if (printedHelpOrVersion(o.key, io, HELP)) return 0;
    switch (o.key) {
      case 'b':
      case 's':
      case 'm': {
        if (n[o.key] !== 0n) throw new Abort('option already given!');
        const arg = o.arg!;
        const digits = /^[0-9]*/.exec(arg)![0];
        const unit = arg.slice(digits.length);
        let idx = -1;
        if (unit !== '') {
          idx = unitIndex(unit);
          if (idx < 0) throw new Abort('Invalid unit specifier!');
        }
        let value = digits === '' ? 0n : BigInt(digits);
        if (value > LLONG_MAX) value = LLONG_MAX;
        const r = (value * FACTORS[idx < 0 ? SECTORS_INDEX : idx]!) & U64;
        n[o.key] = idx < 0 || o.key !== 'm' ? r / 512n : r;
        // The C code cut the unit off the argument in place, then appends the unit's long name.
        text[o.key] = idx < 0 && o.key === 'm' ? digits : digits + UNIT_STRINGS[idx < 0 ? unitIdx : idx]!;
        break;
      }
      case 'u': {
        const idx = unitIndex(o.arg!);
        if (idx < 0) throw new Abort('output unit specifier invalid!');
        unitIdx = idx;
        break;
      }
      case 'n': {
        if (numeric !== 'none') throw new Abort('-n already given!');
        numeric = 'number';
        const arg = o.arg;
        if (arg !== undefined) {
          const isLong = 'long'.startsWith(arg);
          if (arg === '' || (!'short'.startsWith(arg) && !isLong)) throw new Abort('-n invalid option argument');
          numeric = isLong ? 'long' : 'short';
        }
        break;
      }
    }
  }
  if (!parsed.ok) {
    io.err(parsed.message);
    return 1;
  }
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
  if (full) out += ` estimated metadata area size for "--block-size=${text.b} --pool-size=${text.s} --max-thins=${text.m}"`;
  io.out(`${out}\n`);
  return 0;
}
