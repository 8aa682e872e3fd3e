/**
 * The text filters the lab shell offers after a pipe, with busybox's output formats:
 * md5sum, od -c, head, tail, grep, sed 's///', cat, wc, cut (tr is src/lab/tr.ts). Each takes its argv and its
 * standard input as bytes and returns what it writes and its exit status.
 */
import { createHash } from 'node:crypto';
import { concatBytes, latin1Bytes, latin1Text } from '../shared/bytes.js';
import { busyboxArgs } from './busybox-options.js';
import { notModelled } from './command-errors.js';
import { BUSYBOX_BANNER } from './loop-commands.js';

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

export function md5sum(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  // -b and -t (binary, text) are accepted and ignored by busybox; checking (-c -s -w) is not modelled.
  const parsed = busyboxArgs('md5sum', argv, 'bt', 'csw');
  if ('error' in parsed) return textResult('', parsed.error, 1);
  const { data, errors } = inputs(parsed.operands, stdin, readFile, 'md5sum');
  let out = '';
  for (const [name, bytes] of data) out += `${createHash('md5').update(bytes).digest('hex')}  ${name}\n`;
  return textResult(out, errors, errors ? 1 : 0);
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

/** One od line's fields: characters (-c), octal 2-byte words (the default) or unsigned 8-byte numbers (-t u8). */
function odFields(row: Uint8Array, format: 'c' | 'o2' | 'u8'): string {
  let fields = '';
  if (format === 'c') {
    for (const b of row) {
      const s = OD_ESCAPES[b] ?? (b >= 32 && b < 127 ? String.fromCharCode(b) : b.toString(8).padStart(3, '0'));
      fields += s.padStart(4, ' ');
    }
  } else if (format === 'u8') {
    // Unsigned little-endian 8-byte fields, right-aligned in 21 columns as busybox prints them.
    for (let k = 0; k < row.length; k += 8) {
      let v = 0n;
      for (let j = Math.min(row.length, k + 8) - 1; j >= k; j--) v = (v << 8n) | BigInt(row[j]!);
      fields += ` ${v.toString().padStart(20, ' ')}`;
    }
  } else {
    for (let k = 0; k < row.length; k += 2) {
      const v = row[k]! | ((row[k + 1] ?? 0) << 8);
      fields += ` ${v.toString(8).padStart(6, '0')}`;
    }
  }
  return fields;
}

/** `od [-A d|o|x|n] [-c|-t u8] [-j SKIP] [-N COUNT]`: 16 bytes per line, repeated lines folded to `*`. */
export function od(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  let radix: 'o' | 'd' | 'x' | 'n' = 'o';
  let format: 'c' | 'o2' | 'u8' = 'o2';
  let skipBytes = 0;
  let limitBytes = Number.POSITIVE_INFINITY;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // -j N / -N N / -t u8, glued or not: reading one field of a binary header (fixtures/lvm/86).
    const valued = /^-([jNt])(.*)$/.exec(a);
    if (valued !== null) {
      const value = valued[2] === '' ? argv[++i] : valued[2];
      if (valued[1] === 't') {
        if (value !== 'u8')
          return textResult('', `od: unsupported type '${value ?? ''}' (the lab supports -t u8)\n`, 1);
        format = 'u8';
      } else if (value === undefined || !/^[0-9]+$/.test(value))
        return textResult('', `od: invalid argument '${value ?? ''}' for -${valued[1]!}\n`, 1);
      else if (valued[1] === 'j') skipBytes = Number(value);
      else limitBytes = Number(value);
      continue;
    }
    if (a === '-A') {
      const r = argv[++i];
      if (r !== 'o' && r !== 'd' && r !== 'x' && r !== 'n')
        return textResult(
          '',
          `od: invalid output address radix '${r ?? ''}'; it must be one character from [doxn]\n`,
          1,
        );
      radix = r;
    } else if (a.startsWith('-A') && a.length === 3) radix = a[2] as typeof radix;
    else if (a === '-c') format = 'c';
    else if (a === '-Ad') radix = 'd';
    else if (a.startsWith('-'))
      return textResult('', `od: unrecognized option '${a}' (the lab supports -A, -c, -j, -N and -t u8)\n`, 1);
    else files.push(a);
  }
  const { data, errors } = inputs(files, stdin, readFile, 'od');
  const total = data.reduce((n, [, b]) => n + b.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const [, b] of data) {
    all.set(b, at);
    at += b.length;
  }
  const bytes = all.subarray(Math.min(skipBytes, total), Math.min(total, skipBytes + limitBytes));
  const address = (n: number): string =>
    radix === 'd'
      ? String(n).padStart(7, '0')
      : radix === 'x'
        ? n.toString(16).padStart(6, '0')
        : n.toString(8).padStart(7, '0');
  const lines: string[] = [];
  let previous: string | null = null;
  let starred = false;
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, bytes.length));
    const fields = odFields(row, format);
    if (row.length === 16 && fields === previous) {
      if (!starred) lines.push('*');
      starred = true;
      continue;
    }
    previous = row.length === 16 ? fields : null;
    starred = false;
    lines.push(radix === 'n' ? fields : `${address(skipBytes + off)}${fields}`);
  }
  if (radix !== 'n') lines.push(address(skipBytes + bytes.length));
  return textResult(lines.map((l) => `${l}\n`).join(''), errors, errors ? 1 : 0);
}

