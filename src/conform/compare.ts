/**
 * The comparison of the lab's transcript of a script with the real kernel's: the two are aligned
 * line by line (a longest common subsequence over the masked lines, so that one extra line does
 * not mark everything after it as different), and every row says whether the two sides agree.
 * Pure: no I/O, the same rows for the same texts.
 */
import { maskTranscript } from './transcript-mask.js';

export type RowKind = 'same' | 'changed' | 'lab-only' | 'kernel-only';

/** One line of a side: its number in that transcript (from 1) and its text as printed (unmasked). */
export interface SideLine {
  readonly line: number;
  readonly text: string;
}

export interface ConformRow {
  readonly kind: RowKind;
  readonly lab: SideLine | null;
  readonly kernel: SideLine | null;
}

export interface Comparison {
  /** The transcripts agree once masked, and so do the exit statuses. */
  readonly agree: boolean;
  readonly rows: readonly ConformRow[];
  /** Rows that are not `same`. */
  readonly differingRows: number;
  readonly labStatus: number;
  readonly kernelStatus: number;
}

/** The lines of a transcript; the newline that ends the last one does not make an empty line. */
export function transcriptLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Beyond this many cells, the middle part (after the common head and tail) is paired line by line
 * instead of aligned: the table would cost more memory than a transcript is worth.
 */
const MAX_ALIGN_CELLS = 4_000_000;

type Step = 'both' | 'lab' | 'kernel';

/** The edit script between two lists of keys, as steps: keep both, take a lab line, take a kernel line. */
export function alignKeys(lab: readonly string[], kernel: readonly string[]): Step[] {
  let head = 0;
  while (head < lab.length && head < kernel.length && lab[head] === kernel[head]) head++;
  let tail = 0;
  while (
    tail < lab.length - head &&
    tail < kernel.length - head &&
    lab[lab.length - 1 - tail] === kernel[kernel.length - 1 - tail]
  )
    tail++;
  const a = lab.slice(head, lab.length - tail);
  const b = kernel.slice(head, kernel.length - tail);
  const middle = a.length * b.length > MAX_ALIGN_CELLS ? pairInOrder(a.length, b.length) : lcsSteps(a, b);
  return [...Array<Step>(head).fill('both'), ...middle, ...Array<Step>(tail).fill('both')];
}

function pairInOrder(labCount: number, kernelCount: number): Step[] {
  const both = Math.min(labCount, kernelCount);
  return [
    ...Array<Step>(both).fill('both'),
    ...Array<Step>(labCount - both).fill('lab'),
    ...Array<Step>(kernelCount - both).fill('kernel'),
  ];
}

/** The classic dynamic programme: suffix LCS lengths, then a walk that prefers keeping lines. */
function lcsSteps(a: readonly string[], b: readonly string[]): Step[] {
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      table[i * width + j] =
        a[i] === b[j]
          ? table[(i + 1) * width + j + 1]! + 1
          : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
  const steps: Step[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      steps.push('both');
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && table[(i + 1) * width + j]! >= table[i * width + j + 1]!)) {
      steps.push('lab');
      i++;
    } else {
      steps.push('kernel');
      j++;
    }
  }
  return steps;
}

/**
 * Rows from the steps: lines kept on both sides are `same` when their masked keys are equal (a
 * positional pairing may keep unequal ones: those are `changed`), and a run of lab-only lines
 * next to a run of kernel-only lines is paired up as `changed`, as a side-by-side diff shows them.
 */
function rowsOf(
  steps: readonly Step[],
  lab: readonly string[],
  kernel: readonly string[],
  keys: KeyPair,
): ConformRow[] {
  const rows: ConformRow[] = [];
  let i = 0;
  let j = 0;
  let k = 0;
  while (k < steps.length) {
    if (steps[k] === 'both') {
      const same = keys.lab[i] === keys.kernel[j];
      rows.push({ kind: same ? 'same' : 'changed', lab: side(lab, i++), kernel: side(kernel, j++) });
      k++;
      continue;
    }
    const labRun: number[] = [];
    const kernelRun: number[] = [];
    for (; k < steps.length && steps[k] !== 'both'; k++) {
      if (steps[k] === 'lab') labRun.push(i++);
      else kernelRun.push(j++);
    }
    for (let n = 0; n < Math.max(labRun.length, kernelRun.length); n++) {
      const l = labRun[n];
      const r = kernelRun[n];
      const kind: RowKind = l === undefined ? 'kernel-only' : r === undefined ? 'lab-only' : 'changed';
      rows.push({
        kind,
        lab: l === undefined ? null : side(lab, l),
        kernel: r === undefined ? null : side(kernel, r),
      });
    }
  }
  return rows;
}

interface KeyPair {
  readonly lab: readonly string[];
  readonly kernel: readonly string[];
}

function side(lines: readonly string[], index: number): SideLine {
  return { line: index + 1, text: lines[index]! };
}

/** Compares two transcripts and their exit statuses. */
export function compareTranscripts(
  lab: { readonly text: string; readonly status: number },
  kernel: { readonly text: string; readonly status: number },
): Comparison {
  const labLines = transcriptLines(lab.text);
  const kernelLines = transcriptLines(kernel.text);
  const keys: KeyPair = {
    lab: transcriptLines(maskTranscript(lab.text)),
    kernel: transcriptLines(maskTranscript(kernel.text)),
  };
  const rows = rowsOf(alignKeys(keys.lab, keys.kernel), labLines, kernelLines, keys);
  const differingRows = rows.filter((r) => r.kind !== 'same').length;
  return {
    agree: differingRows === 0 && lab.status === kernel.status,
    rows,
    differingRows,
    labStatus: lab.status,
    kernelStatus: kernel.status,
  };
}
