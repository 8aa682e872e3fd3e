/**
 * Bracket expressions of shell patterns (`[a-c]`, `[!x]`, `[[:digit:]]`) as busybox 1.35 ash reads
 * them. A bracket may span quoted characters: ash marks each quoted character of the pattern with
 * its CTLESC byte, which fnmatch reads as a backslash escape, so inside a bracket a quoted
 * character is a plain member. It never closes the bracket (`[\]]` is the set of `]`), never
 * negates it (`[\!a]` is the set of `!` and `a`), and a quoted `-` makes no range (`[a\-c]` is
 * `a`, `-` and `c`), while a quoted character still ends a range (`[\a-c]` and `[a-"c"]` are `a`
 * to `c`). Only an unquoted `[` opens a bracket, and without an unquoted `]` to close it, it is a
 * literal `[`. Checked against the host's busybox 1.35.0 (the VM's build), src/shell/glob.test.ts.
 */

/** A word's pieces as expansion leaves them (expand.ts's Segment, which imports this module). */
type Segment = { readonly kind: 'text'; readonly text: string; readonly quoted: boolean } | { readonly kind: 'break' };

/** One character of a pattern and whether it was quoted. */
interface PatternChar {
  readonly c: string;
  readonly quoted: boolean;
}

/** Where a character is in a word's segments. */
export interface SegmentPosition {
  readonly seg: number;
  readonly i: number;
}

/** The characters of `segments` from `from` on, each with its quoting and place (a `"$@"` break is a quoted space). */
function* charsFrom(segments: readonly Segment[], from: SegmentPosition): Generator<PatternChar & SegmentPosition> {
  for (let seg = from.seg; seg < segments.length; seg++) {
    const s = segments[seg]!;
    if (s.kind === 'break') {
      yield { c: ' ', quoted: true, seg, i: 0 };
      continue;
    }
    for (let i = seg === from.seg ? from.i : 0; i < s.text.length; i++)
      yield { c: s.text[i]!, quoted: s.quoted, seg, i };
  }
}

const unquoted = (p: PatternChar | undefined, c: string): boolean => p !== undefined && !p.quoted && p.c === c;

/** POSIX character classes inside a bracket expression, as JavaScript class bodies (C locale). */
export const CHARACTER_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\v\\f\\r',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

/** Where an unquoted `[:name:]` that starts at `body[k]` ends (the index of its `]`), or -1. */
function classEnd(body: readonly PatternChar[], k: number): number {
  if (!unquoted(body[k], '[') || !unquoted(body[k + 1], ':')) return -1;
  for (let j = k + 2; j + 1 < body.length; j++) if (unquoted(body[j], ':') && unquoted(body[j + 1], ']')) return j + 1;
  return -1;
}

/**
 * The characters after the `[` at `open` up to its closing `]` (left out), or null when no
 * unquoted `]` closes it. A `]` right after `[`, `[!` or `[^` is a member; `[:name:]` is skipped.
 */
function bracketBody(
  segments: readonly Segment[],
  open: SegmentPosition,
): { body: PatternChar[]; end: SegmentPosition } | null {
  const body: PatternChar[] = [];
  const chars = charsFrom(segments, open);
  chars.next();
  let leading = true;
  for (const p of chars) {
    const k = body.length;
    if (leading && (unquoted(p, '!') || unquoted(p, '^')) && k === 0) {
      body.push(p);
      continue;
    }
    if (leading && p.c === ']') {
      leading = false;
      body.push(p);
      continue;
    }
    leading = false;
    if (unquoted(p, ']') && !insideClass(body)) return { body, end: { seg: p.seg, i: p.i } };
    body.push(p);
  }
  return null;
}

/** Whether the body so far ends inside an unquoted `[:name` whose `:]` is still to come (the `]` after `:` closes it). */
function insideClass(body: readonly PatternChar[]): boolean {
  for (let k = 0; k < body.length; k++) {
    if (!unquoted(body[k], '[') || !unquoted(body[k + 1], ':')) continue;
    const end = classEnd(body, k);
    if (end < 0) return unquoted(body[body.length - 1], ':') && body.length - 1 > k + 1;
    k = end;
  }
  return false;
}

/** A character inside a regular expression class, escaped where the class would read it otherwise. */
const classChar = (c: string): string => (/[\\\][^-]/.test(c) ? `\\${c}` : c);

/**
 * The bracket's members as a regular expression class. A range whose end comes before its start
 * matches nothing, as in busybox's fnmatch (`[f-3]` matches neither `f` nor `3`); JavaScript would
 * refuse the whole expression ("Range out of order in character class", issue 17's shell
 * campaign, seed 17 line 17760). An unknown class name matches nothing.
 */
function classSource(body: readonly PatternChar[]): string {
  let k = 0;
  const negate = unquoted(body[0], '!') || unquoted(body[0], '^');
  if (negate) k++;
  let out = '';
  while (k < body.length) {
    const end = classEnd(body, k);
    if (end >= 0) {
      out +=
        CHARACTER_CLASSES[
          body
            .slice(k + 2, end - 1)
            .map((p) => p.c)
            .join('')
        ] ?? '';
      k = end + 1;
      continue;
    }
    const lo = body[k]!.c;
    const hi = body[k + 2];
    if (unquoted(body[k + 1], '-') && hi !== undefined) {
      if (lo <= hi.c) out += `${classChar(lo)}-${classChar(hi.c)}`;
      k += 3;
    } else {
      out += classChar(lo);
      k++;
    }
  }
  return `[${negate ? '^' : ''}${out}]`;
}

/**
 * The bracket expression opened by the unquoted `[` at `open`: its regular expression class and
 * the place of its closing `]`, or null when the `[` is a literal.
 */
export function bracketAt(
  segments: readonly Segment[],
  open: SegmentPosition,
): { source: string; end: SegmentPosition } | null {
  const found = bracketBody(segments, open);
  return found === null ? null : { source: classSource(found.body), end: found.end };
}

/**
 * A character no shell value holds (the shell's strings hold one byte per character): what a
 * pattern ending in an escaping backslash must match, which is nothing.
 */
const NOTHING = '\uffff';

/**
 * The word as a pattern reads it: a backslash that an unquoted expansion yielded escapes the next
 * character, as ash's CTLESC-marked pattern reaches fnmatch with the value's own backslashes in it
 * (`x='\*'; case '*' in $x)` matches only `*`; `x='\a'` matches `a`), and one with nothing after it
 * matches nothing (`x='\'; case '\' in $x)` does not match). The word's own backslashes were
 * quotes, already removed, so an unquoted segment holds a backslash only from an expansion.
 */
export function patternSegments<S extends Segment>(segments: readonly S[]): (S | Segment)[] {
  if (!segments.some((s) => s.kind === 'text' && !s.quoted && s.text.includes('\\'))) return [...segments];
  const out: (S | Segment)[] = [];
  let escaping = false;
  const literal = (c: string): void => {
    out.push({ kind: 'text', text: c, quoted: true });
  };
  for (const s of segments) {
    if (s.kind !== 'text' || s.text === '') {
      out.push(s);
      continue;
    }
    if (s.quoted) {
      // An escaped quoted character stays what it was: literal.
      escaping = false;
      out.push(s);
      continue;
    }
    let run = '';
    for (const c of s.text) {
      if (escaping) {
        escaping = false;
        literal(c);
      } else if (c === '\\') {
        if (run !== '') out.push({ ...s, text: run });
        run = '';
        escaping = true;
      } else run += c;
    }
    if (run !== '') out.push({ ...s, text: run });
  }
  if (escaping) literal(NOTHING);
  return out;
}
