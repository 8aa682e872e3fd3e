/**
 * The parser of the lab's awk: a program is BEGIN, END and `pattern { action }` items; actions
 * are awk's statements and expressions with POSIX precedence. What the lab does not run (getline,
 * user functions, output redirections and pipes, range patterns) is refused here, by name, before
 * anything runs.
 */
import { notModelled } from '../command-errors.js';
import { AwkError } from './errors.js';
import { type Token, tokenize } from './lex.js';

export type Expr =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 're'; readonly v: string }
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'field'; readonly index: Expr }
  | { readonly k: 'elem'; readonly name: string; readonly subs: readonly Expr[] }
  | { readonly k: 'assign'; readonly op: string; readonly target: Expr; readonly value: Expr }
  | { readonly k: 'cond'; readonly c: Expr; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'bin'; readonly op: string; readonly l: Expr; readonly r: Expr }
  | { readonly k: 'unary'; readonly op: string; readonly e: Expr }
  | { readonly k: 'in'; readonly subs: readonly Expr[]; readonly name: string }
  | { readonly k: 'incdec'; readonly op: string; readonly prefix: boolean; readonly target: Expr }
  | { readonly k: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly k: 'group'; readonly list: readonly Expr[] };

export type Stmt =
  | { readonly k: 'print' | 'printf'; readonly args: readonly Expr[] }
  | { readonly k: 'expr'; readonly e: Expr }
  | { readonly k: 'if'; readonly c: Expr; readonly then: Stmt; readonly else: Stmt | null }
  | { readonly k: 'while'; readonly c: Expr; readonly body: Stmt }
  | { readonly k: 'do'; readonly body: Stmt; readonly c: Expr }
  | {
      readonly k: 'for';
      readonly init: Expr | null;
      readonly c: Expr | null;
      readonly step: Expr | null;
      readonly body: Stmt;
    }
  | { readonly k: 'forin'; readonly v: string; readonly arr: string; readonly body: Stmt }
  | { readonly k: 'block'; readonly body: readonly Stmt[] }
  | { readonly k: 'next' | 'break' | 'continue' }
  | { readonly k: 'exit'; readonly e: Expr | null }
  | { readonly k: 'delete'; readonly name: string; readonly subs: readonly Expr[] | null };

export interface Item {
  readonly kind: 'begin' | 'end' | 'main';
  readonly pattern: Expr | null;
  /** Null: print the record (a pattern alone). */
  readonly action: Stmt | null;
}

const BUILTINS = new Set([
  'length',
  'substr',
  'index',
  'split',
  'sub',
  'gsub',
  'match',
  'sprintf',
  'toupper',
  'tolower',
  'int',
  'sqrt',
  'exp',
  'log',
  'sin',
  'cos',
  'atan2',
]);

/** Functions busybox awk has that the lab's does not run. */
const REFUSED_FUNCTIONS = new Set(['system', 'close', 'fflush', 'rand', 'srand', 'getline', 'strftime', 'systime']);

const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '^=']);

/** Token kinds that may start an operand, and so a concatenation's right side. */
function startsOperand(tok: Token): boolean {
  if (tok.t === 'num' || tok.t === 'str' || tok.t === 're' || tok.t === 'name' || tok.t === 'funcname') return true;
  // Not `-`, `+` or `!`: `a -1` subtracts, as in awk.
  return tok.t === 'op' && ['$', '(', '++', '--'].includes(tok.v);
}

export class AwkParser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(source: string) {
    this.tokens = tokenize(source);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private is(t: Token['t'], v?: string): boolean {
    const tok = this.peek();
    return tok.t === t && (v === undefined || ('v' in tok && tok.v === v));
  }

  private isOp(v: string): boolean {
    return this.is('op', v);
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new AwkError('Unexpected token');
    this.pos++;
  }

  private skipNewlines(): void {
    while (this.is('nl')) this.pos++;
  }

