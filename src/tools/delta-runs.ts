/**
 * thin_delta's comparison of two devices' runs (both releases): the ranges that are the same,
 * different, or on one side only, and 0.9.0's two ways of printing them (1.1.0's verbose form is
 * in thin-delta-1x.ts).
 */
export type Kind = 'left_only' | 'right_only' | 'different' | 'same';
export interface Run {
  vbegin: number;
  dbegin: number;
  len: number;
}

/** Prints what 0.9.0 prints for each compared range. */
export interface DiffEmitter {
  range(kind: Kind, vbegin: number, len: number, left: number, right: number): void;
  complete(): void;
}

export function simpleEmitter(out: string[]): DiffEmitter {
  let current: { kind: Kind; begin: number; end: number } | null = null;
  const emit = (): void => {
    if (current !== null)
      out.push(`    <${current.kind} begin="${current.begin}" length="${current.end - current.begin}"/>\n`);
  };
  return {
    range(kind, vbegin, len) {
      if (current !== null && current.kind === kind && current.end === vbegin) {
        current.end += len;
        return;
      }
      emit();
      current = { kind, begin: vbegin, end: vbegin + len };
    },
    complete: emit,
  };
}

export function verboseEmitter(out: string[]): DiffEmitter {
  let current: Kind | null = null;
  return {
    range(kind, vbegin, len, left, right) {
      if (current !== kind) {
        if (current !== null) out.push(`    </${current}>\n`);
        out.push(`    <${kind}>\n`);
        current = kind;
      }
      out.push(
        kind === 'different'
          ? `      <range begin="${vbegin}" left_data_begin="${left}" right_data_begin="${right}" length="${len}"/>\n`
          : `      <range begin="${vbegin}" data_begin="${kind === 'right_only' ? right : left}" length="${len}"/>\n`,
      );
    },
    complete() {
      if (current !== null) out.push(`    </${current}>\n`);
    },
  };
}

/** Walks both run lists in step, splitting runs where they start to differ. */
export function diffRuns(left: readonly Run[], right: readonly Run[], e: DiffEmitter): void {
  let li = 0;
  let ri = 0;
  let l: Run = { vbegin: 0, dbegin: 0, len: 0 };
  let r: Run = { vbegin: 0, dbegin: 0, len: 0 };
  const consume = (m: Run, delta: number): void => {
    m.vbegin += delta;
    m.dbegin += delta;
    m.len -= delta;
  };
  while ((l.len > 0 || li < left.length) && (r.len > 0 || ri < right.length)) {
    if (l.len === 0) l = { ...left[li++]! };
    if (r.len === 0) r = { ...right[ri++]! };
    while (l.len > 0 && r.len > 0) {
      if (l.vbegin < r.vbegin) {
        const delta = Math.min(l.len, r.vbegin - l.vbegin);
        e.range('left_only', l.vbegin, delta, l.dbegin, 0);
        consume(l, delta);
      } else if (l.vbegin > r.vbegin) {
        const delta = Math.min(r.len, l.vbegin - r.vbegin);
        e.range('right_only', r.vbegin, delta, 0, r.dbegin);
        consume(r, delta);
      } else {
        const delta = Math.min(l.len, r.len);
        e.range(l.dbegin === r.dbegin ? 'same' : 'different', l.vbegin, delta, l.dbegin, r.dbegin);
        consume(l, delta);
        consume(r, delta);
      }
    }
  }
  if (l.len > 0) e.range('left_only', l.vbegin, l.len, l.dbegin, 0);
  for (; li < left.length; li++) e.range('left_only', left[li]!.vbegin, left[li]!.len, left[li]!.dbegin, 0);
  if (r.len > 0) e.range('right_only', r.vbegin, r.len, 0, r.dbegin);
  for (; ri < right.length; ri++) e.range('right_only', right[ri]!.vbegin, right[ri]!.len, 0, right[ri]!.dbegin);
  e.complete();
}
