/**
 * The text filters the lab shell offers after a pipe, with busybox's output formats:
 * grep, sed 's///' and sort (whole-input filters), and the options of od, head, tail and cut,
 * whose streaming versions are text-streams.ts (tr's options are src/lab/tr.ts). Each filter takes its argv and its
 * standard input as bytes and returns what it writes and its exit status.
 */
import { latin1Bytes, latin1Text } from '../shared/bytes.js';
import { notModelled } from './command-errors.js';
import type { StackId } from '../model/stack.js';
import { busyboxBanner } from './busybox-banner.js';
import { BUSYBOX_USAGE } from './busybox-options.js';

export interface ToolResult {
  readonly stdout: Uint8Array;
  readonly stderr: string;
  readonly status: number;
}

const enc = new TextEncoder();

export const textResult = (stdout: string, stderr = '', status = 0): ToolResult => ({
  stdout: latin1Bytes(stdout),
  stderr,
  status,
});

/** Input files: the shell reads them for us (a name or '-' for stdin). */
export type ReadFile = (path: string) => Uint8Array | string;

/**
 * Standard input, or a function that reads it: a tool only consumes the shared input stream when
 * it really reads it (so `md5sum FILE` inside a `while read` loop leaves the loop's lines alone).
 */
export type Stdin = Uint8Array | (() => Uint8Array);

const stdinBytes = (stdin: Stdin): Uint8Array => (typeof stdin === 'function' ? stdin() : stdin);

function inputs(
  files: string[],
  stdin: Stdin,
  readFile: ReadFile,
  tool: string,
): { data: Array<[string, Uint8Array]>; errors: string } {
  const data: Array<[string, Uint8Array]> = [];
  let errors = '';
  if (files.length === 0) files = ['-'];
  for (const f of files) {
    if (f === '-') {
      data.push(['-', stdinBytes(stdin)]);
      continue;
    }
    const r = readFile(f);
    if (typeof r === 'string') errors += `${tool}: ${f}: ${r}\n`;
    else data.push([f, r]);
  }
  return { data, errors };
}

/** One od output format (`-t TYPE`): named characters, characters, or integers of 1, 2, 4 or 8 bytes. */
export interface OdFormat {
  readonly kind: 'a' | 'c' | 'd' | 'o' | 'u' | 'x';
  readonly sizeBytes: 1 | 2 | 4 | 8;
}

/**
 * What `od` prints: the address radix, the formats (each a line of its own for every row), the
 * bytes of a row (`-w`), whether repeated rows fold to `*` (not with `-v`), and the bytes skipped
 * (`-j`) and read at most (`-N`). `warning` is busybox's note on a width it corrected.
 */
export interface OdOptions {
  readonly radix: 'o' | 'd' | 'x' | 'n';
  readonly formats: readonly OdFormat[];
  readonly rowBytes: number;
  readonly verbose: boolean;
  readonly skipBytes: number;
  readonly limitBytes: number;
  readonly files: string[];
  readonly warning: string;
}

/** busybox od's traditional options and the `-t` type each stands for. */
const OD_LEGACY: Readonly<Record<string, string>> = {
  a: 'a',
  b: 'o1',
  c: 'c',
  d: 'u2',
  h: 'x2',
  i: 'd2',
  l: 'd4',
  o: 'o2',
  s: 'd2',
  x: 'x2',
};

const OD_SIZE_LETTERS: Readonly<Record<string, 1 | 2 | 4 | 8>> = { C: 1, S: 2, I: 4, L: 8 };