  private skipTerminators(): void {
    while (this.is('nl') || this.isOp(';')) this.pos++;
  }

  program(): Item[] {
    const items: Item[] = [];
    this.skipTerminators();
    while (!this.is('eof')) {
      items.push(this.item());
      this.skipTerminators();
    }
    return items;
  }

  private item(): Item {
    if (this.is('kw', 'function') || this.is('kw', 'func')) throw notModelled('awk user-defined functions');
    if (this.is('kw', 'BEGIN') || this.is('kw', 'END')) {
      const kind = (this.next() as { v: string }).v === 'BEGIN' ? 'begin' : 'end';
      this.skipNewlines();
      return { kind, pattern: null, action: this.block() };
    }
    const pattern = this.isOp('{') ? null : this.expr();
    if (this.isOp(',')) throw notModelled('awk range patterns');
    return { kind: 'main', pattern, action: this.isOp('{') ? this.block() : null };
  }

  private block(): Stmt {
    this.expectOp('{');
    const body: Stmt[] = [];
    this.skipTerminators();
    while (!this.isOp('}')) {
      if (this.is('eof')) throw new AwkError('Unexpected token');
      body.push(this.statement());
      this.skipTerminators();
    }
    this.pos++;
    return { k: 'block', body };
  }

  /** A statement's end: `;`, a newline, or (left in place) `}`. */
  private endSimple(): void {
    if (this.isOp(';') || this.is('nl')) this.pos++;
    else if (!this.isOp('}') && !this.is('eof')) throw new AwkError('Unexpected token');
  }

  private body(): Stmt {
    this.skipNewlines();
    if (this.isOp(';')) {
      this.pos++;
      return { k: 'block', body: [] };
    }
    return this.statement();
  }

  private statement(): Stmt {
    if (this.isOp('{')) return this.block();
    const tok = this.peek();
    if (tok.t === 'kw') {
      const compound = this.compound(tok.v);
      if (compound !== null) return compound;
    }
    const simple = this.simple();
    this.endSimple();
    return simple;
  }

  private compound(word: string): Stmt | null {
    if (word === 'if') {
      this.pos++;
      const c = this.condition();
      const then = this.body();
      const save = this.pos;
      this.skipTerminators();
      if (this.is('kw', 'else')) {
        this.pos++;
        return { k: 'if', c, then, else: this.body() };
      }
      this.pos = save;
      return { k: 'if', c, then, else: null };
    }
    if (word === 'while') {
      this.pos++;
      const c = this.condition();
      return { k: 'while', c, body: this.body() };
    }
    if (word === 'do') {
      this.pos++;
      const body = this.body();
      this.skipTerminators();
      if (!this.is('kw', 'while')) throw new AwkError('Unexpected token');
      this.pos++;
      const c = this.condition();
      this.endSimple();
      return { k: 'do', body, c };
    }
    return word === 'for' ? this.forStatement() : null;
  }

  private condition(): Expr {
    this.expectOp('(');
    const c = this.expr();
    this.expectOp(')');
    return c;
  }

  private forStatement(): Stmt {
    this.pos++;
    this.expectOp('(');
    const [a, b, c, d] = this.tokens.slice(this.pos, this.pos + 4);
    if (a?.t === 'name' && b?.t === 'kw' && b.v === 'in' && c?.t === 'name' && d?.t === 'op' && d.v === ')') {
      this.pos += 4;
      return { k: 'forin', v: a.v, arr: c.v, body: this.body() };
    }
    const init = this.isOp(';') ? null : this.expr();
    this.expectOp(';');
    this.skipNewlines();
    const cond = this.isOp(';') ? null : this.expr();
    this.expectOp(';');
    this.skipNewlines();
    const step = this.isOp(')') ? null : this.expr();
    this.expectOp(')');
    return { k: 'for', init, c: cond, step, body: this.body() };
  }

