/**
 * The interpreter of the lab's awk: runs a parsed program (src/lab/awk/parse.ts) over records,
 * with fields split on FS (a blank: runs of blanks; one other character: itself; longer: a
 * regular expression), $0 rebuilt with OFS when a field or NF is assigned, NR/NF/FNR, arrays, and
 * the builtin functions. Output goes to `out` as it is printed.
 */
import { CHARACTER_CLASSES } from '../../shell/expand.js';
import { type AwkRun as BuiltinHost, callBuiltin } from './builtins.js';
import { CommandFailed } from '../command-errors.js';
import { AwkError } from './errors.js';
import type { Expr, Item, Stmt } from './parse.js';
import { compare, StrNum, sprintf, toBool, toNum, toStr, UNSET, type Value } from './values.js';

class NextSignal {}
class BreakSignal {}
class ContinueSignal {}
/**
 * The lab stops awk inside a loop: its output's reader has gone (busybox awk dies of SIGPIPE at
 * that write) or the script's step budget is spent (a step per loop iteration).
 */
export class StopSignal {}

/** `exit [N]`; without N the status stays what an earlier exit set. */
export class ExitSignal {
  constructor(readonly status: number | null) {}
}

/** An awk regular expression (POSIX ERE) as a JavaScript one: bracket classes become ranges. */
export function awkRegex(source: string): RegExp {
  const js = source.replace(/\[:([a-z]+):\]/g, (m, name: string) => CHARACTER_CLASSES[name] ?? m);
  try {
    return new RegExp(js);
  } catch {
    throw new AwkError(`bad regex '${source}'`);
  }
}

/**
 * C's `(int)` of a double as busybox awk takes a field number or NF (`(int)getvar_i(...)`): on
 * x86-64 a value outside int's range, or NaN, becomes INT_MIN, so `$4294967297` and
 * `$9223372036854775807` are negative fields there.
 */
function cInt(n: number): number {
  const t = Math.trunc(n);
  return Number.isNaN(t) || t < -(2 ** 31) || t >= 2 ** 31 ? -(2 ** 31) : t;
}

/** busybox awk's text for a negative field number. */
const NEGATIVE_FIELD = 'Access to negative field';

/** busybox awk's sanity cap on its fields (fsrealloc: `if (size > 0xffffff) bb_die_memory_exhausted()`). */
const MAX_FIELDS = 0xffffff;

/**
 * A field number or NF as busybox awk allows it: negative is `negativeText` (a syntax error), past
 * MAX_FIELDS `awk: out of memory` (status 1), as busybox 1.35 prints them (issue 17's shell
 * campaign, seed 17 lines 66526 and 66956: the lab grew an array to the number and hung).
 */
function fieldCount(n: number, negativeText: string): number {
  if (n < 0) throw new AwkError(negativeText);
  if (n > MAX_FIELDS) throw new CommandFailed('awk: out of memory');
  return n;
}

export class AwkRun implements BuiltinHost {
  private readonly vars = new Map<string, Value>([
    ['FS', ' '],
    ['OFS', ' '],
    ['ORS', '\n'],
    ['SUBSEP', '\x1c'],
    ['NR', 0],
    ['FNR', 0],
    ['RSTART', 0],
    ['RLENGTH', -1],
  ]);
  private readonly arrays = new Map<string, Map<string, Value>>();
  private fields: Value[] = [new StrNum('')];
  private readonly regexCache = new Map<string, RegExp>();

  constructor(
    private readonly items: readonly Item[],
    private readonly out: (text: string) => void,
    /** Called once per loop iteration; false stops awk (StopSignal). */
    private readonly tick: () => boolean = () => true,
  ) {}

  setVar(name: string, value: Value): void {
    if (name === 'NF') this.setNf(toNum(value));
    else this.vars.set(name, value);
  }

  /** Runs BEGIN, each record, then END; the exit status. */
  run(records: () => Iterable<string>): number {
    if (this.begin()) for (const r of records()) if (!this.feed(r)) break;
    return this.finish();
  }

  /** The status an `exit` set, once one has run (the records after it are not read). */
  private exitStatus: number | null = null;
  private exited = false;

