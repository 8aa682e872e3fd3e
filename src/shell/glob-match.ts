/**
 * Shell patterns matched against a prefix or a suffix of a value in linear time, for `${x#p}`,
 * `${x##p}`, `${x%p}` and `${x%%p}`. Trying every prefix with a regular expression is quadratic
 * (issue 17: 40,000 characters took seconds); a pattern is a run of fixed-length pieces between
 * stars, and placing each piece as early as it fits is what any match needs, so one pass decides.
 */
import { bracketAt, patternSegments, type SegmentPosition } from './bracket.js';
import type { Segment } from './expand.js';

/** One character of a pattern: a literal, `?`, or a bracket expression. */
type Atom =
  | { readonly kind: 'char'; readonly char: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'class'; readonly test: RegExp };

/** A pattern as the fixed-length pieces between its unquoted stars. */
export interface GlobPattern {
  readonly pieces: readonly (readonly Atom[])[];
  /** Whether a star comes before the first piece and after each of the others but the last. */
  readonly starred: boolean;
}

/** The pattern of an expanded word: unquoted `*`, `?` and `[...]` are special, as in patternSource. */
export function globPattern(word: readonly Segment[]): GlobPattern {
  const segments = patternSegments(word);
  const pieces: Atom[][] = [[]];
  const add = (atom: Atom): void => {
    pieces[pieces.length - 1]!.push(atom);
  };
  // The next character to read: a bracket may close in a later segment, past quoted ones (bracket.ts).
  let seg = 0;
  let i = 0;
  while (seg < segments.length) {
    const s = segments[seg]!;
    let next: SegmentPosition | null = null;
    if (s.kind === 'break') add({ kind: 'char', char: ' ' });
    else
      for (const t = s.text; i < t.length && next === null; i++) {
        const c = t[i]!;
        if (s.quoted) add({ kind: 'char', char: c });
        else if (c === '*') pieces.push([]);
        else if (c === '?') add({ kind: 'any' });
        else if (c !== '[') add({ kind: 'char', char: c });
        else {
          const bracket = bracketAt(segments, { seg, i });
          if (bracket === null) add({ kind: 'char', char: c });
          else {
            add({ kind: 'class', test: new RegExp(`^${bracket.source}$`) });
            if (bracket.end.seg === seg) i = bracket.end.i;
            else next = bracket.end;
          }
        }
      }
    [seg, i] = next === null ? [seg + 1, 0] : [next.seg, next.i + 1];
  }
  return { pieces, starred: pieces.length > 1 };
}

function atomMatches(atom: Atom, c: string): boolean {
  if (atom.kind === 'any') return true;
  if (atom.kind === 'char') return atom.char === c;
  return atom.test.test(c);
}

function pieceAt(value: string, piece: readonly Atom[], at: number): boolean {
  if (at + piece.length > value.length) return false;
  for (let k = 0; k < piece.length; k++) if (!atomMatches(piece[k]!, value[at + k]!)) return false;
  return true;
}

/** The first place at or after `from` where the piece fits, or -1. */
function firstFit(value: string, piece: readonly Atom[], from: number): number {
  if (piece.every((a) => a.kind === 'char'))
    return value.indexOf(piece.map((a) => (a as { char: string }).char).join(''), from);
  for (let at = from; at + piece.length <= value.length; at++) if (pieceAt(value, piece, at)) return at;
  return -1;
}

/** The last place at or after `from` where the piece fits, or -1. */
function lastFit(value: string, piece: readonly Atom[], from: number): number {
  for (let at = value.length - piece.length; at >= from; at--) if (pieceAt(value, piece, at)) return at;
  return -1;
}

/**
 * The end of the shortest (or longest) match of the pattern that starts at `start`, or -1. The
 * first piece is anchored there; the middle ones are placed as early as they fit, which leaves the
 * most room for the rest; the last piece then goes as early (shortest) or as late (longest) as it
 * fits.
 */
export function prefixMatchEnd(value: string, pattern: GlobPattern, longest: boolean, start = 0): number {
  const { pieces } = pattern;
  const first = pieces[0]!;
  if (!pieceAt(value, first, start)) return -1;
  if (!pattern.starred) return start + first.length;
  let at = start + first.length;
  for (let k = 1; k < pieces.length - 1; k++) {
    const found = firstFit(value, pieces[k]!, at);
    if (found < 0) return -1;
    at = found + pieces[k]!.length;
  }
  const last = pieces[pieces.length - 1]!;
  const placed = longest ? lastFit(value, last, at) : firstFit(value, last, at);
  return placed < 0 ? -1 : placed + last.length;
}

/**
 * The first non-empty longest match at or after `from`: where it starts and ends, or null. A match
 * can only start where the first piece fits; if the rest cannot be placed after the earliest such
 * place, it cannot after any later one either, so the search is one pass.
 */
function nextMatch(value: string, pattern: GlobPattern, from: number): { start: number; end: number } | null {
  const first = pattern.pieces[0]!;
  for (let start = firstFit(value, first, from); start >= 0 && start < value.length; ) {
    const end = prefixMatchEnd(value, pattern, true, start);
    if (end < 0) return pattern.starred ? null : nextMatch(value, pattern, start + 1);
    if (end > start) return { start, end };
    start = firstFit(value, first, start + 1);
  }
  return null;
}

function reversed(pattern: GlobPattern): GlobPattern {
  return { pieces: pattern.pieces.map((p) => [...p].reverse()).reverse(), starred: pattern.starred };
}

function reverseText(text: string): string {
  let out = '';
  for (let i = text.length - 1; i >= 0; i--) out += text[i];
  return out;
}

/** `${x#p}`, `${x##p}`, `${x%p}`, `${x%%p}`: the shortest or longest matching prefix or suffix removed. */
export function removePattern(value: string, pattern: GlobPattern, op: '#' | '##' | '%' | '%%'): string {
  if (op === '#' || op === '##') {
    const end = prefixMatchEnd(value, pattern, op === '##');
    return end < 0 ? value : value.slice(end);
  }
  // A suffix of the value is a prefix of the value reversed, for the pattern reversed.
  const end = prefixMatchEnd(reverseText(value), reversed(pattern), op === '%%');
  return end < 0 ? value : value.slice(0, value.length - end);
}

/**
 * `${x/p/r}` (first match), `${x//p/r}` (every match), `${x/#p/r}` (at the start), `${x/%p/r}`
 * (at the end); matches are the longest and never empty. Linear for patterns with stars, as the
 * removals are; a pattern without one is a fixed-length piece found with indexOf or a scan.
 */
export function replacePattern(
  value: string,
  pattern: GlobPattern,
  replacement: string,
  op: '/' | '//' | '/#' | '/%',
): string {
  if (!pattern.starred && pattern.pieces[0]!.length === 0) return value;
  if (op === '/#') {
    const end = prefixMatchEnd(value, pattern, true);
    return end > 0 ? replacement + value.slice(end) : value;
  }
  if (op === '/%') {
    const end = prefixMatchEnd(reverseText(value), reversed(pattern), true);
    return end > 0 ? value.slice(0, value.length - end) + replacement : value;
  }
  let out = '';
  let i = 0;
  for (let m = nextMatch(value, pattern, 0); m !== null; m = nextMatch(value, pattern, i)) {
    out += value.slice(i, m.start) + replacement;
    i = m.end;
    if (op === '/') break;
  }
  return out + value.slice(i);
}