/** A `-t` type string (`x1`, `d`, `uL`, `ca`) as busybox's decode_format_string reads it; a string is its error. */
function odTypes(spec: string): OdFormat[] | string {
  const formats: OdFormat[] = [];
  for (let i = 0; i < spec.length; ) {
    const c = spec[i++]!;
    if (c === 'a' || c === 'c') {
      formats.push({ kind: c, sizeBytes: 1 });
      continue;
    }
    if (c === 'f') return `thinlab: not modelled: od -t f (floating point types)\n`;
    if (c !== 'd' && c !== 'o' && c !== 'u' && c !== 'x')
      return `od: invalid character '${c}' in type string '${spec}'\n`;
    let size: number = 4;
    if (spec[i] !== undefined && spec[i]! in OD_SIZE_LETTERS) size = OD_SIZE_LETTERS[spec[i++]!]!;
    else if (/[0-9]/.test(spec[i] ?? '')) {
      // busybox reads the size with bb_strtou over the rest of the string: anything after its
      // digits makes it fail, which busybox reports as a size of UINT_MAX.
      const rest = spec.slice(i);
      size = /^[0-9]+$/.test(rest) ? Number(rest) : 4294967295;
      i = spec.length;
    }
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8)
      return `od: invalid type string '${spec}'; ${size}-byte integral type is not supported\n`;
    formats.push({ kind: c, sizeBytes: size });
  }
  return formats;
}

/** `-N` and `-j`: busybox's xstrtooff_sfx in base 0 with the suffixes b (512), k and m. */
export function odCount(text: string): number | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([bkm]?)$/.exec(text);
  if (m === null) return null;
  const digits = m[1]!;
  const n = /^0[xX]/.test(digits)
    ? Number.parseInt(digits.slice(2), 16)
    : digits.startsWith('0')
      ? Number.parseInt(digits, 8)
      : Number(digits);
  return n * ({ '': 1, b: 512, k: 1024, m: 1024 * 1024 } as Record<string, number>)[m[2]!]!;
}

/** What od's options set while they are read. */
interface OdParse {
  radix: OdOptions['radix'];
  formats: OdFormat[];
  width: number | null;
  verbose: boolean;
  skipBytes: number;
  limitBytes: number;
  /** busybox's banner and od's usage, printed after an invalid option. */
  readonly usage: string;
}

/** One option letter with its value (undefined for none); a string is busybox's error. */
function odOption(p: OdParse, letter: string, value: string | undefined): string | null {
  if (letter === 'A') {
    if (value !== 'o' && value !== 'd' && value !== 'x' && value !== 'n')
      return `od: bad output address radix '${value ?? ''}' (must be [doxn])\n`;
    p.radix = value;
  } else if (letter === 't') {
    const f = odTypes(value ?? '');
    if (typeof f === 'string') return f;
    p.formats.push(...f);
  } else if (letter === 'N' || letter === 'j') {
    const n = odCount(value ?? '');
    if (n === null) return `od: invalid number '${value ?? ''}'\n`;
    if (letter === 'N') p.limitBytes = n;
    else p.skipBytes = n;
  } else if (letter === 'w') p.width = value === undefined ? 32 : /^[0-9]+$/.test(value) ? Number(value) : -1;
  else if (letter === 'v') p.verbose = true;
  else if (letter === 'S') return 'thinlab: not modelled: od -S (strings)\n';
  else if (letter in OD_LEGACY) p.formats.push(...(odTypes(OD_LEGACY[letter]!) as OdFormat[]));
  else return `od: invalid option -- '${letter}'\n${p.usage}`;
  return null;
}

/**
 * `od [-abcdhilovxs] [-t TYPE]... [-A RADIX] [-N SIZE] [-j SKIP] [-w[WIDTH]] [FILE]...`'s options,
 * as busybox 1.35's od (its od_bloaty.c: getopt clusters, `-t` types, `-w` corrected to a multiple of
 * the largest size); a string is busybox's error. `-S` and floating point types are refused by name.
 */
