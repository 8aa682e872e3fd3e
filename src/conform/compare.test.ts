import { describe, expect, it } from 'vitest';
import { alignKeys, compareTranscripts, transcriptLines } from './compare.js';
import { maskTranscript } from './transcript-mask.js';

const ok = (text: string) => ({ text, status: 0 });

describe('compareTranscripts', () => {
  it('agrees on equal transcripts and on the same exit status', () => {
    const c = compareTranscripts(ok('a\nb\n'), ok('a\nb\n'));
    expect(c.agree).toBe(true);
    expect(c.rows.map((r) => r.kind)).toEqual(['same', 'same']);
    expect(c.differingRows).toBe(0);
  });

  it('marks a changed line and keeps both texts with their line numbers', () => {
    const c = compareTranscripts(ok('a\nrc=0\nc\n'), ok('a\nrc=1\nc\n'));
    expect(c.agree).toBe(false);
    expect(c.differingRows).toBe(1);
    expect(c.rows[1]).toEqual({ kind: 'changed', lab: { line: 2, text: 'rc=0' }, kernel: { line: 2, text: 'rc=1' } });
  });

  it('marks an extra line on one side without marking what follows', () => {
    const c = compareTranscripts(ok('a\nb\nc\nd\n'), ok('a\nc\nd\n'));
    expect(c.rows.map((r) => r.kind)).toEqual(['same', 'lab-only', 'same', 'same']);
    const k = compareTranscripts(ok('a\nd\n'), ok('a\nb\nc\nd\n'));
    expect(k.rows.map((r) => r.kind)).toEqual(['same', 'kernel-only', 'kernel-only', 'same']);
    expect(k.rows[2]!.kernel).toEqual({ line: 3, text: 'c' });
    expect(k.rows[3]).toEqual({ kind: 'same', lab: { line: 2, text: 'd' }, kernel: { line: 4, text: 'd' } });
  });

  it('pairs runs of lines that differ on both sides as changed rows, the longer run going on alone', () => {
    const c = compareTranscripts(ok('a\nx1\nx2\nz\n'), ok('a\ny1\nz\n'));
    expect(c.rows.map((r) => r.kind)).toEqual(['same', 'changed', 'lab-only', 'same']);
  });

  it('ignores the used-metadata count, lvs Meta% and kernel timestamps, and nothing else', () => {
    const lab = '0 131072 thin-pool 0 10/16384 0/1024 - rw\n[    5.000000] device-mapper: thin: x\n';
    const kernel = '0 131072 thin-pool 0 11/16384 0/1024 - rw\n[    2.718281] device-mapper: thin: x\n';
    const c = compareTranscripts(ok(lab), ok(kernel));
    expect(c.agree).toBe(true);
    // The rows show what each side printed, not the masked text.
    expect(c.rows[0]!.lab!.text).toContain('10/16384');
    expect(c.rows[0]!.kernel!.text).toContain('11/16384');
    const data = compareTranscripts(ok('0 131072 thin-pool 0 10/16384 1/1024 - rw\n'), ok(kernel.split('\n')[0]!));
    expect(data.agree).toBe(false);
    const text = compareTranscripts(
      ok('[    5.000000] device-mapper: thin: y\n'),
      ok('[    2.718281] device-mapper: thin: x\n'),
    );
    expect(text.agree).toBe(false);
  });

  it('differs when only the exit statuses differ', () => {
    const c = compareTranscripts({ text: 'a\n', status: 0 }, { text: 'a\n', status: 1 });
    expect(c.agree).toBe(false);
    expect(c.differingRows).toBe(0);
  });

  it('treats a missing final newline as a difference of the last line only when its text differs', () => {
    expect(compareTranscripts(ok(''), ok('')).agree).toBe(true);
    expect(compareTranscripts(ok('a'), ok('a\n')).agree).toBe(true);
    expect(compareTranscripts(ok(''), ok('a\n')).rows).toEqual([
      { kind: 'kernel-only', lab: null, kernel: { line: 1, text: 'a' } },
    ]);
  });
});

describe('alignKeys', () => {
  it('keeps the longest common subsequence', () => {
    const steps = alignKeys(['a', 'b', 'c', 'd', 'e'], ['a', 'c', 'x', 'e']);
    expect(steps.filter((s) => s === 'both')).toHaveLength(3);
    expect(steps.filter((s) => s === 'lab')).toHaveLength(2);
    expect(steps.filter((s) => s === 'kernel')).toHaveLength(1);
  });

  it('pairs huge middles line by line instead of building a table', () => {
    const lab = Array.from({ length: 3000 }, (_, i) => `l${i}`);
    const kernel = Array.from({ length: 2000 }, (_, i) => `k${i}`);
    const steps = alignKeys(lab, kernel);
    expect(steps.filter((s) => s === 'both')).toHaveLength(2000);
    expect(steps.filter((s) => s === 'lab')).toHaveLength(1000);
  });
});

describe('masks', () => {
  it('masks pool status used-metadata counts and dmesg timestamps only', () => {
    expect(maskTranscript('0 8 thin-pool 3 42/256 7/100 - rw\n')).toBe('0 8 thin-pool 3 <used>/256 7/100 - rw\n');
    expect(maskTranscript('[   12.345678] x\n[a] y\n')).toBe('[<time>] x\n[a] y\n');
    expect(transcriptLines('a\n\nb\n')).toEqual(['a', '', 'b']);
  });
});
