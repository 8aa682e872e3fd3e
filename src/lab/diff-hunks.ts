/**
 * busybox 1.35's unified output (editors/diff.c's diff() and fetch()): the changes the match
 * vector leaves, grouped into hunks while they lie within 2 * context + 1 lines of each other,
 * each hunk printed with its context. busybox's header lines carry the names (or `-L` labels)
 * only, no times.
 */
import { latin1Text } from '../shared/bytes.js';
import { type HashedLines, hashLines, type MatchOptions, matchLines } from './diff-match.js';

export interface HunkOptions extends MatchOptions {
  /** Lines of context (`-U`, 3 by default). */
  readonly context: number;
  /** `-B`: a group of changes whose lines are all empty is not printed. */
  readonly ignoreBlankLines: boolean;
  /** `-q`: nothing printed, only whether anything changed. */
  readonly brief: boolean;
  /** `-t`: tabs expanded to spaces; `-T`: a tab after each line's mark. */
  readonly expandTabs: boolean;
  readonly initialTab: boolean;
}

/** A change: lines a0..b0 of the old file became lines a1..b1 of the new. */
interface Change {
  readonly a0: number;
  readonly b0: number;
  readonly a1: number;
  readonly b1: number;
}

/** Writes the text out as it is made; false once nothing more is taken. */
export type Emit = (text: string) => boolean;

/** One file's bytes and line ends, for fetch. */
interface Side {
  readonly bytes: Uint8Array;
  readonly lines: HashedLines;
}

/** fetch(): lines a..b of a side, each after its mark; a last line without a newline says so. */
function fetch(side: Side, a: number, b: number, mark: string, o: HunkOptions): string {
  let out = '';
  const { offsets } = side.lines;
  for (let i = a; i <= b; i++) {
    out += o.initialTab ? `${mark}\t` : mark;
    const start = offsets[i - 1]!;
    const end = Math.min(offsets[i]!, side.bytes.length);
    const text = latin1Text(side.bytes.subarray(start, end));
    out += o.expandTabs ? expandTabs(text) : text;
    if (offsets[i]! > side.bytes.length) return `${out}\n\\ No newline at end of file\n`;
  }
  return out;
}

/** `-t`: each tab to the next multiple of 8 columns, counting every byte as a column. */
function expandTabs(text: string): string {
  let out = '';
  let col = 0;
  for (const c of text) {
    if (c !== '\t') {
      out += c;
      col++;
      continue;
    }
    do {
      out += ' ';
    } while (++col & 7);
  }
  return out;
}

/** The hunk header: `@@ -a,n +c,m @@`, a count of 1 left out, an empty range as `,0`. */
function hunkHeader(
  changes: readonly Change[],
  counts: readonly [number, number],
  context: number,
): { header: string; span: Change } {
  const first = changes[0]!;
  const last = changes[changes.length - 1]!;
  // C's int arithmetic: a huge -U wraps, as it does on the VM.
  const a0 = Math.max(1, (first.a0 - context) | 0);
  const b0 = Math.min(counts[0], (last.b0 + context) | 0);
  const a1 = Math.max(1, (first.a1 - context) | 0);
  const b1 = Math.min(counts[1], (last.b1 + context) | 0);
  const range = (mark: string, a: number, b: number): string =>
    ` ${mark}${Math.min(a, b)}${a === b ? '' : `,${a < b ? b - a + 1 : 0}`}`;
  return { header: `@@${range('-', a0, b0)}${range('+', a1, b1)} @@\n`, span: { a0, b0, a1, b1 } };
}

/** One hunk: its header, then context and changes in turn. */
function hunk(sides: readonly [Side, Side], changes: readonly Change[], o: HunkOptions): string {
  const { header, span } = hunkHeader(changes, [sides[0].lines.count, sides[1].lines.count], o.context);
  let out = header;
  let low = span.a0;
  for (const c of changes) {
    out += fetch(sides[0], low, c.a0 - 1, ' ', o);
    out += fetch(sides[0], c.a0, c.b0, '-', o);
    out += fetch(sides[1], c.a1, c.b1, '+', o);
    low = c.b0 + 1;
  }
  return out + fetch(sides[0], low, span.b0, ' ', o);
}

/** Whether any line of a change holds more than its newline (`-B`). */
function nonEmpty(sides: readonly [Side, Side], c: Change): boolean {
  const long = (s: Side, a: number, b: number): boolean => {
    for (let k = a; k <= b; k++) if (s.lines.offsets[k]! - s.lines.offsets[k - 1]! !== 1) return true;
    return false;
  };
  return long(sides[0], c.a0, c.b0) || long(sides[1], c.a1, c.b1);
}

/**
 * The next group of changes from line `from` of the old file: the changes that lie close enough to
 * share a hunk, and the line to go on from. J is updated as busybox updates it.
 */
function nextGroup(J: Int32Array, n0: number, from: number, context: number): { changes: Change[]; next: number } {
  const changes: Change[] = [];
  const reach = (2 * context + 1) | 0;
  let i = from;
  for (;;) {
    let a0 = i;
    while (a0 <= n0 && J[a0] === J[a0 - 1]! + 1) a0++;
    const a1 = J[a0 - 1]! + 1;
    let b0 = a0 - 1;
    while (b0 < n0 && !J[b0 + 1]) b0++;
    const b1 = J[b0 + 1]! - 1;
    if (a0 <= b0 || a1 <= b1) {
      const last = changes[changes.length - 1];
      if (last !== undefined && a0 > ((last.b0 + reach) | 0) && a1 > ((last.b1 + reach) | 0)) break;
      changes.push({ a0, b0, a1, b1 });
    }
    i = b0 + 1;
    if (i > n0) break;
    J[b0] = b1;
  }
  return { changes, next: i };
}

/**
 * Compares two files' bytes and writes the unified diff (the `---`/`+++` header before the first
 * hunk); true when anything was found to differ and printed (or, with `-q`, would be).
 */
export function unifiedDiff(
  bytes: readonly [Uint8Array, Uint8Array],
  names: readonly [string, string],
  o: HunkOptions,
  emit: Emit,
): boolean {
  const lines = [hashLines(bytes[0], o), hashLines(bytes[1], o)] as const;
  const sides = [
    { bytes: bytes[0], lines: lines[0] },
    { bytes: bytes[1], lines: lines[1] },
  ] as const;
  const J = matchLines(
    [
      { bytes: bytes[0], pos: 0 },
      { bytes: bytes[1], pos: 0 },
    ],
    lines,
    o,
  );
  let any = false;
  let i = 1;
  do {
    const { changes, next } = nextGroup(J, lines[0].count, i, o.context);
    i = next;
    if (changes.length === 0 || (o.ignoreBlankLines && !changes.some((c) => nonEmpty(sides, c)))) continue;
    if (!o.brief) {
      const header = any ? '' : `--- ${names[0]}\n+++ ${names[1]}\n`;
      if (!emit(header + hunk(sides, changes, o))) return true;
    }
    any = true;
  } while (i <= lines[0].count);
  return any;
}