export function odOptions(argv: readonly string[], stack: StackId): OdOptions | string {
  const p: OdParse = {
    radix: 'o',
    formats: [],
    width: null,
    verbose: false,
    skipBytes: 0,
    limitBytes: Number.POSITIVE_INFINITY,
    usage: `${busyboxBanner(stack)}${BUSYBOX_USAGE.od}`,
  };
  const files: string[] = [];
  let options = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!options || a === '-' || !a.startsWith('-')) {
      files.push(a);
      continue;
    }
    if (a === '--') {
      options = false;
      continue;
    }
    for (let k = 1; k < a.length; k++) {
      const letter = a[k]!;
      const rest = a.slice(k + 1);
      // A, t, N, j take a value (the rest of the word, else the next word); w and S only a glued one.
      const takes = 'AtNj'.includes(letter);
      const optional = letter === 'w' || letter === 'S';
      const value = takes ? (rest !== '' ? rest : argv[++i]) : optional && rest !== '' ? rest : undefined;
      if (takes && value === undefined) return `od: option requires an argument -- '${letter}'\n`;
      const error = odOption(p, letter, value);
      if (error !== null) return error;
      if (takes || (optional && rest !== '')) break;
    }
  }
  const formats = p.formats.length === 0 ? [{ kind: 'o', sizeBytes: 2 } as const] : p.formats;
  const largest = Math.max(...formats.map((f) => f.sizeBytes));
  let rowBytes = p.width ?? 16;
  let warning = '';
  if (rowBytes <= 0 || rowBytes % largest !== 0) {
    warning = `od: warning: invalid width ${p.width}; using ${largest} instead\n`;
    rowBytes = largest;
  }
  return {
    radix: p.radix,
    formats,
    rowBytes,
    verbose: p.verbose,
    skipBytes: p.skipBytes,
    limitBytes: p.limitBytes,
    files,
    warning,
  };
}

const OD_ESCAPES: Readonly<Record<number, string>> = {
  0: '\\0',
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
};

/** `-t a`'s names of the ASCII control characters (a byte's high bit is dropped first). */
const OD_NAMES = [
  'nul',
  'soh',
  'stx',
  'etx',
  'eot',
  'enq',
  'ack',
  'bel',
  'bs',
  'ht',
  'nl',
  'vt',
  'ff',
  'cr',
  'so',
  'si',
  'dle',
  'dc1',
  'dc2',
  'dc3',
  'dc4',
  'nak',
  'syn',
  'etb',
  'can',
  'em',
  'sub',
  'esc',
  'fs',
  'gs',
  'rs',
  'us',
  'sp',
];

/** The columns of one integer field after its blank: enough for the type's widest value. */
const OD_WIDTHS: Readonly<Record<'d' | 'o' | 'u' | 'x', Readonly<Record<1 | 2 | 4 | 8, number>>>> = {
  d: { 1: 4, 2: 6, 4: 11, 8: 20 },
  o: { 1: 3, 2: 6, 4: 11, 8: 22 },
  u: { 1: 3, 2: 5, 4: 10, 8: 20 },
  x: { 1: 2, 2: 4, 4: 8, 8: 16 },
};

function odCharacter(b: number, named: boolean): string {
  if (named) {
    const c = b & 0x7f;
    return c === 127 ? 'del' : c <= 32 ? OD_NAMES[c]! : String.fromCharCode(c);
  }
  return OD_ESCAPES[b] ?? (b >= 32 && b < 127 ? String.fromCharCode(b) : b.toString(8).padStart(3, '0'));
}

/**
 * One od line's fields in one format: each a blank and the value, right-aligned in the type's
 * columns (octal and hex with leading zeros); integers are little-endian, as on the VM.
 */
export function odFields(row: Uint8Array, format: OdFormat): string {
  let fields = '';
  if (format.kind === 'a' || format.kind === 'c') {
    for (const b of row) fields += ` ${odCharacter(b, format.kind === 'a').padStart(3, ' ')}`;
    return fields;
  }
  const size = format.sizeBytes;
  const width = OD_WIDTHS[format.kind][size];
  for (let k = 0; k + size <= row.length; k += size) {
    let v = 0n;
    for (let j = k + size - 1; j >= k; j--) v = (v << 8n) | BigInt(row[j]!);
    if (format.kind === 'd') v = BigInt.asIntN(size * 8, v);
    const text = v.toString(format.kind === 'o' ? 8 : format.kind === 'x' ? 16 : 10);
    fields += ` ${text.padStart(width, format.kind === 'o' || format.kind === 'x' ? '0' : ' ')}`;
  }
  return fields;
}

