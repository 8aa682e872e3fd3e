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

/** Where the bracket expression opened at `open` closes: a `]` right after `[`, `[!` or `[^` is literal, `[:name:]` is skipped; -1 when it does not. */
export function bracketEnd(t: string, open: number): number {
  let i = open + 1;
  if (t[i] === '!' || t[i] === '^') i++;
  if (t[i] === ']') i++;
  while (i < t.length) {
    if (t.startsWith('[:', i)) {
      const close = t.indexOf(':]', i + 2);
      if (close > 0) {
        i = close + 2;
        continue;
      }
    }
    if (t[i] === ']') return i;
    i++;
  }
  return -1;
}

/** A character inside a regular expression class, escaped where the class would read it otherwise. */
const classChar = (c: string): string => (/[\\\][^-]/.test(c) ? `\\${c}` : c);

/**
 * A bracket expression's characters and ranges (no `[:class:]` in them) as a regular expression
 * class body. A range whose end comes before its start matches nothing, as in busybox's fnmatch
 * (`[f-3]` matches neither `f` nor `3`; `[0x7fffffff-3]` matches 0, 7, f, x); JavaScript would
 * refuse the whole expression ("Range out of order in character class", issue 17's shell campaign,
 * seed 17 line 17760).
 */
function rangesSource(piece: string): string {
  let out = '';
  for (let i = 0; i < piece.length; i++) {
    const lo = piece[i]!;
    const hi = piece[i + 2];
    if (piece[i + 1] === '-' && hi !== undefined) {
      if (lo <= hi) out += `${classChar(lo)}-${classChar(hi)}`;
      i += 2;
    } else out += classChar(lo);
  }
  return out;
}

/** A bracket expression's body (between `[` and `]`) as a regular expression class. */
export function bracketSource(body: string): string {
  let negate = false;
  let rest = body;
  if (rest.startsWith('!') || rest.startsWith('^')) {
    negate = true;
    rest = rest.slice(1);
  }
  const inner = rest
    .split(/(\[:[a-z]+:\])/)
    .map((piece) => {
      const cls = /^\[:([a-z]+):\]$/.exec(piece);
      if (cls !== null) return CHARACTER_CLASSES[cls[1]!] ?? '';
      return rangesSource(piece);
    })
    .join('');
  return `[${negate ? '^' : ''}${inner}]`;
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
        const end = bracketEnd(t, i);
        if (end < 0) {
          out += '\\[';
          continue;
        }
        out += bracketSource(t.slice(i + 1, end));
        i = end;
      } else out += escapeRegex(c);
    }
  }
  return out;
}

export function matchesPattern(text: string, source: string): boolean {
  return new RegExp(`^(?:${source})$`).test(text);
}