  /** Runs BEGIN; false when it exited or no record is wanted (a BEGIN-only program reads no input). */
  begin(): boolean {
    this.guarded(() => this.runItems('begin'));
    return !this.exited && this.items.some((i) => i.kind !== 'begin');
  }

  /** One record through the main items; false once an `exit` has run. */
  feed(text: string): boolean {
    this.guarded(() => this.record(text));
    return !this.exited;
  }

  /** Runs END; the exit status. */
  finish(): number {
    this.guarded(() => this.runItems('end'));
    return this.exitStatus ?? 0;
  }

  private guarded(run: () => void): void {
    try {
      run();
    } catch (e) {
      if (!(e instanceof ExitSignal)) throw e;
      this.exited = true;
      this.exitStatus = e.status ?? this.exitStatus;
    }
  }

  private runItems(kind: 'begin' | 'end'): void {
    for (const item of this.items) if (item.kind === kind && item.action !== null) this.exec(item.action);
  }

  private record(text: string): void {
    this.vars.set('NR', toNum(this.vars.get('NR')!) + 1);
    this.vars.set('FNR', toNum(this.vars.get('FNR')!) + 1);
    this.setRecord(text);
    try {
      for (const item of this.items) {
        if (item.kind !== 'main') continue;
        if (item.pattern !== null && !this.truth(item.pattern)) continue;
        if (item.action === null) this.out(`${this.fieldText(0)}${toStr(this.vars.get('ORS')!)}`);
        else this.exec(item.action);
      }
    } catch (e) {
      if (!(e instanceof NextSignal)) throw e;
    }
  }

  // ------------------------------------------------------------------ fields

  private setRecord(text: string): void {
    this.fields = [new StrNum(text), ...this.split(text, toStr(this.vars.get('FS')!)).map((f) => new StrNum(f))];
  }

  split(text: string, fs: string): string[] {
    if (fs === ' ') return text.split(/[ \t\n]+/).filter((f) => f !== '');
    if (text === '') return [];
    if (fs.length === 1 && fs !== '\\') return text.split(fs);
    return text.split(new RegExp(awkRegex(fs).source, 'g'));
  }

  private fieldText(i: number): string {
    return toStr(this.fields[i] ?? UNSET);
  }

  private getField(i: number): Value {
    return this.fields[fieldCount(i, NEGATIVE_FIELD)] ?? UNSET;
  }

  private setField(i: number, v: Value): void {
    fieldCount(i, NEGATIVE_FIELD);
    if (i === 0) {
      this.setRecord(toStr(v));
      return;
    }
    while (this.fields.length <= i) this.fields.push(UNSET);
    this.fields[i] = v;
    this.rebuild();
  }

  private setNf(n: number): void {
    const nf = fieldCount(cInt(n), 'NF set to negative value');
    this.fields.length = Math.min(this.fields.length, nf + 1);
    while (this.fields.length <= nf) this.fields.push(UNSET);
    this.rebuild();
  }

  private rebuild(): void {
    const ofs = toStr(this.vars.get('OFS')!);
    this.fields[0] = new StrNum(this.fields.slice(1).map(toStr).join(ofs));
  }

  // ------------------------------------------------------------------ statements

  private exec(s: Stmt): void {
    switch (s.k) {
      case 'block':
        for (const b of s.body) this.exec(b);
        return;
      case 'expr':
        this.eval(s.e);
        return;
      case 'print':
        this.print(s.args);
        return;
      case 'printf':
        if (s.args.length === 0) throw new AwkError('printf: no format');
        this.out(
          sprintf(
            toStr(this.eval(s.args[0]!)),
            s.args.slice(1).map((a) => this.eval(a)),
          ),
        );
        return;
      case 'if':
        if (this.truth(s.c)) this.exec(s.then);
        else if (s.else !== null) this.exec(s.else);
        return;
      case 'next':
        throw new NextSignal();
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'exit':
        throw new ExitSignal(s.e === null ? null : Math.trunc(toNum(this.eval(s.e))) & 0xff);
      case 'delete':
        this.delete(s.name, s.subs);
        return;
      default:
        this.loop(s);
    }
  }