  private simple(): Stmt {
    const tok = this.peek();
    if (tok.t !== 'kw') return { k: 'expr', e: this.expr() };
    this.pos++;
    switch (tok.v) {
      case 'print':
      case 'printf':
        return this.printStatement(tok.v);
      case 'next':
      case 'break':
      case 'continue':
        return { k: tok.v };
      case 'exit':
        return {
          k: 'exit',
          e: this.isOp(';') || this.isOp('}') || this.is('nl') || this.is('eof') ? null : this.expr(),
        };
      case 'delete':
        return this.deleteStatement();
      case 'getline':
        throw notModelled('awk getline');
      default:
        throw notModelled(`awk ${tok.v}`);
    }
  }

  private printStatement(kind: 'print' | 'printf'): Stmt {
    let args: Expr[] = [];
    const ends = (): boolean => this.isOp(';') || this.isOp('}') || this.is('nl') || this.is('eof');
    if (!ends()) {
      args = [this.expr(true)];
      while (this.isOp(',')) {
        this.pos++;
        this.skipNewlines();
        args.push(this.expr(true));
      }
    }
    if (this.isOp('>') || this.isOp('>>') || this.isOp('|'))
      throw notModelled(`awk ${kind} with a redirection or a pipe`);
    // `print (a, b)`: the parenthesised list is the argument list.
    if (args.length === 1 && args[0]!.k === 'group') args = [...args[0]!.list];
    return { k: kind, args };
  }

  private deleteStatement(): Stmt {
    const name = this.next();
    if (name.t !== 'name') throw new AwkError('Unexpected token');
    if (!this.isOp('[')) return { k: 'delete', name: name.v, subs: null };
    this.pos++;
    const subs = this.exprList(']');
    return { k: 'delete', name: name.v, subs };
  }

  private exprList(close: string): Expr[] {
    const list = [this.expr()];
    while (this.isOp(',')) {
      this.pos++;
      this.skipNewlines();
      list.push(this.expr());
    }
    this.expectOp(close);
    return list;
  }

  /** An expression; `noGt`: in print's arguments, where `>` is a redirection, not a comparison. */
  expr(noGt = false): Expr {
    const left = this.ternary(noGt);
    const after = this.tokens[this.pos + 1];
    if (this.isOp('|') && after?.t === 'kw' && after.v === 'getline') throw notModelled('awk getline');
    if (this.peek().t === 'op' && ASSIGN_OPS.has((this.peek() as { v: string }).v)) {
      if (left.k !== 'var' && left.k !== 'field' && left.k !== 'elem') throw new AwkError('Unexpected token');
      const op = (this.next() as { v: string }).v;
      this.skipNewlines();
      return { k: 'assign', op, target: left, value: this.expr(noGt) };
    }
    return left;
  }

  private ternary(noGt: boolean): Expr {
    const c = this.binary(0, noGt);
    if (!this.isOp('?')) return c;
    this.pos++;
    this.skipNewlines();
    const a = this.expr(noGt);
    this.skipNewlines();
    this.expectOp(':');
    this.skipNewlines();
    return { k: 'cond', c, a, b: this.expr(noGt) };
  }

  /** Binary levels from loosest: ||, &&, in, ~ !~, comparisons, concatenation, + -, * / %. */
  private binary(level: number, noGt: boolean): Expr {
    if (level === 5) return this.concatenation();
    if (level === 6) return this.additive();
    let left = this.binary(level + 1, noGt);
    for (;;) {
      const tok = this.peek();
      if (level === 2 && tok.t === 'kw' && tok.v === 'in') {
        this.pos++;
        const arr = this.next();
        if (arr.t !== 'name') throw new AwkError('Unexpected token');
        left = { k: 'in', subs: left.k === 'group' ? left.list : [left], name: arr.v };
        continue;
      }
      const ops = [['||'], ['&&'], [], ['~', '!~'], ['<', '<=', '!=', '==', '>', '>=']][level]!;
      if (tok.t !== 'op' || !ops.includes(tok.v) || (noGt && tok.v === '>')) return left;
      this.pos++;
      if (level < 2) this.skipNewlines();
      left = { k: 'bin', op: tok.v, l: left, r: this.binary(level + 1, noGt) };
    }
  }

