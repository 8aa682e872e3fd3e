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

/** `${x/p/r}` (first match), `${x//p/r}` (every match), `${x/#p/r}` (at the start), `${x/%p/r}` (at the end); matches are longest. */
export function replacePattern(
  value: string,
  source: string,
  replacement: string,
  op: '/' | '//' | '/#' | '/%',
): string {
  if (source === '') return value;
  const re = new RegExp(`^(?:${source})$`);
  const longestAt = (start: number): number => {
    for (let end = value.length; end > start; end--) if (re.test(value.slice(start, end))) return end;
    return -1;
  };
  if (op === '/#') {
    const end = longestAt(0);
    return end < 0 ? value : replacement + value.slice(end);
  }
  if (op === '/%') {
    for (let start = 0; start < value.length; start++)
      if (re.test(value.slice(start))) return value.slice(0, start) + replacement;
    return value;
  }
  // Linear in the value (issue 17): the regex engine finds the next place a match starts, instead
  // of trying every end at every position. A pattern without `*` has one length, so the match
  // found is the longest; with `*` the longest is looked for from the end of the value down.
  const fixedLength = !source.includes(ANY_STRING);
  const find = new RegExp(source, 'g');
  let out = '';
  let i = 0;
  while (i < value.length) {
    find.lastIndex = i;
    const m = find.exec(value);
    if (m === null) break;
    const start = m.index;
    const end = fixedLength ? (m[0].length > 0 ? start + m[0].length : -1) : longestAt(start);
    if (end < 0) {
      // Only an empty match starts here; the replacement needs a non-empty one.
      out += value.slice(i, start + 1);
      i = start + 1;
      continue;
    }
    out += value.slice(i, start) + replacement;
    i = end;
    if (op === '/') break;
  }
  return out + value.slice(i);
}
