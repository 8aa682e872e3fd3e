/**
 * `${x#p}`, `${x##p}`, `${x%p}`, `${x%%p}` in linear time (issue 17 item 2). The results are
 * checked against the definition (every prefix or suffix tried with the pattern as a regular
 * expression, as the lab did before) on seeded random values and patterns, and the time against
 * 40,000 characters, which the quadratic version took seconds over.
 */
import { describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { patternSource, type Segment } from './expand.js';
import { globPattern, removePattern } from './glob-match.js';

type Op = '#' | '##' | '%' | '%%';

/** The definition: the shortest or longest prefix or suffix the whole pattern matches. */
function byDefinition(value: string, segments: readonly Segment[], op: Op): string {
  const re = new RegExp(`^(?:${patternSource(segments)})$`);
  const cuts = [...Array(value.length + 1).keys()];
  // Shortest prefix and longest suffix: cuts from the start; the other two from the end.
  if (op === '##' || op === '%') cuts.reverse();
  for (const i of cuts) {
    if (op === '#' || op === '##') {
      if (re.test(value.slice(0, i))) return value.slice(i);
    } else if (re.test(value.slice(i))) return value.slice(0, i);
  }
  return value;
}

/** A small seeded generator (xorshift), so a failure names its case. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const pick = (r: () => number, chars: string): string => chars[Math.floor(r() * chars.length)]!;

describe('removing a prefix or suffix pattern', () => {
  it('agrees with the definition on 1,500 seeded random values and patterns', () => {
    const r = random(17);
    for (let c = 0; c < 1500; c++) {
      const value = Array.from({ length: Math.floor(r() * 12) }, () => pick(r, 'abc.')).join('');
      const unquoted = Array.from({ length: Math.floor(r() * 6) }, () => pick(r, 'ab.**??')).join('');
      const tail = r() < 0.3 ? '[ab]' : r() < 0.5 ? '[!a]' : '';
      const segments: Segment[] = [
        { kind: 'text', text: unquoted + tail, quoted: false, split: false },
        { kind: 'text', text: r() < 0.3 ? '*' : '', quoted: true, split: false },
      ];
      for (const op of ['#', '##', '%', '%%'] as const) {
        expect(removePattern(value, globPattern(segments), op), `case ${c}: \${${value}${op}${unquoted}${tail}}`).toBe(
          byDefinition(value, segments, op),
        );
      }
    }
  });

  it('takes 40,000 characters in well under a second, for each operator', () => {
    const sh = new LabShell({ ramdiskKb: 4096 });
    const started = performance.now();
    const out = sh.runScript(
      [
        'x=$(printf "%40000s" a)',
        'echo ${#x} ${x%%*p} ${x##*p} ${x%*p} ${x#*p}',
        'y=${x%% *}; echo ${#y}',
        'y=${x##* }; echo ${#y}',
        'y=${x%a*}; echo ${#y}',
        'y=${x#*  *  *}; echo ${#y}',
      ].join('\n'),
    );
    const elapsedMs = performance.now() - started;
    expect(out).toBe(`40000 a a a a\n0\n1\n39999\n${40_000 - 4}\n`);
    expect(elapsedMs).toBeLessThan(1000);
  });
});
