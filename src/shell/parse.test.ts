/**
 * The parser on its own: what a script becomes, one top-level command at a time, and ash's
 * syntax error texts (busybox 1.35).
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from './arith.js';
import { parseScript } from './parse.js';

const errors = (script: string): string[] =>
  parseScript(script).flatMap((r) => ('error' in r ? [`${r.error.line}: ${r.error.text}`] : []));

describe('parseScript', () => {
  it('cuts a script into top-level commands, a compound command spanning lines', () => {
    const tops = parseScript('echo a; echo b\nfor i in 1 2; do\n  echo $i\ndone\n\nf() { echo f; }\n');
    expect(tops.map((t) => [t.firstLine, t.source])).toEqual([
      [1, 'echo a; echo b'],
      [2, 'for i in 1 2; do\n  echo $i\ndone'],
      [6, 'f() { echo f; }'],
    ]);
  });

  it('parses $(...) bodies as commands, a case with ) patterns included', () => {
    expect(errors('x=$(case a in a) echo y;; esac)\necho "$(echo "in quotes")" `echo back`')).toEqual([]);
  });

  it('reports syntax errors with ash texts and lines', () => {
    expect(errors('if true; then echo x\nfi fi')).toEqual(['2: syntax error: unexpected "fi"']);
    expect(errors('while true; do echo')).toEqual(['1: syntax error: unexpected end of file (expecting "done")']);
    expect(errors('echo "open')).toEqual(['1: syntax error: unterminated quoted string']);
    expect(errors('echo $((1 + 2)')).toEqual(["1: syntax error: missing '))'"]);
    expect(errors('echo ;;')).toEqual(['1: syntax error: unexpected ";;"']);
    expect(errors('{ }')).toEqual(['1: syntax error: unexpected "}"']);
    expect(errors('case x in')).toEqual(['1: syntax error: unexpected end of file (expecting ")")']);
  });

  it('goes on after an error at the next line', () => {
    const tops = parseScript('echo )\necho fine');
    expect(tops.map((t) => ('error' in t ? 'error' : t.source))).toEqual(['error', 'echo fine']);
  });
});

describe('arithmetic', () => {
  const env = (vars: Record<string, string>) => ({
    get: (n: string) => vars[n],
    set: (n: string, v: string) => void (vars[n] = v),
  });

  it('follows C precedence and 64-bit wrap-around', () => {
    expect(evaluate('1 + 2 * 3 - (4 - 1) % 2', env({}))).toBe(6n);
    expect(evaluate('9223372036854775807 + 1', env({}))).toBe(-9223372036854775808n);
    expect(evaluate('a * 2 + b', env({ a: '21', b: '' }))).toBe(42n);
  });

  it('assigns and increments variables', () => {
    const vars: Record<string, string> = { i: '1' };
    expect(evaluate('i++ + ++i', env(vars))).toBe(4n);
    expect(vars.i).toBe('3');
  });

  it('does not evaluate the side not taken', () => {
    const vars: Record<string, string> = {};
    expect(evaluate('0 && (x = 1 / 0)', env(vars))).toBe(0n);
    expect(vars.x).toBeUndefined();
  });

  it('throws ash messages', () => {
    expect(() => evaluate('1 / 0', env({}))).toThrow('divide by zero');
    expect(() => evaluate('1 +', env({}))).toThrow('arithmetic syntax error');
  });
});
