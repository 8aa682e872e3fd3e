/**
 * awk's values: numbers, strings, and "strnums" (fields, -v values, split's pieces), which compare
 * as numbers when they look like numbers; and the conversions between them with awk's formats
 * (an integral number prints as an integer, any other through OFMT `%.6g`), plus printf's
 * conversions as busybox awk passes them to C's printf.
 */
import { AwkError } from './errors.js';

/** A string that came from input: numeric when it looks like a number. */
export class StrNum {
  constructor(readonly text: string) {}
}

export type Value = number | string | StrNum;

/** An unset variable or element: both "" and 0, numeric against a number. */
export const UNSET: Value = new StrNum('');

const NUMERIC = /^[ \t\n]*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?[ \t\n]*$/;
const NUMERIC_PREFIX = /^[ \t\n]*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/;

export function toNum(v: Value): number {
  if (typeof v === 'number') return v;
  const text = typeof v === 'string' ? v : v.text;
  const m = NUMERIC_PREFIX.exec(text);
  return m === null ? 0 : Number(m[0]);
}

/** `%.6g` as C prints it. */
export function formatG(n: number, precision = 6, alternate = false): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n < 0 ? '-inf' : 'inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const p = Math.max(precision, 1);
  const exponent = Math.floor(Math.log10(Math.abs(Number(n.toPrecision(p)))));
  const body = exponent < -4 || exponent >= p ? formatE(n, p - 1) : n.toFixed(Math.max(0, p - 1 - exponent));
  if (alternate) return body;
  return body.includes('e') ? body.replace(/\.?0+e/, 'e') : body.includes('.') ? body.replace(/\.?0+$/, '') : body;
}

/** `%.Ne` as C prints it: at least two exponent digits. */
export function formatE(n: number, precision: number): string {
  const [mantissa, exp] = n.toExponential(precision).split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`;
}

/** A number as awk prints or concatenates it: integers whole, others through `%.6g`. */
export function numToStr(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e18) return Object.is(n, -0) ? '-0' : n.toFixed(0);
  return formatG(n);
}

export function toStr(v: Value): string {
  if (typeof v === 'number') return numToStr(v);
  return typeof v === 'string' ? v : v.text;
}

export function toBool(v: Value): boolean {
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  return NUMERIC.test(v.text) ? Number(v.text) !== 0 : v.text !== '';
}

function isNumeric(v: Value): boolean {
  return typeof v === 'number' || v === UNSET || (v instanceof StrNum && NUMERIC.test(v.text));
}

/** A comparison: numeric when both sides are numbers or numeric strnums, else by string. */
export function compare(a: Value, b: Value): number {
  if (isNumeric(a) && isNumeric(b)) {
    const x = toNum(a);
    const y = toNum(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toStr(a);
  const y = toStr(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One printf conversion applied to a value. */
function convert(
  spec: string,
  flags: string,
  width: number | null,
  precision: number | null,
  v: Value | undefined,
): string {
  const arg = v ?? '';
  let body: string;
  switch (spec) {
    case 'd':
    case 'i':
      body = String(Math.trunc(toNum(arg)));
      break;
    case 'o':
    case 'x':
    case 'X':
    case 'u': {
      const n = Math.trunc(toNum(arg));
      const unsigned = n < 0 ? BigInt.asUintN(64, BigInt(n)) : BigInt(n);
      body = unsigned.toString(spec === 'o' ? 8 : spec === 'u' ? 10 : 16);
      if (spec === 'X') body = body.toUpperCase();
      break;
    }
    case 'c':
      body = typeof arg === 'number' ? String.fromCharCode(arg) : toStr(arg).slice(0, 1);
      break;
    case 's':
      body = toStr(arg);
      if (precision !== null) body = body.slice(0, precision);
      break;
    case 'e':
    case 'E':
      body = formatE(toNum(arg), precision ?? 6);
      if (spec === 'E') body = body.toUpperCase();
      break;
    case 'f':
      body = toNum(arg).toFixed(precision ?? 6);
      break;
    default:
      body = formatG(toNum(arg), precision ?? 6, flags.includes('#'));
      if (spec === 'G') body = body.toUpperCase();
  }
  return pad(body, spec, flags, width, precision);
}

function pad(body: string, spec: string, flags: string, width: number | null, precision: number | null): string {
  const numeric = spec !== 's' && spec !== 'c';
  let text = body;
  if (numeric && 'di'.includes(spec) && precision !== null) {
    const neg = text.startsWith('-');
    text = (neg ? '-' : '') + text.replace('-', '').padStart(precision, '0');
  }
  if (numeric && !text.startsWith('-') && 'dieEfgG'.includes(spec)) {
    if (flags.includes('+')) text = `+${text}`;
    else if (flags.includes(' ')) text = ` ${text}`;
  }
  if (width === null || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && numeric && precision === null) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

/** sprintf/printf: C's conversions (`%d %i %o %x %X %u %c %s %e %E %f %g %G %%`), flags, width and precision. */
export function sprintf(format: string, args: readonly Value[]): string {
  let k = 0;
  return format.replace(
    /%([-+ #0]*)([0-9]+|\*)?(?:\.([0-9]*|\*))?([a-zA-Z%])/g,
    (whole, flags: string, w, p, spec: string) => {
      if (spec === '%') return '%';
      if (w === '*' || p === '*') throw new AwkError('printf: * widths are not modelled');
      if (!'dioxXucseEfgG'.includes(spec)) return whole;
      const width = w === undefined ? null : Number(w);
      const precision = p === undefined ? null : Number(p || 0);
      return convert(spec, flags, width, precision, args[k++]);
    },
  );
}