function splitLines(bytes: Uint8Array): string[] {
  const text = latin1Text(bytes);
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function countOption(
  argv: string[],
  tool: string,
): { n: number; fromStart: boolean; bytes: boolean; files: string[] } | string {
  let n = 10;
  let fromStart = false;
  let bytes = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let value: string | undefined;
    if (a === '-n' || a === '-c') {
      value = argv[++i];
      bytes = a === '-c';
    } else if (/^-n.+/.test(a)) value = a.slice(2);
    else if (/^-[0-9]+$/.test(a)) value = a.slice(1);
    else if (a.startsWith('-') && a !== '-') return `${tool}: unrecognized option '${a}'`;
    else {
      files.push(a);
      continue;
    }
    if (value === undefined || !/^[+-]?[0-9]+$/.test(value)) return `${tool}: invalid number '${value ?? ''}'`;
    fromStart = value.startsWith('+');
    n = Math.abs(Number(value));
  }
  return { n, fromStart, bytes, files };
}

/** Converts a POSIX bracket expression starting at `i` to a JavaScript class. */
function convertBracket(re: string, i: number): { js: string; next: number } | null {
  let j = i + 1;
  let js = '[';
  if (re[j] === '^') {
    js += '^';
    j++;
  }
  if (re[j] === ']') {
    js += '\\]';
    j++;
  }
  const classes: Record<string, string> = {
    alpha: 'A-Za-z',
    digit: '0-9',
    alnum: 'A-Za-z0-9',
    space: ' \\t\\n\\r\\f\\v',
    upper: 'A-Z',
    lower: 'a-z',
    xdigit: '0-9A-Fa-f',
    punct: '!-\\/:-@\\[-`{-~',
    blank: ' \\t',
  };
  while (j < re.length && re[j] !== ']') {
    if (re.startsWith('[:', j)) {
      const end = re.indexOf(':]', j + 2);
      if (end < 0) return null;
      js += classes[re.slice(j + 2, end)] ?? '';
      j = end + 2;
      continue;
    }
    const c = re[j]!;
    js += c === '\\' || c === '[' ? `\\${c}` : c;
    j++;
  }
  if (j >= re.length) return null;
  return { js: `${js}]`, next: j + 1 };
}

/** POSIX basic or extended regular expression to a JavaScript RegExp source. */
export function posixToJs(re: string, extended: boolean): string | null {
  let js = '';
  for (let i = 0; i < re.length; ) {
    const c = re[i]!;
    if (c === '[') {
      const b = convertBracket(re, i);
      if (b === null) return null;
      js += b.js;
      i = b.next;
      continue;
    }
    if (c === '\\' && i + 1 < re.length) {
      const d = re[i + 1]!;
      if (!extended && '(){}|+?'.includes(d)) js += d;
      else if (/[0-9]/.test(d)) js += `\\${d}`;
      else if (d === 'n') js += '\\n';
      else if (d === 't') js += '\\t';
      else if (d === '<' || d === '>') js += '\\b';
      else if (d === 'w' || d === 'W' || d === 's' || d === 'S' || d === 'b' || d === 'B') js += `\\${d}`;
      else js += d.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i += 2;
      continue;
    }
    if (!extended && '(){}|+?'.includes(c)) {
      js += `\\${c}`;
      i++;
      continue;
    }
    if (c === '*' && (js === '' || js === '^' || js.endsWith('(') || js.endsWith('|'))) {
      js += '\\*';
      i++;
      continue;
    }
    if (c === '/') {
      js += '\\/';
      i++;
      continue;
    }
    js += c;
    i++;
  }
  try {
    new RegExp(js);
  } catch {
    return null;
  }
  return js;
}

