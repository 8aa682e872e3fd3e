/**
 * The pure half of word expansion: once parameters, command substitutions and arithmetic have
 * produced their text, a word becomes fields (field splitting of the unquoted results on IFS), one
 * string (assignments, redirection targets, `case` subjects), or a pattern (`case`, `${x#pat}`).
 * Pathname expansion of the fields is src/shell/glob.ts.
 */

/** A piece of an expanded word. */
export type Segment =
  /** Text; `split` when it came from an unquoted expansion, `quoted` when it was quoted. */
  | { readonly kind: 'text'; readonly text: string; readonly quoted: boolean; readonly split: boolean }
  /** The boundary between two positional parameters in `"$@"`. */
  | { readonly kind: 'break' };

export const DEFAULT_IFS = ' \t\n';

/**
 * Field splitting (POSIX 2.6.5): IFS white space collapses, other IFS characters each end a field.
 * Each field keeps its pieces' quoting, which pathname expansion needs (src/shell/glob.ts): a `*`
 * that was quoted is literal, one from an unquoted expansion is a pattern.
 */
export function splitFieldSegments(segments: readonly Segment[], ifs: string): Segment[][] {
  const fields: Segment[][] = [];
  let current: Segment[] = [];
  let has = false;
  const white: string[] = [...ifs].filter((c) => c === ' ' || c === '\t' || c === '\n');
  const other = [...ifs].filter((c) => !white.includes(c));
  const add = (text: string, quoted: boolean): void => {
    const last = current[current.length - 1];
    if (last !== undefined && last.kind === 'text' && last.quoted === quoted)
      current[current.length - 1] = { ...last, text: last.text + text };
    else current.push({ kind: 'text', text, quoted, split: false });
  };
  const end = (): void => {
    fields.push(current);
    current = [];
    has = false;
  };
  for (const seg of segments) {
    if (seg.kind === 'break') {
      end();
      continue;
    }
    if (!seg.split) {
      add(seg.text, seg.quoted);
      if (seg.quoted || seg.text !== '') has = true;
      continue;
    }
    for (const ch of seg.text) {
      if (white.includes(ch)) {
        if (has) fields.push(current);
        current = [];
        has = false;
      } else if (other.includes(ch)) end();
      else {
        add(ch, false);
        has = true;
      }
    }
  }
  if (has) fields.push(current);
  return fields;
}

/** Field splitting, each field as its text. */
export function splitFields(segments: readonly Segment[], ifs: string): string[] {
  return splitFieldSegments(segments, ifs).map(joinSegments);
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

import { bracketAt, patternSegments, type SegmentPosition } from './bracket.js';

export { CHARACTER_CLASSES } from './bracket.js';

/** A shell pattern as a regular expression body: unquoted `*`, `?` and `[...]` are special. */
/** What a glob's `*` becomes in a pattern's regular expression. */
const ANY_STRING = '[\\s\\S]*';

export function patternSource(word: readonly Segment[]): string {
  const segments = patternSegments(word);
  let out = '';
  // The next character to read: a bracket may close in a later segment, past quoted ones (bracket.ts).
  let seg = 0;
  let i = 0;
  while (seg < segments.length) {
    const s = segments[seg]!;
    let next: SegmentPosition | null = null;
    if (s.kind === 'break') out += ' ';
    else if (s.quoted) out += escapeRegex(s.text.slice(i));
    else
      for (const t = s.text; i < t.length && next === null; i++) {
        const c = t[i]!;
        if (c === '*') out += ANY_STRING;
        else if (c === '?') out += '[\\s\\S]';
        else if (c !== '[') out += escapeRegex(c);
        else {
          const bracket = bracketAt(segments, { seg, i });
          if (bracket === null) out += '\\[';
          else {
            out += bracket.source;
            if (bracket.end.seg === seg) i = bracket.end.i;
            else next = bracket.end;
          }
        }
      }
    [seg, i] = next === null ? [seg + 1, 0] : [next.seg, next.i + 1];
  }
  return out;
}

export function matchesPattern(text: string, source: string): boolean {
  return new RegExp(`^(?:${source})$`).test(text);
}
