/**
 * The shell campaign's generator: lines grown from the kernel fixtures' own scripts
 * (fixtures/kernel/*.sh), so that they reach every command the lab models, then bent the way a
 * hostile user bends them: numbers replaced by huge or negative ones, lines spliced together or
 * cut off mid-quote, wrapped in deep nesting of every construct (`$( )`, `( )`, `{ }`, `if`,
 * `$(( ))`, functions, loops), recursion, and the endless loops and huge sizes of issue 17.
 * Every line comes from a seed and an index, so any finding replays alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseSeed, Rng } from './rng.js';

/**
 * The command lines the generator grows from: every command line of fixtures/kernel/*.sh as they
 * were at commit 2401c7b (91 scripts, 3,383 lines; comments and blank lines left out), frozen in
 * this file. A line is picked by its index in the corpus, so a corpus that grew with each new
 * fixture would make every seed and line name another line: frozen, `seed 17 line 17760` is the
 * same line on every later commit (test/shell-campaign-regressions.test.ts relies on it). Lines
 * from later fixtures come in only with a new corpus file and a note of which seeds ran on which.
 */
const CORPUS = join(import.meta.dirname, 'shell-corpus.txt');

/** The frozen corpus of fixture command lines (above). */
export function fixtureLines(): string[] {
  return readFileSync(CORPUS, 'latin1').split('\n').slice(0, -1);
}

const HUGE = [
  '0',
  '-1',
  '4294967296',
  '18446744073709551616',
  '99999999999999999999999',
  '9223372036854775807',
  '3055464578907',
  '1e9',
  '0x7fffffff',
  '1000000000',
];

/** Lines issue 17 found ending in internal errors, hangs or heap aborts, and their kin. */
const HOSTILE = [
  'f() { if [ $1 -gt 0 ]; then f $(($1-1)); fi; }; f 200',
  'echo $((2 ** 99999999999))',
  'printf "%1000000000s" x | wc -c',
  'truncate -s 3055464578907 /tmp/f; md5sum /tmp/f',
  'dd if=/dev/zero of=/tmp/f bs=1 seek=4294967296 count=1',
  'dd if=/dev/zero of=/tmp/f bs=100000000000 count=1',
  'x=a; while true; do x=$x$x; done',
  'seq 1 1000000000 | head -c 10',
  'seq 1 1000000000 | wc -l',
  'while :; do echo x; done',
  'while true; do :; done',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell line, whose ${ } the lab shell expands.
  'x=$(printf "%40000s" a); echo ${#x} ${x//a/b} | wc -c',
  'tail -c 3 /patterns/A | od -c',
  "printf 'a\\000b' | tr -d '\\000' | od -c",
  'cat /dev/zero | head -c 10 | od -c',
  'sh /dev/zero',
];

/** Wraps `body` in one level of a construct. */
function wrap(rng: Rng, body: string): string {
  switch (rng.int(0, 7)) {
    case 0:
      return `echo $(${body})`;
    case 1:
      return `(${body})`;
    case 2:
      return `{ ${body}; }`;
    case 3:
      return `if true; then ${body}; fi`;
    case 4:
      return `for i in 1 2; do ${body}; done`;
    case 5:
      return `f() { ${body}; }; f`;
    case 6:
      return `x=$(( ${rng.int(0, 9)} + ( 1 ) )); ${body}`;
    default:
      return `${body} | cat`;
  }
}

/** `depth` levels of one construct: the depths where busybox and JavaScript part ways. */
function nest(kind: number, depth: number, core: string): string {
  const open = ['$(', '(', '{ ', 'if true; then ', '$(( ('][kind]!;
  const close = [')', ')', '; }', '; fi', ') ))'][kind]!;
  const inner = kind === 4 ? '1' : core;
  const text = open.repeat(depth) + inner + close.repeat(depth);
  return kind === 0 || kind === 4 ? `echo ${text}` : text;
}

function mutateNumbers(rng: Rng, line: string): string {
  return line.replace(/\b\d+\b/g, (n) => (rng.chance(0.3) ? rng.pick(HUGE) : n));
}

/** Line `index` of a campaign run with `seed`. */
export function shellLine(corpus: readonly string[], seed: number, index: number): string {
  const rng = new Rng(caseSeed(seed, index));
  const roll = rng.next();
  if (roll < 0.05) return rng.pick(HOSTILE);
  if (roll < 0.1) return nest(rng.int(0, 4), rng.pick([10, 100, 190, 400, 1000, 5000]), rng.pick(corpus));
  let line = rng.pick(corpus);
  if (rng.chance(0.5)) line = mutateNumbers(rng, line);
  if (rng.chance(0.15)) {
    const other = rng.pick(corpus);
    line = line.slice(0, rng.int(0, line.length)) + other.slice(rng.int(0, other.length));
  }
  if (rng.chance(0.1)) line = line.slice(0, rng.int(0, line.length));
  for (let depth = rng.chance(0.3) ? rng.int(1, 6) : 0; depth > 0; depth--) line = wrap(rng, line);
  return line;
}