/** What grep matches and prints (busybox grep -EvicqFno, -e), and its files. */
export interface GrepOptions {
  readonly invert: boolean;
  readonly count: boolean;
  readonly quiet: boolean;
  readonly lineNumbers: boolean;
  readonly onlyMatching: boolean;
  /** Every pattern as one expression; `global`: the same for -o's matches. */
  readonly re: RegExp;
  readonly global: RegExp;
  readonly files: string[];
}

/** grep's options; a ToolResult is busybox's error for a bad command line (status 2). */
export function grepOptions(argv: readonly string[]): GrepOptions | ToolResult {
  const flags = new Set<string>();
  const patterns: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e') {
      const p = argv[++i];
      if (p === undefined) return textResult('', 'grep: option requires an argument -- e\n', 2);
      patterns.push(p);
    } else if (/^-[EvicqFnow]+$/.test(a)) {
      for (const f of a.slice(1)) flags.add(f);
    } else if (a.startsWith('-') && a !== '-') {
      return textResult('', `grep: unrecognized option '${a}' (the lab supports -E -e -v -i -c -q -F -n -o)\n`, 2);
    } else if (patterns.length === 0) patterns.push(a);
    else files.push(a);
  }
  if (patterns.length === 0) return textResult('', 'Usage: grep [-EvicqFno] PATTERN [FILE]...\n', 2);
  const sources: string[] = [];
  for (const p of patterns) {
    const js = flags.has('F') ? p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : posixToJs(p, flags.has('E'));
    if (js === null) return textResult('', `grep: bad regex '${p}'\n`, 2);
    sources.push(js);
  }
  const re = new RegExp(sources.map((s) => `(?:${s})`).join('|'), flags.has('i') ? 'i' : '');
  return {
    invert: flags.has('v'),
    count: flags.has('c'),
    quiet: flags.has('q'),
    lineNumbers: flags.has('n'),
    onlyMatching: flags.has('o'),
    re,
    global: new RegExp(re.source, flags.has('i') ? 'gi' : 'g'),
    files,
  };
}

export interface SedCommand {
  readonly address: RegExp | number | null;
  readonly kind: 's' | 'd' | 'p' | 'q';
  readonly re?: RegExp;
  /** `re` without the g flag: whether the line matches at all (`s///p` prints only then). */
  readonly test?: RegExp;
  readonly replacement?: string;
  readonly global?: boolean;
  readonly print?: boolean;
}

function parseSedScript(script: string, extended: boolean): SedCommand[] | string {
  const commands: SedCommand[] = [];
  for (const part of script
    .split(/;|\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    let rest = part;
    let address: RegExp | number | null = null;
    let m = /^([0-9]+)/.exec(rest);
    if (m) {
      address = Number(m[1]);
      rest = rest.slice(m[1]!.length);
    } else if (rest.startsWith('/')) {
      const end = findDelimiter(rest, 1, '/');
      if (end < 0) return `sed: unterminated address regex`;
      const js = posixToJs(rest.slice(1, end), extended);
      if (js === null) return `sed: bad regex '${rest.slice(1, end)}'`;
      address = new RegExp(js);
      rest = rest.slice(end + 1);
    }
    if (rest === 'd' || rest === 'p' || rest === 'q') {
      commands.push({ address, kind: rest });
      continue;
    }
    m = /^s(.)/.exec(rest);
    if (!m) return `sed: unsupported command: ${part} (the lab supports s///, d, p, q)`;
    const delim = m[1]!;
    const e1 = findDelimiter(rest, 2, delim);
    const e2 = e1 < 0 ? -1 : findDelimiter(rest, e1 + 1, delim);
    if (e1 < 0 || e2 < 0) return `sed: -e expression #1, char ${rest.length}: unterminated \`s' command`;
    const js = posixToJs(rest.slice(2, e1).split(`\\${delim}`).join(delim), extended);
    if (js === null) return `sed: bad regex '${rest.slice(2, e1)}'`;
    const flags = rest.slice(e2 + 1);
    if (!/^[gp]*$/.test(flags)) return `sed: unknown option to \`s'`;
    commands.push({
      address,
      kind: 's',
      re: new RegExp(js, flags.includes('g') ? 'g' : ''),
      test: new RegExp(js),
      replacement: convertReplacement(rest.slice(e1 + 1, e2)),
      global: flags.includes('g'),
      print: flags.includes('p'),
    });
  }
  return commands;
}

function findDelimiter(text: string, from: number, delim: string): number {
  let inBracket = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[' && !inBracket) {
      inBracket = true;
      if (text[i + 1] === '^') i++;
      if (text[i + 1] === ']') i++;
      continue;
    }
    if (c === ']' && inBracket) {
      inBracket = false;
      continue;
    }
    if (c === delim && !inBracket) return i;
  }
  return -1;
}

