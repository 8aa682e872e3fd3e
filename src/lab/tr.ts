/**
 * busybox tr [-cds] STRING1 [STRING2], as the oracle VM's BusyBox v1.35.0 runs it (coreutils
 * semantics differ in corners, so the lab follows busybox's tr.c): translation with STRING2's last
 * character repeated, `-c`/`-C` taking the complement of STRING1 in byte order, `-d` deleting
 * STRING1's bytes, `-s` squeezing a repeated output byte that came from STRING1 or is in STRING2,
 * ranges, escapes and the classes [:alpha:] ... [:xdigit:] and [=C=]. The options become a plan
 * (byte tables) once; trStream (src/lab/text-streams.ts) applies it a chunk at a time.
 */
import type { StackId } from '../model/stack.js';
import { busyboxBanner } from './busybox-banner.js';

const TR_USAGE = `Usage: tr [-cds] STRING1 [STRING2]\n\nTranslate, squeeze, or delete characters from stdin, writing to stdout\n\n\t-c\tTake complement of STRING1\n\t-d\tDelete input characters coded STRING1\n\t-s\tSqueeze multiple output characters of STRING2 into one character\n`;

interface TrOptions {
  complement: boolean;
  delete: boolean;
  squeeze: boolean;
  strings: string[];
}

/** getopt "+Ccds": bundled flags, stopping at the first operand; `--` ends the options. */
function parseTrOptions(argv: readonly string[], stack: StackId): TrOptions | string {
  const o: TrOptions = { complement: false, delete: false, squeeze: false, strings: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (const flag of a.slice(1)) {
      if (flag === 'c' || flag === 'C') o.complement = true;
      else if (flag === 'd') o.delete = true;
      else if (flag === 's') o.squeeze = true;
      else return `tr: invalid option -- '${flag}'\n${busyboxBanner(stack)}${TR_USAGE}`;
    }
  }
  o.strings = argv.slice(i);
  if (o.strings.length === 0) return busyboxBanner(stack) + TR_USAGE;
  return o;
}

/** What busybox's bb_process_escape_sequence makes of a backslash escape: the byte and the characters used. */
function escapeAt(text: string, at: number): { byte: number; length: number } {
  const rest = text.slice(at);
  const octal = /^[0-7]{1,3}/.exec(rest);
  if (octal !== null) return { byte: Number.parseInt(octal[0], 8) & 0xff, length: octal[0].length };
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(rest);
  if (hex !== null) return { byte: Number.parseInt(hex[1]!, 16), length: hex[0].length };
  const named: Record<string, number> = { a: 7, b: 8, e: 27, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
  const c = rest[0];
  if (c !== undefined && named[c] !== undefined) return { byte: named[c], length: 1 };
  // An unknown escape is the backslash itself.
  return { byte: 92, length: 0 };
}

/** The bytes of a [:class:], in the order busybox lists them. */
function classBytes(name: string): number[] | null {
  const range = (from: string, to: string): number[] =>
    Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, k) => from.charCodeAt(0) + k);
  const digits = range('0', '9');
  const upper = range('A', 'Z');
  const lower = range('a', 'z');
  const all = Array.from({ length: 256 }, (_, k) => k);
  const isPunct = (b: number): boolean => b > 32 && b < 127 && !/[A-Za-z0-9]/.test(String.fromCharCode(b));
  const classes: Record<string, number[]> = {
    alpha: [...upper, ...lower],
    alnum: [...digits, ...upper, ...lower],
    digit: digits,
    lower,
    upper,
    space: [9, 10, 11, 12, 13, 32],
    blank: [9, 32],
    punct: all.filter(isPunct),
    cntrl: all.filter((b) => b < 32 || b === 127),
    xdigit: [...digits, ...range('A', 'F'), ...range('a', 'f')],
  };
  return classes[name] ?? null;
}

