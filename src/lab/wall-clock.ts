/**
 * Calendar text for the lab's wall clock (src/lab/nodes.ts wallClockSecs): C's ctime and the
 * strftime conversions busybox `date`, `ls -l` and `stat` print with, in UTC (the VM sets no TZ).
 * Conversions the lab does not model (ISO week numbers, locale's alternatives) are refused by name.
 */
import { notModelled } from './command-errors.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The broken-down UTC time of seconds since 1970. */
interface Tm {
  readonly year: number;
  /** 0-11. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 = Sunday. */
  readonly weekday: number;
  /** 0-365. */
  readonly yearDay: number;
}

function breakDown(secs: number): Tm {
  const d = new Date(secs * 1000);
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1) / 1000;
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
    yearDay: Math.floor((secs - startOfYear) / 86400),
  };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** C's ctime without its newline: `Wed Jun 30 21:49:08 1993`. */
export function formatCtime(secs: number): string {
  return strftime('%a %b %e %H:%M:%S %Y', secs);
}

const hour12 = (t: Tm): number => (t.hour % 12 === 0 ? 12 : t.hour % 12);
const weekdayMonday = (t: Tm): number => (t.weekday + 6) % 7;

/** strftime's conversions, each a function of the broken-down time and the seconds since 1970. */
const CONVERSIONS: Readonly<Record<string, (t: Tm, secs: number) => string>> = {
  a: (t) => DAYS[t.weekday]!.slice(0, 3),
  A: (t) => DAYS[t.weekday]!,
  b: (t) => MONTHS[t.month]!.slice(0, 3),
  h: (t) => MONTHS[t.month]!.slice(0, 3),
  B: (t) => MONTHS[t.month]!,
  c: (_t, secs) => strftime('%a %b %e %H:%M:%S %Y', secs),
  C: (t) => pad2(Math.floor(t.year / 100)),
  d: (t) => pad2(t.day),
  D: (_t, secs) => strftime('%m/%d/%y', secs),
  x: (_t, secs) => strftime('%m/%d/%y', secs),
  e: (t) => String(t.day).padStart(2, ' '),
  F: (_t, secs) => strftime('%Y-%m-%d', secs),
  H: (t) => pad2(t.hour),
  I: (t) => pad2(hour12(t)),
  j: (t) => String(t.yearDay + 1).padStart(3, '0'),
  k: (t) => String(t.hour).padStart(2, ' '),
  l: (t) => String(hour12(t)).padStart(2, ' '),
  m: (t) => pad2(t.month + 1),
  M: (t) => pad2(t.minute),
  n: () => '\n',
  p: (t) => (t.hour < 12 ? 'AM' : 'PM'),
  P: (t) => (t.hour < 12 ? 'am' : 'pm'),
  r: (_t, secs) => strftime('%I:%M:%S %p', secs),
  R: (_t, secs) => strftime('%H:%M', secs),
  s: (_t, secs) => String(secs),
  S: (t) => pad2(t.second),
  t: () => '\t',
  T: (_t, secs) => strftime('%H:%M:%S', secs),
  X: (_t, secs) => strftime('%H:%M:%S', secs),
  u: (t) => String(t.weekday === 0 ? 7 : t.weekday),
  U: (t) => pad2(Math.floor((t.yearDay + 7 - t.weekday) / 7)),
  w: (t) => String(t.weekday),
  W: (t) => pad2(Math.floor((t.yearDay + 7 - weekdayMonday(t)) / 7)),
  y: (t) => pad2(t.year % 100),
  Y: (t) => String(t.year),
  z: () => '+0000',
  Z: () => 'UTC',
  '%': () => '%',
};

/** ISO 8601 week numbering and the locale's alternative forms: not modelled. */
const REFUSED_CONVERSIONS = 'GgVEO';

/** One conversion's text (without padding flags); null when strftime leaves it as typed. */
function conversion(c: string, t: Tm, secs: number): string | null {
  if (REFUSED_CONVERSIONS.includes(c)) throw notModelled(`date format %${c}`);
  return CONVERSIONS[c]?.(t, secs) ?? null;
}

/** glibc's strftime in UTC, with the `-`, `_` and `0` flags and a field width. */
export function strftime(format: string, secs: number): string {
  const t = breakDown(secs);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const m = format[i] === '%' ? /^%([-_0^#]?)([0-9]*)([a-zA-Z%])/.exec(format.slice(i)) : null;
    if (m === null) {
      out += format[i];
      continue;
    }
    const [whole, flag, width, c] = m as unknown as [string, string, string, string];
    const text = conversion(c, t, secs);
    i += whole.length - 1;
    if (text === null) {
      out += whole;
      continue;
    }
    out += padded(text, flag, width);
  }
  return out;
}

/** A conversion's text with strftime's flag: `-` no padding, `_` spaces, `0` zeros, to the width. */
function padded(text: string, flag: string, width: string): string {
  const numeric = /^ *[0-9]+$/.test(text);
  let body = text;
  if (numeric && flag === '-') body = text.trim().replace(/^0+(?=.)/, '');
  else if (numeric && flag === '_') body = text.replace(/^0+(?=.)/, (z) => ' '.repeat(z.length));
  else if (numeric && flag === '0') body = text.replace(/ /g, '0');
  const w = Number(width || 0);
  if (body.length >= w) return body;
  const fill = flag === '_' || (!numeric && flag !== '0') ? ' ' : '0';
  return body.padStart(w, fill);
}

/** The broken-down fields of a time, for `date -d` to build one from. */
export function utcSecs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
}

/** Year, month (1-12) and day of a time, for `date -d hh:mm` (today at that time). */
export function ymd(secs: number): readonly [number, number, number] {
  const t = breakDown(secs);
  return [t.year, t.month + 1, t.day];
}
