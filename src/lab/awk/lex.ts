/**
 * The lexer of the lab's awk (src/lab/awk/): numbers, strings with awk's escapes, regular
 * expression literals (a `/` where an operand is expected starts one), names, keywords, builtin
 * function names and operators. Newlines are tokens, since they end statements.
 */
import { AwkError } from './errors.js';

export type Token =
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 're'; readonly v: string }
  | { readonly t: 'name'; readonly v: string }
  /** A name directly followed by `(`: a call. */
  | { readonly t: 'funcname'; readonly v: string }
  | { readonly t: 'kw'; readonly v: string }
  | { readonly t: 'op'; readonly v: string }
  | { readonly t: 'nl' }
  | { readonly t: 'eof' };

const KEYWORDS = new Set([
  'BEGIN',
  'END',
  'if',
  'else',
  'while',
  'for',
  'do',
  'in',
  'next',
  'exit',
  'break',
  'continue',
  'delete',
  'print',
  'printf',
  'getline',
  'function',
  'func',
  'return',
  'nextfile',
]);

/** Operators, longest first so that `>=` is not read as `>` then `=`. */
const OPERATORS = [
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '^=',
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '++',
  '--',
  '!~',
  '>>',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ';',
  ',',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '!',
  '>',
  '<',
  '|',
  '?',
  ':',
  '~',
  '$',
  '=',
];

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  '"': '"',
  '/': '/',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

/** Whether a `/` after this token divides (it follows an operand) rather than starting a regex. */
function endsOperand(prev: Token | undefined): boolean {
  if (prev === undefined) return false;
  if (prev.t === 'num' || prev.t === 'str' || prev.t === 'name' || prev.t === 're') return true;
  return prev.t === 'op' && (prev.v === ')' || prev.v === ']' || prev.v === '++' || prev.v === '--' || prev.v === '$');
}

function readString(src: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < src.length && src[i] !== '"') {
    if (src[i] === '\\' && i + 1 < src.length) {
      const e = src[i + 1]!;
      out += ESCAPES[e] ?? `\\${e}`;
      i += 2;
    } else out += src[i++];
  }
  if (i >= src.length) throw new AwkError('unterminated string');
  return [out, i + 1];
}

function readRegex(src: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < src.length && src[i] !== '/') {
    if (src[i] === '\n') break;
    if (src[i] === '\\' && src[i + 1] === '/') {
      out += '/';
      i += 2;
    } else out += src[i++];
  }
  if (src[i] !== '/') throw new AwkError('unterminated regexp');
  return [out, i + 1];
}

/** One token at `i` (after blanks and comments); the token and where the next one starts. */
function tokenAt(src: string, i: number, prev: Token | undefined): [Token, number] {
  const c = src[i]!;
  if (c === '\n') return [{ t: 'nl' }, i + 1];
  const num = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/.exec(src.slice(i));
  if (num !== null) return [{ t: 'num', v: Number(num[0]) }, i + num[0].length];
  if (c === '"') {
    const [v, next] = readString(src, i);
    return [{ t: 'str', v }, next];
  }
  if (c === '/' && !endsOperand(prev)) {
    const [v, next] = readRegex(src, i);
    return [{ t: 're', v }, next];
  }
  const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
  if (word !== null) {
    const v = word[0];
    const next = i + v.length;
    if (KEYWORDS.has(v)) return [{ t: 'kw', v }, next];
    return [src[next] === '(' ? { t: 'funcname', v } : { t: 'name', v }, next];
  }
  const op = OPERATORS.find((o) => src.startsWith(o, i));
  if (op === undefined) throw new AwkError(`unexpected character '${c}'`);
  return [{ t: 'op', v: op === '**' ? '^' : op }, i + op.length];
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else {
      const [token, next] = tokenAt(src, i, tokens[tokens.length - 1]);
      tokens.push(token);
      i = next;
    }
  }
  tokens.push({ t: 'eof' });
  return tokens;
}
