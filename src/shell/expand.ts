/**
 * The pure half of word expansion: once parameters, command substitutions and arithmetic have
 * produced their text, a word becomes fields (field splitting of the unquoted results on IFS), one
 * string (assignments, redirection targets, `case` subjects), or a pattern (`case`, `${x#pat}`).
 * There is no pathname expansion: the lab has no directories worth globbing.
 */

/** A piece of an expanded word. */
export type Segment =
  /** Text; `split` when it came from an unquoted expansion, `quoted` when it was quoted. */
  | { readonly kind: 'text'; readonly text: string; readonly quoted: boolean; readonly split: boolean }
  /** The boundary between two positional parameters in `"$@"`. */
  | { readonly kind: 'break' };

export const DEFAULT_IFS = ' \t\n';

/** Field splitting (POSIX 2.6.5): IFS white space collapses, other IFS characters each end a field. */
export function splitFields(segments: readonly Segment[], ifs: string): string[] {
  const fields: string[] = [];
  let current = '';
  let has = false;
  const white: string[] = [...ifs].filter((c) => c === ' ' || c === '\t' || c === '\n');
  const other = [...ifs].filter((c) => !white.includes(c));
  for (const seg of segments) {
    if (seg.kind === 'break') {
      fields.push(current);
      current = '';
      has = false;
      continue;
    }
    if (!seg.split) {
      current += seg.text;
      if (seg.quoted || seg.text !== '') has = true;
      continue;
    }
    for (const ch of seg.text) {
      if (white.includes(ch)) {
        if (has) fields.push(current);
        current = '';
        has = false;
      } else if (other.includes(ch)) {
        fields.push(current);
        current = '';
        has = false;
      } else {
        current += ch;
        has = true;
      }
    }
  }
  if (has) fields.push(current);
  return fields;
}

/** The word as one string: `"$@"` boundaries become spaces. */
export function joinSegments(segments: readonly Segment[]): string {
  // Concatenation makes a rope in V8 (no copy); Array.join copies, and `x=$x$x` on a 256 MiB
  // value took seconds that way.
  let out = '';
  for (const s of segments) out += s.kind === 'break' ? ' ' : s.text;
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** A shell pattern as a regular expression body: unquoted `*`, `?` and `[...]` are special. */
/** What a glob's `*` becomes in a pattern's regular expression. */
const ANY_STRING = '[\\s\\S]*';

export function patternSource(segments: readonly Segment[]): string {
  let out = '';
  for (const seg of segments) {
    if (seg.kind === 'break') {
      out += ' ';
      continue;
    }
    if (seg.quoted) {
      out += escapeRegex(seg.text);
      continue;
    }
    const t = seg.text;
    for (let i = 0; i < t.length; i++) {
      const c = t[i]!;
      if (c === '*') out += ANY_STRING;
      else if (c === '?') out += '[\\s\\S]';
      else if (c === '[') {
        const end = t.indexOf(']', i + 2);
        if (end < 0) {
          out += '\\[';
          continue;
        }
        let body = t.slice(i + 1, end);
        let negate = false;
        if (body.startsWith('!') || body.startsWith('^')) {
          negate = true;
          body = body.slice(1);
        }
        out += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
        i = end;
      } else out += escapeRegex(c);
    }
  }
  return out;
}

export function matchesPattern(text: string, source: string): boolean {
  return new RegExp(`^(?:${source})$`).test(text);
}
