/**
 * diff against the host's busybox 1.35.0 (Debian 12's, the VM's build), case by case: each case
 * runs in a directory of its own, made under a temporary directory on the host and under /tmp/t in
 * the lab, with the same inputs; the host's output has its directory's name put back to /tmp/t.
 * The inputs are made by the same shell commands on both sides (printf, seq, sed, awk), so that
 * the generated pairs reach busybox's own longest-common-subsequence choices.
 */
import { describe, expect, it } from 'vitest';
import { hashLines, matchLines } from './diff-match.js';
import { busyboxAndLabInDirectories, hasHostBusybox } from './busybox-test-support.js';

/** The inputs every case finds in its directory $D. */
const SETUP = [
  "printf 'a\\nb\\nc\\nd\\ne\\nf\\ng\\nh\\ni\\nj\\nk\\nl\\n' > $D/x",
  "printf 'a\\nB\\nc\\nd\\ne\\nf\\ng\\nh\\nI\\nj\\nk\\nl\\nm\\n' > $D/y",
  "printf 'a\\nb\\nc' > $D/nonl",
  "printf 'a  b\\n\\tc d \\n\\n\\nE\\n' > $D/sp1",
  "printf 'a b\\nc  d\\n\\ne\\n' > $D/sp2",
  "printf 'x\\0y\\n' > $D/bin",
  ': > $D/empty',
  'mkdir $D/d1 $D/d2 $D/d1/sub $D/d2/sub $D/d1/only1',
  'cp $D/x $D/d1/x; cp $D/y $D/d2/x; cp $D/x $D/d1/same; cp $D/x $D/d2/same; cp $D/y $D/d1/sub/f; cp $D/x $D/d2/sub/f',
  'cp $D/x $D/d2/only2; cp $D/x $D/d1/only1/g; mkdir $D/d2/sub/deep; cp $D/x $D/d2/sub/deep/h',
].join('; ');

/** Generated pairs: many lines, repeated lines, moved blocks (busybox's own choices show there). */
const GENERATED = [
  'seq 1 200 > $D/s1; seq 1 200 | awk \'$1 < 50 || $1 > 60 { print ($1 % 17 ? $1 : "x") } $1 == 150 { print "new" }\' > $D/s2',
  "seq 1 300 | awk '{ print $1 % 7 }' > $D/s1; seq 1 300 | awk '{ print ($1 * 3) % 7 }' > $D/s2",
  'seq 1 100 | awk \'{ print ($1 % 3 ? "x" : $1) }\' > $D/s1; seq 1 100 | awk \'{ print ($1 % 4 ? "x" : $1) }\' > $D/s2',
  'seq 1 60 > $D/s1; { seq 31 60; seq 1 30; } > $D/s2',
  'seq 1 2000 | awk \'{ printf "<mapping origin_begin=%d data_block=%d/>\\n", $1, $1 * 7 % 2000 }\' > $D/s1; awk \'NR < 700 || NR > 720 { print ($0 ~ /block=1[0-9]5\\//) ? "<x/>" : $0 }\' $D/s1 > $D/s2',
];

const CASES = [
  'diff $D/x $D/y',
  'diff -U 1 $D/x $D/y',
  'diff -U0 $D/x $D/y',
  'diff -U 10 $D/x $D/y',
  'diff -q $D/x $D/y',
  'diff -s $D/x $D/x',
  'diff -s $D/x $D/d1/same',
  'diff $D/x $D/nonl',
  'diff $D/nonl $D/x',
  'diff $D/empty $D/x',
  'diff $D/x $D/empty',
  'diff $D/empty $D/empty',
  'diff -i $D/x $D/y',
  'diff $D/sp1 $D/sp2',
  'diff -b $D/sp1 $D/sp2',
  'diff -w $D/sp1 $D/sp2',
  'diff -B $D/sp1 $D/sp2',
  'diff -wB $D/sp1 $D/sp2',
  'diff -bi $D/sp1 $D/sp2',
  'diff -t $D/sp1 $D/sp2',
  'diff -T $D/sp1 $D/sp2',
  'diff -L old -L new $D/x $D/y',
  'diff -L old $D/x $D/y',
  'diff -L a -L b -L c $D/x $D/y',
  'diff $D/bin $D/x',
  'diff -a $D/bin $D/x',
  'diff $D/x $D/nothere',
  'diff $D/nothere $D/x',
  'diff -N $D/x $D/nothere',
  'diff -N $D/nothere $D/nothere2',
  'diff $D/x',
  'diff $D/x $D/y $D/y',
  'diff -z $D/x $D/y',
  'diff -U x $D/x $D/y',
  'diff -u -p -E $D/x $D/y',
  'diff -d $D/x $D/y',
  'diff - $D/y < $D/x',
  'cat $D/x | diff $D/y -',
  'diff - - < $D/x',
  'diff - $D/d1 < $D/x',
  'diff $D/x $D/d1',
  'diff $D/d1 $D/y',
  'diff $D/d1 $D/d2',
  'diff -r $D/d1 $D/d2',
  'diff -rN $D/d1 $D/d2',
  'diff -q $D/d1 $D/d2',
  'diff -rq $D/d1 $D/d2',
  'diff -rs $D/d1 $D/d2',
  'diff -r -S sub $D/d1 $D/d2',
  'diff $D/d1/ $D/d2/',
  'diff $D/d1 $D/x',
  'diff $D/x $D/x',
  'diff -q $D/bin $D/bin',
  'cp $D/x $D/xx; echo q >> $D/xx; diff -s $D/x $D/xx',
  ...GENERATED.flatMap((g) => [`${g}; diff $D/s1 $D/s2`, `${g}; diff -U 1 $D/s2 $D/s1`, `${g}; diff -d $D/s1 $D/s2`]),
].map((c) => `${c}; echo rc=$?`);

function agree(cases: readonly string[]): void {
  const { busybox, lab } = busyboxAndLabInDirectories(cases, SETUP);
  expect(lab.length).toBe(busybox.length);
  for (const [k, text] of lab.entries()) expect(text).toBe(busybox[k]);
}

describe.runIf(hasHostBusybox)('diff agrees with the host busybox 1.35 case by case', () => {
  it('files, options, statuses, directories and generated pairs', () => agree(CASES));
});

describe('diff-match', () => {
  const none = { ignoreSpaceChange: false, ignoreAllSpace: false, ignoreCase: false, minimal: false };
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('counts a last line without a newline and leaves out the lone end of file', () => {
    expect(hashLines(bytes('a\nb'), none).count).toBe(2);
    expect(hashLines(bytes('a\nb\n'), none).count).toBe(2);
    expect(hashLines(bytes(''), none).count).toBe(0);
  });

  it('breaks a match whose lines only hash alike', () => {
    // "a\x7f" and "b\x00" hash alike: ('a' * 127 + 0x7f) = ('b' * 127 + 0).
    const a = bytes('a\x7f\nz\n');
    const b = bytes('b\x00\nz\n');
    const h = [hashLines(a, none), hashLines(b, none)] as const;
    expect(h[0].values[1]).toBe(h[1].values[1]);
    const J = matchLines(
      [
        { bytes: a, pos: 0 },
        { bytes: b, pos: 0 },
      ],
      h,
      none,
    );
    expect(Array.from(J.subarray(1, 3))).toEqual([0, 2]);
  });
});
