/**
 * dm-flakey on both kernels: 6.1's (no error_reads, 6 feature arguments at most, a trailing space
 * after its table line) and 6.12's (`KernelBehaviour.flakeyErrorReads`). The transcripts
 * (fixtures/kernel/60-data-flakey on both stacks) prove the common cases; these are the refusals
 * and the I/O rules of the cases the transcripts do not reach.
 */
import { describe, expect, it } from 'vitest';
import { flakeyDownRead, flakeyDownWrite, flakeyTableText, parseFlakeyArgs } from './flakey.js';

const parse = (line: string, newer: boolean) => parseFlakeyArgs(line.split(' '), newer);

function args(line: string, newer: boolean) {
  const parsed = parse(line, newer);
  if (!parsed.ok) throw new Error(`refused: ${parsed.error}`);
  return parsed.value;
}

describe('dm-flakey on Linux 6.1 and 6.12', () => {
  it('takes error_reads on 6.12 only; 6.1 does not know the feature', () => {
    expect(parse('/dev/ram1 0 1 1 1 error_reads', false)).toMatchObject({
      ok: false,
      error: 'Unrecognised flakey feature requested',
    });
    expect(args('/dev/ram1 0 1 1 1 error_reads', true).errorReads).toBe(true);
    expect(parse('/dev/ram1 0 1 1 2 error_reads ERROR_READS', true)).toMatchObject({
      ok: false,
      error: 'Feature error_reads duplicated',
    });
  });

  it('allows 11 feature arguments on 6.12 where 6.1 allows 6', () => {
    const line = '/dev/ram1 0 1 1 7 error_writes corrupt_bio_byte 32 r 1 0 error_reads';
    expect(parse(line, false)).toMatchObject({ ok: false, error: 'Invalid number of feature args' });
    expect(parse(line, true)).toMatchObject({
      ok: false,
      error: 'error_reads is incompatible with random_read_corrupt or corrupt_bio_byte with the READ flag set',
    });
    expect(parse('/dev/ram1 0 1 1 12 error_writes', true)).toMatchObject({
      ok: false,
      error: 'Invalid number of feature args',
    });
  });

  it('refuses random corruption by name on 6.12 (a replayable lab cannot corrupt at random)', () => {
    expect(parse('/dev/ram1 0 1 1 2 random_read_corrupt 1000', true)).toMatchObject({
      ok: false,
      error: "thinlab: not modelled: flakey's random_read_corrupt (random corruption)",
    });
    expect(parse('/dev/ram1 0 1 1 2 random_write_corrupt 1000', false)).toMatchObject({
      ok: false,
      error: 'Unrecognised flakey feature requested',
    });
  });

  it('names random_write_corrupt in the write conflicts on 6.12 only', () => {
    const line = '/dev/ram1 0 1 1 6 drop_writes corrupt_bio_byte 1 w 0 0';
    expect(parse(line, false)).toMatchObject({
      error: 'drop_writes is incompatible with corrupt_bio_byte with the WRITE flag set',
    });
    expect(parse(line, true)).toMatchObject({
      error: 'drop_writes is incompatible with random_write_corrupt or corrupt_bio_byte with the WRITE flag set',
    });
  });

  it('gives a table without features error_reads and error_writes on 6.12, and prints no trailing space', () => {
    for (const line of ['/dev/ram1 0 0 1', '/dev/ram1 0 0 1 0']) {
      expect(flakeyTableText(args(line, true), '1:1')).toBe('1:1 0 0 1 2 error_reads error_writes');
      expect(flakeyTableText(args(line, false), '1:1')).toBe('1:1 0 0 1 0 ');
    }
    const both = '/dev/ram1 0 1 1 7 error_reads drop_writes corrupt_bio_byte 9 w 1 0';
    expect(parse(both, true)).toMatchObject({ ok: false });
    expect(flakeyTableText(args('/dev/ram1 0 1 1 2 drop_writes error_reads', true), '1:1')).toBe(
      '1:1 0 1 1 2 error_reads drop_writes',
    );
  });

  it('passes the I/O no feature fails on 6.12, where 6.1 failed it', () => {
    // corrupt_bio_byte on writes only: 6.1 fails reads in the down interval, 6.12 passes them.
    const corruptWrites = '/dev/ram1 0 0 1 5 corrupt_bio_byte 32 w 1 0';
    expect(flakeyDownRead(args(corruptWrites, false))).toBe('error');
    expect(flakeyDownRead(args(corruptWrites, true))).toBe('pass');
    // error_reads alone: reads fail, writes pass (6.12's flakey_map maps them).
    const errorReads = args('/dev/ram1 0 0 1 1 error_reads', true);
    expect(flakeyDownRead(errorReads)).toBe('error');
    expect(flakeyDownWrite(errorReads)).toBe('pass');
    // No features: both fail on both kernels.
    for (const newer of [false, true]) {
      expect(flakeyDownRead(args('/dev/ram1 0 0 1', newer))).toBe('error');
      expect(flakeyDownWrite(args('/dev/ram1 0 0 1', newer))).toBe('error');
    }
  });
});