function splitLines(bytes: Uint8Array): string[] {
  const text = latin1Text(bytes);
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function countOption(
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

export function head(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  const o = countOption(argv, 'head');
  if (typeof o === 'string') return textResult('', `${o}\n`, 1);
  const { data, errors } = inputs(o.files, stdin, readFile, 'head');
  const parts = data.map(([, bytes]) => bytes.subarray(0, o.bytes ? o.n : afterLine(bytes, o.n)));
  return { stdout: concatBytes(parts), stderr: errors, status: errors ? 1 : 0 };
}

/**
 * busybox tail: the last N lines (`-n N`) or bytes (`-c N`), or from line or byte N on (`+N`).
 * Works on the bytes as they are (a last line without a newline stays without one), scanning only
 * as far as it needs to, so that a 128 MiB device takes no longer than reading it.
 */
export function tail(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  const o = countOption(argv, 'tail');
  if (typeof o === 'string') return textResult('', `${o}\n`, 1);
  const { data, errors } = inputs(o.files, stdin, readFile, 'tail');
  const parts = data.map(([, bytes]) => {
    if (o.bytes) return bytes.subarray(o.fromStart ? Math.max(0, o.n - 1) : Math.max(0, bytes.length - o.n));
    return bytes.subarray(o.fromStart ? afterLine(bytes, o.n - 1) : startOfLastLines(bytes, o.n));
  });
  return { stdout: concatBytes(parts), stderr: errors, status: errors ? 1 : 0 };
}

/** The offset just after the `n`th newline (the whole input when it has fewer lines). */
function afterLine(bytes: Uint8Array, n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) {
    const nl = bytes.indexOf(10, at);
    if (nl < 0) return bytes.length;
    at = nl + 1;
  }
  return at;
}

/** The offset where the last `n` lines start (a final newline ends the last line, it starts none). */
function startOfLastLines(bytes: Uint8Array, n: number): number {
  if (n === 0) return bytes.length;
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 10) end--;
  for (let i = 0; i < n; i++) {
    const nl = bytes.lastIndexOf(10, end - 1);
    if (nl < 0 || end === 0) return 0;
    if (i === n - 1) return nl + 1;
    end = nl;
  }
  return 0;
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

export function grep(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  let extended = false;
  let invert = false;
  let ignoreCase = false;
  let count = false;
  let quiet = false;
  let fixed = false;
  let lineNumbers = false;
  let onlyMatching = false;
  const patterns: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e') {
      const p = argv[++i];
      if (p === undefined) return textResult('', 'grep: option requires an argument -- e\n', 2);
      patterns.push(p);
    } else if (/^-[EvicqFnow]+$/.test(a)) {
      for (const f of a.slice(1)) {
        if (f === 'E') extended = true;
        else if (f === 'v') invert = true;
        else if (f === 'i') ignoreCase = true;
        else if (f === 'c') count = true;
        else if (f === 'q') quiet = true;
        else if (f === 'F') fixed = true;
        else if (f === 'n') lineNumbers = true;
        else if (f === 'o') onlyMatching = true;
      }
    } else if (a.startsWith('-') && a !== '-') {
      return textResult('', `grep: unrecognized option '${a}' (the lab supports -E -e -v -i -c -q -F -n -o)\n`, 2);
    } else if (patterns.length === 0) patterns.push(a);
    else files.push(a);
  }
  if (patterns.length === 0) return textResult('', 'Usage: grep [-EvicqFno] PATTERN [FILE]...\n', 2);
  const sources: string[] = [];
  for (const p of patterns) {
    const js = fixed ? p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : posixToJs(p, extended);
    if (js === null) return textResult('', `grep: bad regex '${p}'\n`, 2);
    sources.push(js);
  }
  const re = new RegExp(sources.map((s) => `(?:${s})`).join('|'), ignoreCase ? 'i' : '');
  const reGlobal = new RegExp(re.source, ignoreCase ? 'gi' : 'g');
  const { data, errors } = inputs(files, stdin, readFile, 'grep');
  let out = '';
  let matches = 0;
  for (const [name, bytes] of data) {
    let n = 0;
    splitLines(bytes).forEach((line, idx) => {
      if (re.test(line) === invert) return;
      n++;
      if (count || quiet) return;
      const prefix = (files.length > 1 ? `${name}:` : '') + (lineNumbers ? `${idx + 1}:` : '');
      if (onlyMatching && !invert) for (const m of line.matchAll(reGlobal)) out += `${prefix}${m[0]}\n`;
      else out += `${prefix}${line}\n`;
    });
    matches += n;
    if (count) out += `${files.length > 1 ? `${name}:` : ''}${n}\n`;
  }
  if (quiet) out = '';
  return textResult(out, errors, errors ? 2 : matches > 0 ? 0 : 1);
}