/** One character of a set at `at`: the byte (an escape decoded) and where the next starts. */
function charAt(text: string, at: number): { byte: number; next: number } {
  if (text[at] === '\\') {
    const e = escapeAt(text, at + 1);
    return { byte: e.byte, next: at + 1 + e.length };
  }
  return { byte: text.charCodeAt(at) & 0xff, next: at + 1 };
}

/** A set's bytes in order: ranges, escapes, [:class:] and [=C=]; other brackets are plain characters. */
export function expandTrSet(text: string): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < text.length) {
    if (text[at] === '[' && text[at + 1] === ':') {
      const name = /^\[:([a-z]+):\]/.exec(text.slice(at))?.[1];
      const bytes = name === undefined ? null : classBytes(name);
      if (bytes !== null) {
        out.push(...bytes);
        at += name!.length + 4;
        continue;
      }
    }
    if (text[at] === '[' && text[at + 1] === '=' && text[at + 3] === '=' && text[at + 4] === ']') {
      out.push(text.charCodeAt(at + 2) & 0xff);
      at += 5;
      continue;
    }
    const first = charAt(text, at);
    if (text[first.next] === '-' && first.next + 1 < text.length) {
      const last = charAt(text, first.next + 1);
      for (let b = first.byte; b <= last.byte; b++) out.push(b);
      at = last.next;
      continue;
    }
    out.push(first.byte);
    at = first.next;
  }
  return out;
}

/** Every byte value not in the set, in ascending order (what -c translates from). */
function complementOf(set: readonly number[]): number[] {
  const present = new Set(set);
  return Array.from({ length: 256 }, (_, b) => b).filter((b) => !present.has(b));
}

/** What `tr ARGS` does, as byte tables. */
export interface TrPlan {
  /** Each byte's translation (itself when not in STRING1). */
  readonly map: Uint8Array;
  /** 1 for the bytes of STRING1 (complemented with -c), and of STRING2. */
  readonly inFrom: Uint8Array;
  readonly inTo: Uint8Array;
  readonly delete: boolean;
  readonly squeeze: boolean;
}

/** tr's options as a plan; a string is busybox's error (status 1). */
export function trPlan(argv: readonly string[], stack: StackId): TrPlan | string {
  const o = parseTrOptions(argv, stack);
  if (typeof o === 'string') return o;
  const [first, second] = o.strings as [string, string | undefined];
  let from = expandTrSet(first);
  if (o.complement) from = complementOf(from);
  if (second === '') return 'tr: STRING2 cannot be empty\n';
  const to = second === undefined ? [] : expandTrSet(second);
  const map = new Uint8Array(256).map((_, b) => b);
  // STRING1's byte i becomes STRING2's byte i, or STRING2's last byte once STRING2 runs out.
  if (to.length > 0) from.forEach((b, i) => (map[b] = to[Math.min(i, to.length - 1)]!));
  const inFrom = new Uint8Array(256);
  for (const b of from) inFrom[b] = 1;
  const inTo = new Uint8Array(256);
  for (const b of to) inTo[b] = 1;
  return { map, inFrom, inTo, delete: o.delete, squeeze: o.squeeze };
}

/** Applies a plan to the next bytes of the input; `state.last` (the last byte written, -1 at first) carries -s across chunks. */
export function trTranslate(plan: TrPlan, input: Uint8Array, state: { last: number }): Uint8Array {
  if (!plan.delete && !plan.squeeze) {
    // A plain loop: Uint8Array.map's callback per byte made `tr a b < /dev/zero` six times slower than cat.
    const out = new Uint8Array(input.length);
    const map = plan.map;
    for (let i = 0; i < input.length; i++) out[i] = map[input[i]!]!;
    return out;
  }
  const out = new Uint8Array(input.length);
  let n = 0;
  let last = state.last;
  for (const c of input) {
    if (plan.delete && plan.inFrom[c] === 1) continue;
    const coded = plan.map[c]!;
    if (plan.squeeze && last === coded && (plan.inFrom[c] === 1 || plan.inTo[coded] === 1)) continue;
    out[n++] = last = coded;
  }
  state.last = last;
  return out.subarray(0, n);
}