  private concatenation(): Expr {
    let left = this.additive();
    while (startsOperand(this.peek())) left = { k: 'bin', op: 'concat', l: left, r: this.additive() };
    return left;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.next() as { v: string }).v;
      left = { k: 'bin', op, l: left, r: this.multiplicative() };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = (this.next() as { v: string }).v;
      left = { k: 'bin', op, l: left, r: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isOp('!') || this.isOp('-') || this.isOp('+')) {
      const op = (this.next() as { v: string }).v;
      return { k: 'unary', op, e: this.unary() };
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.postfix();
    if (!this.isOp('^')) return base;
    this.pos++;
    // Right-associative, and a unary minus may follow: 2^-1.
    return { k: 'bin', op: '^', l: base, r: this.isOp('-') ? this.unary() : this.power() };
  }

  private postfix(): Expr {
    if (this.isOp('++') || this.isOp('--')) {
      const op = (this.next() as { v: string }).v;
      return { k: 'incdec', op, prefix: true, target: this.lvalue(this.postfix()) };
    }
    const e = this.primary();
    if ((this.isOp('++') || this.isOp('--')) && (e.k === 'var' || e.k === 'field' || e.k === 'elem')) {
      const op = (this.next() as { v: string }).v;
      return { k: 'incdec', op, prefix: false, target: e };
    }
    return e;
  }

  private lvalue(e: Expr): Expr {
    if (e.k !== 'var' && e.k !== 'field' && e.k !== 'elem') throw new AwkError('Unexpected token');
    return e;
  }

  private primary(): Expr {
    const tok = this.next();
    switch (tok.t) {
      case 'num':
        return { k: 'num', v: tok.v };
      case 'str':
        return { k: 'str', v: tok.v };
      case 're':
        return { k: 're', v: tok.v };
      case 'funcname':
        return this.call(tok.v);
      case 'name':
        return this.variable(tok.v);
      case 'kw':
        if (tok.v === 'getline') throw notModelled('awk getline');
        throw new AwkError('Unexpected token');
      case 'op':
        return this.operatorPrimary(tok.v);
      default:
        throw new AwkError('Unexpected token');
    }
  }

  private operatorPrimary(op: string): Expr {
    if (op === '$') return { k: 'field', index: this.fieldOperand() };
    if (op === '(') {
      const list = this.exprList(')');
      return list.length === 1 ? list[0]! : { k: 'group', list };
    }
    throw new AwkError('Unexpected token');
  }

  /**
   * What `$` applies to: a primary, an increment, or a unary `-`, `+` or `!` before one, as busybox
   * awk reads `$-1` (a negative field), `$!0` (`$1`) and `$-0+2` (`($-0)+2`).
   */
  private fieldOperand(): Expr {
    if (this.isOp('++') || this.isOp('--')) return this.postfix();
    for (const op of ['-', '+', '!'])
      if (this.isOp(op)) {
        this.pos++;
        return { k: 'unary', op, e: this.fieldOperand() };
      }
    return this.primary();
  }

  private variable(name: string): Expr {
    if (name === 'length') return { k: 'call', name, args: [] };
    if (!this.isOp('[')) return { k: 'var', name };
    this.pos++;
    return { k: 'elem', name, subs: this.exprList(']') };
  }

  private call(name: string): Expr {
    if (REFUSED_FUNCTIONS.has(name)) throw notModelled(`awk ${name}()`);
    if (!BUILTINS.has(name)) throw notModelled(`awk user-defined functions (${name})`);
    this.expectOp('(');
    if (this.isOp(')')) {
      this.pos++;
      return { k: 'call', name, args: [] };
    }
    return { k: 'call', name, args: this.exprList(')') };
  }
}