  /**
   * print writes each argument as it is evaluated, as busybox does, so an error in a later one
   * leaves the earlier ones printed (`3.5 1000000 awk: cmd. line:1: ...` in fixture 126).
   */
  private print(args: readonly Expr[]): void {
    if (args.length === 0) this.out(this.fieldText(0));
    args.forEach((a, i) => {
      if (i > 0) this.out(toStr(this.vars.get('OFS')!));
      this.out(toStr(this.eval(a)));
    });
    this.out(toStr(this.vars.get('ORS')!));
  }

  private delete(name: string, subs: readonly Expr[] | null): void {
    const arr = this.array(name);
    if (subs === null) arr.clear();
    else arr.delete(this.subscript(subs));
  }

  /** Runs a loop body once; false when a `break` ended the loop. */
  private iteration(body: Stmt): boolean {
    if (!this.tick()) throw new StopSignal();
    try {
      this.exec(body);
    } catch (e) {
      if (e instanceof BreakSignal) return false;
      if (!(e instanceof ContinueSignal)) throw e;
    }
    return true;
  }

  private loop(s: Stmt): void {
    if (s.k === 'while') {
      while (this.truth(s.c)) if (!this.iteration(s.body)) return;
    } else if (s.k === 'do') {
      do if (!this.iteration(s.body)) return;
      while (this.truth(s.c));
    } else if (s.k === 'for') {
      if (s.init !== null) this.eval(s.init);
      for (; s.c === null || this.truth(s.c); s.step === null ? undefined : this.eval(s.step))
        if (!this.iteration(s.body)) return;
    } else if (s.k === 'forin') {
      for (const key of [...this.array(s.arr).keys()]) {
        this.assignVar(s.v, new StrNum(key));
        if (!this.iteration(s.body)) return;
      }
    }
  }

  // ------------------------------------------------------------------ expressions

  private truth(e: Expr): boolean {
    if (e.k === 're') return this.regex(e.v).test(this.fieldText(0));
    return toBool(this.eval(e));
  }

  private array(name: string): Map<string, Value> {
    if (this.vars.has(name)) throw new AwkError(`can't use scalar ${name} as array`);
    let arr = this.arrays.get(name);
    if (arr === undefined) {
      arr = new Map();
      this.arrays.set(name, arr);
    }
    return arr;
  }

  private subscript(subs: readonly Expr[]): string {
    return subs.map((s) => toStr(this.eval(s))).join(toStr(this.vars.get('SUBSEP')!));
  }

  private regex(source: string): RegExp {
    let re = this.regexCache.get(source);
    if (re === undefined) {
      re = awkRegex(source);
      this.regexCache.set(source, re);
    }
    return re;
  }

  private getVar(name: string): Value {
    if (name === 'NF') return this.fields.length - 1;
    if (this.arrays.has(name)) throw new AwkError(`can't use array ${name} in scalar context`);
    return this.vars.get(name) ?? UNSET;
  }

  private assignVar(name: string, v: Value): void {
    if (this.arrays.has(name)) throw new AwkError(`can't assign to array ${name}`);
    this.setVar(name, v);
  }

  private get(target: Expr): Value {
    if (target.k === 'var') return this.getVar(target.name);
    if (target.k === 'field') return this.getField(cInt(toNum(this.eval(target.index))));
    if (target.k === 'elem') {
      const arr = this.array(target.name);
      const key = this.subscript(target.subs);
      if (!arr.has(key)) arr.set(key, UNSET);
      return arr.get(key)!;
    }
    throw new AwkError('not a variable');
  }

  assign(target: Expr, v: Value): Value {
    if (target.k === 'var') this.assignVar(target.name, v);
    else if (target.k === 'field') this.setField(cInt(toNum(this.eval(target.index))), v);
    else if (target.k === 'elem') this.array(target.name).set(this.subscript(target.subs), v);
    return v;
  }

