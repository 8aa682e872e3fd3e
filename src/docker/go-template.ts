/**
 * The part of Go's text/template that `docker inspect --format` and `docker ps --format` users
 * write: literal text, `{{.Field.Path}}`, `{{json .Field}}` and the `{{-`/`-}}` trim markers, with
 * Go's error texts (`template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"`,
 * `template: :1: unclosed action`, `function "foo" not defined`). Everything else a template can
 * say (if, range, with, index, printf and Docker's other functions) is refused by name, so that a
 * format the lab cannot evaluate never prints something plausible. Pure: the caller resolves paths.
 */
import type { JsonValue } from './go-json.js';

/** What a field path is in the object being formatted. */
export type Resolved =
  | { readonly kind: 'value'; readonly value: JsonValue }
  /** Go's execution error after `executing "" at <.Path>: `, e.g. `map has no entry for key "Foo"`. */
  | { readonly kind: 'error'; readonly text: string }
  /** A field the real object has that the lab does not model: refused by name. */
  | { readonly kind: 'not-modelled'; readonly what: string };

export type Resolver = (path: readonly string[], asJson: boolean) => Resolved;

type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'field';
      readonly path: readonly string[];
      readonly json: boolean;
      readonly at: number;
      readonly source: string;
    };

/** A template parsed, or Go's parse error (`template: :1: ...`), or what the lab does not model. */
export type ParsedTemplate =
  | { readonly ok: true; readonly segments: readonly Segment[] }
  | { readonly ok: false; readonly error: string }
  | { readonly ok: false; readonly notModelled: string };

/** Go's builtins and the functions docker/cli's templates package adds: defined, but not modelled. */
const KNOWN_FUNCTIONS = new Set([
  'and',
  'or',
  'not',
  'len',
  'index',
  'slice',
  'print',
  'printf',
  'println',
  'html',
  'js',
  'urlquery',
  'call',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'split',
  'join',
  'title',
  'lower',
  'upper',
  'pad',
  'truncate',
]);
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** Line and column of a byte offset, as Go's ErrorContext counts them (the column is 0-based after the last newline). */
function location(text: string, at: number): string {
  const before = text.slice(0, at);
  const nl = before.lastIndexOf('\n');
  const line = 1 + (before.match(/\n/g)?.length ?? 0);
  return `${line}:${nl === -1 ? at : at - nl - 1}`;
}

/** Go's parse errors name only the line: `template: :LINE: ...`. */
const lineOf = (text: string, at: number): number => 1 + (text.slice(0, at).match(/\n/g)?.length ?? 0);

export function parseGoTemplate(text: string): ParsedTemplate {
  const segments: Segment[] = [];
  let at = 0;
  let pendingTrim = false;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    let literal = open === -1 ? text.slice(at) : text.slice(at, open);
    if (pendingTrim) literal = literal.replace(/^\s+/, '');
    if (open === -1) {
      if (literal !== '') segments.push({ kind: 'text', text: literal });
      break;
    }
    const trimLeft = text.startsWith('{{- ', open);
    if (trimLeft) literal = literal.replace(/\s+$/, '');
    if (literal !== '') segments.push({ kind: 'text', text: literal });
    const close = text.indexOf('}}', open + 2);
    if (close === -1) return { ok: false, error: `template: :${lineOf(text, open)}: unclosed action` };
    const trimRight = text.slice(open + 2, close).endsWith(' -');
    const innerStart = open + 2 + (trimLeft ? 2 : 0);
    const inner = text.slice(innerStart, trimRight ? close - 2 : close);
    const body = inner.trim();
    const bodyAt = innerStart + inner.indexOf(body);
    at = close + 2;
    pendingTrim = trimRight;
    if (body === '') return { ok: false, error: `template: :${lineOf(text, open)}: missing value for command` };
    const words = body.split(/\s+/);
    const head = words[0]!;
    if (head.startsWith('.')) {
      if (words.length > 1) return { ok: false, notModelled: `the template action {{${body}}}` };
      const path = head === '.' ? [] : head.slice(1).split('.');
      if (path.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)))
        return { ok: false, notModelled: `the template action {{${body}}}` };
      segments.push({ kind: 'field', path, json: false, at: bodyAt, source: head });
      continue;
    }
    if (head === 'json' && words.length === 2 && words[1]!.startsWith('.')) {
      const arg = words[1]!;
      const path = arg === '.' ? [] : arg.slice(1).split('.');
      segments.push({ kind: 'field', path, json: true, at: bodyAt + body.indexOf(arg), source: arg });
      continue;
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(head) && !KNOWN_FUNCTIONS.has(head) && !KEYWORDS.has(head) && head !== 'json')
      return { ok: false, error: `template: :${lineOf(text, open)}: function "${head}" not defined` };
    return {
      ok: false,
      notModelled: `the template action {{${body}}} (the lab evaluates {{.Field}} and {{json .Field}})`,
    };
  }
  return { ok: true, segments };
}

/** How Go's fmt prints a value with %v: maps as map[k:v ...] in key order, slices as [a b]. */
export function goPrint(value: JsonValue): string {
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goPrint).join(' ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goPrint(value[k]!)}`).join(' ')}]`;
  }
  return String(value);
}

/** Executes a parsed template: the text, or Go's execution error, or what the lab does not model. */
export function executeGoTemplate(
  text: string,
  segments: readonly Segment[],
  resolve: Resolver,
): { ok: true; text: string } | { ok: false; error: string } | { ok: false; notModelled: string } {
  let out = '';
  for (const s of segments) {
    if (s.kind === 'text') {
      out += s.text;
      continue;
    }
    const r = resolve(s.path, s.json);
    if (r.kind === 'not-modelled') return { ok: false, notModelled: r.what };
    if (r.kind === 'error')
      return { ok: false, error: `template: :${location(text, s.at)}: executing "" at <${s.source}>: ${r.text}` };
    out += s.json ? JSON.stringify(r.value) : goPrint(r.value);
  }
  return { ok: true, text: out };
}