interface SedCommand {
  readonly address: RegExp | number | null;
  readonly kind: 's' | 'd' | 'p' | 'q';
  readonly re?: RegExp;
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

export function sed(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  let quietMode = false;
  let extended = false;
  const scripts: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-n') quietMode = true;
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
  const { data, errors } = inputs(files, stdin, readFile, 'sed');
  let out = '';
  let lineNo = 0;
  outer: for (const [, bytes] of data) {
    const text = latin1Text(bytes);
    const endsWithNewline = text.endsWith('\n');
    const lines = splitLines(bytes);
    for (let k = 0; k < lines.length; k++) {
      let line = lines[k]!;
      lineNo++;
      let deleted = false;
      let quit = false;
      for (const c of commands) {
        const selected =
          c.address === null || (typeof c.address === 'number' ? c.address === lineNo : c.address.test(line));
        if (!selected) continue;
        if (c.kind === 'd') {
          deleted = true;
          break;
        }
        if (c.kind === 'p') out += `${line}\n`;
        if (c.kind === 'q') {
          quit = true;
          break;
        }
        if (c.kind === 's') {
          c.re!.lastIndex = 0;
          const replaced = line.replace(c.re!, c.replacement!);
          const changed = c.re!.global
            ? replaced !== line || new RegExp(c.re!.source).test(line)
            : new RegExp(c.re!.source).test(line);
          line = replaced;
          if (changed && c.print) out += `${line}\n`;
        }
      }
      const newline = k < lines.length - 1 || endsWithNewline ? '\n' : '';
      if (!deleted && !quietMode) out += `${line}${newline}`;
      if (quit) break outer;
    }
  }
  return textResult(out, errors, errors ? 2 : 0);
}

/** A line's width as wc -L counts it: a tab moves to the next multiple of 8. */
function displayWidth(line: string): number {
  let col = 0;
  for (const ch of line) col = ch === '\t' ? (col | 7) + 1 : col + 1;
  return col;
}

const WC_USAGE = `${BUSYBOX_BANNER}Usage: wc [-cmlwL] [FILE]...\n\nCount lines, words, and bytes for FILEs (or stdin)\n\n\t-c\tCount bytes\n\t-m\tCount characters\n\t-l\tCount newlines\n\t-w\tCount words\n\t-L\tPrint longest line length\n`;

/**
 * busybox wc [-cmlwL] [FILE]...: lines, words, characters, bytes, longest line, in that order;
 * one count alone unpadded, several each `%9u` (BusyBox v1.35.0, the VM's). In the C locale a
 * character is a byte.
 */
export function wc(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  const flags = argv
    .filter((a) => a.startsWith('-') && a !== '-')
    .join('')
    .replace(/-/g, '');
  const unknown = [...flags].find((f) => !'cmlwL'.includes(f));
  if (unknown !== undefined) return textResult('', `wc: invalid option -- '${unknown}'\n${WC_USAGE}`, 1);
  const files = argv.filter((a) => !a.startsWith('-') || a === '-');
  const { data, errors } = inputs(files, stdin, readFile, 'wc');
  let out = '';
  for (const [name, bytes] of data) {
    const text = latin1Text(bytes);
    const lines = (text.match(/\n/g) ?? []).length;
    const words = text.split(/\s+/).filter((w) => w !== '').length;
    const longest = Math.max(0, ...text.split('\n').map(displayWidth));
    const fields: number[] = [];
    if (flags === '' || flags.includes('l')) fields.push(lines);
    if (flags === '' || flags.includes('w')) fields.push(words);
    if (flags.includes('m')) fields.push(bytes.length);
    if (flags === '' || flags.includes('c')) fields.push(bytes.length);
    if (flags.includes('L')) fields.push(longest);
    const width = fields.length === 1 ? 0 : 9;
    out += `${fields.map((f) => String(f).padStart(width)).join(' ') + (name === '-' ? '' : ` ${name}`)}\n`;
  }
  return textResult(out, errors, errors ? 1 : 0);
}

export function cut(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
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
    else if (a.startsWith('-') && a !== '-') return textResult('', `cut: invalid option -- '${a[1]}'\n`, 1);
    else files.push(a);
  }
  const spec = fieldSpec ?? charSpec;
  if (spec === null) return textResult('', 'cut: you must specify a list of bytes, characters, or fields\n', 1);
  const wanted = (n: number): boolean =>
    spec.split(',').some((r) => {
      const [a, b] = r.split('-');
      const lo = a === '' ? 1 : Number(a);
      const hi = b === undefined ? lo : b === '' ? Infinity : Number(b);
      return n >= lo && n <= hi;
    });
  const { data, errors } = inputs(files, stdin, readFile, 'cut');
  let out = '';
  for (const [, bytes] of data) {
    for (const line of splitLines(bytes)) {
      if (charSpec !== null) out += `${[...line].filter((_c, i) => wanted(i + 1)).join('')}\n`;
      else if (!line.includes(delimiter)) out += `${line}\n`;
      else
        out += `${line
          .split(delimiter)
          .filter((_f, i) => wanted(i + 1))
          .join(delimiter)}\n`;
    }
  }
  return textResult(out, errors, errors ? 1 : 0);
}

