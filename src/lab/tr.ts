/**
 * busybox tr [-cds] STRING1 [STRING2], as the oracle VM's BusyBox v1.35.0 runs it (coreutils
 * semantics differ in corners, so the lab follows busybox's tr.c): translation with STRING2's last
 * character repeated, `-c`/`-C` taking the complement of STRING1 in byte order, `-d` deleting
 * STRING1's bytes, `-s` squeezing a repeated output byte that came from STRING1 or is in STRING2,
 * ranges, escapes and the classes [:alpha:] ... [:xdigit:] and [=C=].
 */
import { BUSYBOX_BANNER } from './loop-commands.js';
import type { Stdin, ToolResult } from './text-tools.js';
import { textResult } from './text-tools.js';

const TR_USAGE = `${BUSYBOX_BANNER}Usage: tr [-cds] STRING1 [STRING2]\n\nTranslate, squeeze, or delete characters from stdin, writing to stdout\n\n\t-c\tTake complement of STRING1\n\t-d\tDelete input characters coded STRING1\n\t-s\tSqueeze multiple output characters of STRING2 into one character\n`;

interface TrOptions {
  complement: boolean;
  delete: boolean;
  squeeze: boolean;
  strings: string[];
}

/** getopt "+Ccds": bundled flags, stopping at the first operand; `--` ends the options. */
function parseTrOptions(argv: readonly string[]): TrOptions | ToolResult {
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
      else return textResult('', `tr: invalid option -- '${flag}'\n${TR_USAGE}`, 1);
    }
  }
  o.strings = argv.slice(i);
  if (o.strings.length === 0) return textResult('', TR_USAGE, 1);
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

export function tr(argv: string[], stdin: Stdin): ToolResult {
  const o = parseTrOptions(argv);
  if (!('strings' in o)) return o;
  const [first, second] = o.strings as [string, string | undefined];
  let from = expandTrSet(first);
  if (o.complement) from = complementOf(from);
  if (second === '') return textResult('', 'tr: STRING2 cannot be empty\n', 1);
  const to = second === undefined ? [] : expandTrSet(second);
  const map = Array.from({ length: 256 }, (_, b) => b);
  // STRING1's byte i becomes STRING2's byte i, or STRING2's last byte once STRING2 runs out.
  if (to.length > 0) from.forEach((b, i) => (map[b] = to[Math.min(i, to.length - 1)]!));
  const inFrom = new Uint8Array(256);
  for (const b of from) inFrom[b] = 1;
  const inTo = new Uint8Array(256);
  for (const b of to) inTo[b] = 1;
  const input = typeof stdin === 'function' ? stdin() : stdin;
  const out = new Uint8Array(input.length);
  let n = 0;
  let last = -1;
  for (const c of input) {
    if (o.delete && inFrom[c] === 1) continue;
    const coded = map[c]!;
    if (o.squeeze && last === coded && (inFrom[c] === 1 || inTo[coded] === 1)) continue;
    out[n++] = last = coded;
  }
  return { stdout: out.subarray(0, n), stderr: '', status: 0 };
}