function convertReplacement(repl: string): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i]!;
    if (c === '\\' && i + 1 < repl.length) {
      const d = repl[++i]!;
      out += /[0-9]/.test(d) ? `$${d}` : d === 'n' ? '\n' : d === '&' ? '&' : d === '$' ? '$$' : d;
    } else if (c === '&') out += '$&';
    else if (c === '$') out += '$$';
    else out += c;
  }
  return out;
}

/** A sed script parsed (busybox sed -n -e -E -r, the s///, d, p and q commands) and its files. */
export interface SedOptions {
  readonly quiet: boolean;
  readonly commands: readonly SedCommand[];
  readonly files: string[];
}

/** sed's options and script; a ToolResult is busybox's error for a bad command line (status 1). */
export function sedOptions(argv: readonly string[]): SedOptions | ToolResult {
  let quiet = false;
  let extended = false;
  const scripts: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-n') quiet = true;
    else if (a === '-E' || a === '-r') extended = true;
    else if (a === '-e') scripts.push(argv[++i] ?? '');
    else if (a.startsWith('-') && a !== '-')
      return textResult('', `sed: unrecognized option '${a}' (the lab supports -n -e -E -r)\n`, 1);
    else if (scripts.length === 0) scripts.push(a);
    else files.push(a);
  }
  if (scripts.length === 0) return textResult('', 'Usage: sed [-nEr] [-e] SCRIPT [FILE]...\n', 1);
  const commands = parseSedScript(scripts.join('\n'), extended);
  if (typeof commands === 'string') return textResult('', `${commands}\n`, 1);
  return { quiet, commands, files };
}

/**
 * What sed does with one line: what its commands print (`p`, `s///p`), the line it prints at the
 * end of the script (null: deleted, or -n), and whether it quits after it (`q`).
 */
export function sedLine(
  o: SedOptions,
  input: string,
  lineNo: number,
): { printed: string; line: string | null; quit: boolean } {
  let line = input;
  let printed = '';
  for (const c of o.commands) {
    const selected =
      c.address === null || (typeof c.address === 'number' ? c.address === lineNo : c.address.test(line));
    if (!selected) continue;
    if (c.kind === 'd') return { printed, line: null, quit: false };
    if (c.kind === 'p') printed += `${line}\n`;
    if (c.kind === 'q') return { printed, line: o.quiet ? null : line, quit: true };
    if (c.kind === 's') {
      c.re!.lastIndex = 0;
      const changed = c.test!.test(line);
      line = line.replace(c.re!, c.replacement!);
      if (changed && c.print) printed += `${line}\n`;
    }
  }
  return { printed, line: o.quiet ? null : line, quit: false };
}