export { enc };

/**
 * busybox sort: lines in byte order (busybox compares with strcmp, whatever the locale), `-r`
 * reverses, `-n` compares leading numbers, `-u` keeps the first of equal lines.
 */
export function sort(argv: string[], stdin: Stdin, readFile: ReadFile): ToolResult {
  const flags = argv
    .filter((a) => /^-[a-zA-Z0-9]+$/.test(a))
    .join('')
    .replace(/-/g, '');
  const bad = flags.replace(/[rnu]/g, '');
  if (bad !== '') return textResult('', `sort: unrecognized option '-${bad[0]!}'\n`, 1);
  const files = argv.filter((a) => !/^-[a-zA-Z0-9]+$/.test(a));
  const { data, errors } = inputs(files, stdin, readFile, 'sort');
  const lines = data.flatMap(([, bytes]) => splitLines(bytes));
  const numeric = (l: string): number => Number(/^\s*-?[0-9]*\.?[0-9]*/.exec(l)![0]) || 0;
  const compare = (a: string, b: string): number => {
    if (flags.includes('n')) {
      const d = numeric(a) - numeric(b);
      if (d !== 0 || flags.includes('u')) return d;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  };
  let sorted = [...lines].sort(compare);
  if (flags.includes('r')) sorted.reverse();
  if (flags.includes('u')) sorted = sorted.filter((l, i) => i === 0 || compare(sorted[i - 1]!, l) !== 0);
  return textResult(sorted.map((l) => `${l}\n`).join(''), errors, errors ? 2 : 0);
}