  eval(e: Expr): Value {
    switch (e.k) {
      case 'num':
        return e.v;
      case 'str':
        return e.v;
      case 're':
        return this.regex(e.v).test(this.fieldText(0)) ? 1 : 0;
      case 'var':
      case 'field':
      case 'elem':
        return this.get(e);
      case 'group':
        return this.subscriptValue(e.list);
      case 'assign':
        return this.assignment(e.op, e.target, e.value);
      case 'cond':
        return this.truth(e.c) ? this.eval(e.a) : this.eval(e.b);
      case 'unary':
        return this.unary(e.op, e.e);
      case 'in':
        return this.array(e.name).has(this.subscript(e.subs)) ? 1 : 0;
      case 'incdec':
        return this.incdec(e.op, e.prefix, e.target);
      case 'call':
        return this.call(e.name, e.args);
      default:
        return this.binary(e.op, e.l, e.r);
    }
  }

  private subscriptValue(list: readonly Expr[]): Value {
    return list.map((x) => toStr(this.eval(x))).join(toStr(this.vars.get('SUBSEP')!));
  }

  private assignment(op: string, target: Expr, valueExpr: Expr): Value {
    // busybox evaluates a field's number before the value: `$-1 = $1000000000` is a negative
    // field, not out of memory.
    const place: Expr =
      target.k === 'field'
        ? { k: 'field', index: { k: 'num', v: fieldCount(cInt(toNum(this.eval(target.index))), NEGATIVE_FIELD) } }
        : target;
    const value = this.eval(valueExpr);
    if (op === '=') return this.assign(place, value);
    return this.assign(place, arithmetic(op.slice(0, -1), toNum(this.get(place)), toNum(value)));
  }

  private unary(op: string, e: Expr): Value {
    if (op === '!') return this.truth(e) ? 0 : 1;
    const n = toNum(this.eval(e));
    return op === '-' ? -n : n;
  }

  private incdec(op: string, prefix: boolean, target: Expr): Value {
    const old = toNum(this.get(target));
    const now = op === '++' ? old + 1 : old - 1;
    this.assign(target, now);
    return prefix ? now : old;
  }

  private binary(op: string, l: Expr, r: Expr): Value {
    switch (op) {
      case '&&':
        return this.truth(l) && this.truth(r) ? 1 : 0;
      case '||':
        return this.truth(l) || this.truth(r) ? 1 : 0;
      case 'concat':
        return toStr(this.eval(l)) + toStr(this.eval(r));
      case '~':
      case '!~': {
        const text = toStr(this.eval(l));
        const re = r.k === 're' ? this.regex(r.v) : this.regex(toStr(this.eval(r)));
        return re.test(text) === (op === '~') ? 1 : 0;
      }
      case '<':
      case '<=':
      case '>':
      case '>=':
      case '==':
      case '!=':
        return comparison(op, compare(this.eval(l), this.eval(r))) ? 1 : 0;
      default:
        return arithmetic(op, toNum(this.eval(l)), toNum(this.eval(r)));
    }
  }

  private call(name: string, args: readonly Expr[]): Value {
    return callBuiltin(this, name, args);
  }

  /** For the builtins: an array by name, and $0. */
  arrayOf(name: string): Map<string, Value> {
    return this.array(name);
  }

  isArray(name: string): boolean {
    return this.arrays.has(name);
  }

  record0(): string {
    return this.fieldText(0);
  }

  regexOf(e: Expr): RegExp {
    return e.k === 're' ? this.regex(e.v) : this.regex(toStr(this.eval(e)));
  }

  fs(): string {
    return toStr(this.vars.get('FS')!);
  }

  value(e: Expr): Value {
    return this.eval(e);
  }
}

/** busybox awk's error for what needs the C math library, which the VM's build leaves out. */
export const NO_MATH = 'Math support is not compiled in';

function comparison(op: string, c: number): boolean {
  return op === '<'
    ? c < 0
    : op === '<='
      ? c <= 0
      : op === '>'
        ? c > 0
        : op === '>='
          ? c >= 0
          : op === '=='
            ? c === 0
            : c !== 0;
}

function arithmetic(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0) throw new AwkError('Division by zero');
      return a / b;
    case '%':
      if (b === 0) throw new AwkError('Division by zero');
      return a % b;
    default:
      // The VM's busybox is built without FEATURE_AWK_LIBM: `^` (and `**`, `^=`) stop the program.
      throw new AwkError(NO_MATH);
  }
}