/** `cut -c LIST` / `cut -f LIST [-d DELIM]` and its files; a string is busybox's error. */
export interface CutOptions {
  readonly delimiter: string;
  /** The wanted positions (characters, or fields) as sorted, disjoint 1-based ranges. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  readonly chars: boolean;
  readonly files: string[];
}

export function cutOptions(argv: readonly string[]): CutOptions | string {
  let delimiter = '\t';
  let fieldSpec: string | null = null;
  let charSpec: string | null = null;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-d') delimiter = argv[++i] ?? '\t';
    else if (a.startsWith('-d')) delimiter = a.slice(2);
    else if (a === '-f') fieldSpec = argv[++i] ?? null;
    else if (a.startsWith('-f')) fieldSpec = a.slice(2);
    else if (a === '-c') charSpec = argv[++i] ?? null;
    else if (a.startsWith('-c')) charSpec = a.slice(2);
    else if (/^-[bsnDFO]/.test(a)) throw notModelled(`cut ${a.slice(0, 2)} (the lab runs cut -d -f and cut -c)`);
    else if (a.startsWith('-') && a !== '-') return `cut: invalid option -- '${a[1]}'\n`;
    else files.push(a);
  }
  const spec = fieldSpec ?? charSpec;
  if (spec === null) return 'cut: you must specify a list of bytes, characters, or fields\n';
  return { delimiter, ranges: cutRanges(spec), chars: charSpec !== null, files };
}

/** `1,3-5,7-` as sorted disjoint ranges (a position is wanted when any range holds it). */
function cutRanges(spec: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const r of spec.split(',')) {
    const [a, b] = r.split('-');
    const lo = a === '' ? 1 : Number(a);
    const hi = b === undefined ? lo : b === '' ? Number.POSITIVE_INFINITY : Number(b);
    // A range with a bad number holds no position (as the comparison with NaN says).
    if (!Number.isNaN(lo) && !Number.isNaN(hi) && lo <= hi) ranges.push([Math.max(lo, 1), hi]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** One line cut: its wanted characters, or its wanted fields (a line without the delimiter whole). */
export function cutLine(line: string, o: CutOptions): string {
  if (o.chars) return o.ranges.map(([lo, hi]) => line.slice(lo - 1, Math.min(hi, line.length))).join('');
  if (!line.includes(o.delimiter)) return line;
  const fields = line.split(o.delimiter);
  return o.ranges.flatMap(([lo, hi]) => fields.slice(lo - 1, Math.min(hi, fields.length))).join(o.delimiter);
}

export { enc };

/** busybox sort's flags: -r reverses, -n compares leading numbers, -u keeps the first of equal lines. */
export interface SortOptions {
  readonly flags: string;
  readonly files: string[];
}

/** sort's options; a ToolResult is busybox's error (status 1). */
export function sortOptions(argv: readonly string[]): SortOptions | ToolResult {
  const flags = argv
    .filter((a) => /^-[a-zA-Z0-9]+$/.test(a))
    .join('')
    .replace(/-/g, '');
  const bad = flags.replace(/[rnu]/g, '');
  if (bad !== '') return textResult('', `sort: unrecognized option '-${bad[0]!}'\n`, 1);
  return { flags, files: argv.filter((a) => !/^-[a-zA-Z0-9]+$/.test(a)) };
}

/**
 * busybox sort's order: bytes (busybox compares with strcmp, whatever the locale), `-r` reverses,
 * `-n` compares leading numbers, `-u` keeps the first of equal lines. Sorts `lines` in place.
 */
export function sortLines(lines: string[], flags: string): string[] {
  const numeric = (l: string): number => Number(/^\s*-?[0-9]*\.?[0-9]*/.exec(l)![0]) || 0;
  const compare = (a: string, b: string): number => {
    if (flags.includes('n')) {
      const d = numeric(a) - numeric(b);
      if (d !== 0 || flags.includes('u')) return d;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  };
  let sorted = lines.sort(compare);
  if (flags.includes('r')) sorted.reverse();
  if (flags.includes('u')) sorted = sorted.filter((l, i) => i === 0 || compare(sorted[i - 1]!, l) !== 0);
  return sorted;
}

/** busybox sort over whole inputs (the lab runs sortStream, src/lab/line-filters.ts; this is its order on bytes). */
export function sort(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  const o = sortOptions(argv);
  if ('status' in o) return o;
  const { data, errors } = inputs(o.files, stdin, readFile, 'sort');
  const sorted = sortLines(
    data.flatMap(([, bytes]) => splitLines(bytes)),
    o.flags,
  );
  return textResult(sorted.map((l) => `${l}\n`).join(''), errors, errors ? 2 : 0);
}
