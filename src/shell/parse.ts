/**
 * The lab shell's parser for the POSIX sh subset that dm-thin scripts use: simple commands,
 * pipelines, `&&`/`||`, `;` and `&`, redirections and here-documents, `{ }`, `( )`, functions,
 * `if`, `while`, `until`, `for`, `case`, and words with quotes, parameter expansion, command
 * substitution and arithmetic. Like busybox ash, a script is parsed one top-level command at a time
 * (a line, or the lines a compound command spans), so everything before a syntax error runs.
 */
import { isStackOverflow } from '../shared/stack-overflow.js';
import type {
  AndOr,
  Assignment,
  Command,
  List,
  ListItem,
  ParamOp,
  Pipeline,
  Redirection,
  RedirOp,
  SimpleCommand,
  Word,
  WordPart,
} from './ast.js';

/** A syntax error, with ash's text (`syntax error: unexpected "fi"`) and the line it was found on. */
export class ShellSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly line: number,
  ) {
    super(text);
  }
}

type Token = (
  | { readonly t: 'word'; readonly word: Word; readonly plain: string | null }
  | { readonly t: 'op'; readonly op: string }
  | { readonly t: 'redir'; readonly op: RedirOp; readonly fd: number | null }
  | { readonly t: 'newline' }
  | { readonly t: 'eof' }
) & { readonly line: number; readonly start: number };

const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'case',
  'esac',
  'while',
  'until',
  'for',
  '{',
  '}',
  '!',
  'in',
]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SPECIAL_PARAMS = '@*#?$!-0';
const REDIR_OPS: readonly RedirOp[] = ['<<-', '<<', '<>', '<&', '<', '>>', '>&', '>|', '>', '&>'];
const OPERATORS = ['&&', '||', ';;', '&', '|', ';', '(', ')'];
/** A file descriptor number before `<` or `>` (at most 11 digits, as the lexer always read it). */
const IO_NUMBER = /([0-9]{1,11})(?=[<>])/y;
/**
 * Characters that end nothing and start nothing in a word read in the `normal` context: not a
 * blank, an operator, a quote, an escape, `$` or a backquote (readWord's fast path).
 */
const PLAIN_RUN = /[^ \t\n;&|<>()\\'"$`]+/y;

/** Where a word is being read: each context ends words and treats quotes differently. */
type WordContext = 'normal' | 'brace' | 'arith' | 'heredoc';

interface PendingHeredoc {
  readonly delimiter: string;
  readonly stripTabs: boolean;
  readonly expand: boolean;
  readonly fill: (word: Word) => void;
}

/** One top-level command of a script: what to run and where it came from. */
export interface TopLevel {
  readonly list: List;
  readonly firstLine: number;
  readonly source: string;
  /** Offsets of the command's text in the script: from its first token to the end of its last line. */
  readonly start: number;
  readonly end: number;
}

export type TopLevelResult =
  | TopLevel
  | {
      readonly error: ShellSyntaxError;
      readonly firstLine: number;
      readonly source: string;
      readonly start: number;
      readonly end: number;
    };

export class Parser {
  private pos = 0;
  private line: number;
  private peeked: Token | null = null;
  private heredocs: PendingHeredoc[] = [];

  constructor(
    private readonly src: string,
    firstLine = 1,
  ) {
    this.line = firstLine;
  }

  // ------------------------------------------------------------------ top level

  /**
   * The next top-level command, or null at the end. After a syntax error the rest of the line the
   * error was found on is skipped, so the next call starts at the next line.
   */
  next(): TopLevelResult | null {
    let start = this.pos;
    let firstLine = this.line;
    const text = (): { source: string; start: number; end: number } => {
      const end = Math.max(start, this.src[this.pos - 1] === '\n' ? this.pos - 1 : this.pos);
      return { source: this.src.slice(start, end), start, end };
    };
    try {
      this.skipBlankLines();
      const first = this.peek();
      if (first.t === 'eof') return null;
      start = first.start;
      firstLine = first.line;
      const list = this.parseSequence(() => {
        const t = this.peek();
        return t.t === 'newline' || t.t === 'eof';
      });
      const end = this.nextToken();
      if (end.t !== 'newline' && end.t !== 'eof') throw this.unexpected(end);
      if (end.t === 'newline') this.readHeredocBodies();
      this.requireNoHeredocs();
      return { list, firstLine, ...text() };
    } catch (e) {
      const error = isStackOverflow(e) ? this.tooDeep() : e;
      if (!(error instanceof ShellSyntaxError)) throw e;
      this.recover(error.line);
      return { error, firstLine, ...text() };
    }
  }

  /**
   * The parser is recursive descent and runs out of JavaScript stack at a few thousand nested
   * `( )`, `{ }`, `if` or `$( )` (busybox sh, with 8 MiB of C stack, parses 10,000 nested
   * subshells): the command is refused as a syntax error with that reason, and nothing crashes.
   */
  private tooDeep(): ShellSyntaxError {
    this.peeked = null;
    return this.error('syntax error: nested too deeply for the lab shell (about 1000 levels)', this.line);
  }

  /** Parses everything (for command substitution bodies). */
  parseAll(): List {
    const items: ListItem[] = [];
    for (;;) {
      this.skipBlankLines();
      if (this.peek().t === 'eof') return items;
      items.push(...this.parseSequence(() => this.peek().t === 'newline' || this.peek().t === 'eof'));
      const t = this.nextToken();
      if (t.t !== 'newline' && t.t !== 'eof') throw this.unexpected(t);
      if (t.t === 'newline') this.readHeredocBodies();
    }
  }

  private recover(errorLine: number): void {
    this.peeked = null;
    this.heredocs = [];
    // Skip to the end of the line the error was found on.
    while (this.pos < this.src.length && this.line <= errorLine) {
      if (this.src[this.pos] === '\n') this.line++;
      this.pos++;
    }
  }

  private skipBlankLines(): void {
    while (this.peek().t === 'newline') {
      this.nextToken();
      this.readHeredocBodies();
    }
  }

  // ------------------------------------------------------------------ grammar

  /** and-or lists separated by `;` or `&` (and newlines when `stop` allows), until `stop()`. */
  private parseSequence(stop: () => boolean, allowNewlines = false): ListItem[] {
    const items: ListItem[] = [];
    for (;;) {
      if (allowNewlines) this.skipNewlines();
      if (stop()) break;
      const line = this.peek().line;
      const andOr = this.parseAndOr();
      const t = this.peek();
      if (t.t === 'op' && (t.op === ';' || t.op === '&')) {
        this.nextToken();
        items.push({ andOr, background: t.op === '&', line });
        continue;
      }
      items.push({ andOr, background: false, line });
      if (t.t === 'newline' && allowNewlines) continue;
      break;
    }
    return items;
  }

  /** A compound list ending before one of the reserved words in `ends` (or `)`): never empty. */
  private parseCompoundList(ends: readonly string[], expecting: string): List {
    const stop = (): boolean => {
      const t = this.peek();
      if (t.t === 'eof') return true;
      if (t.t === 'op' && (t.op === ')' || t.op === ';;')) return true;
      return t.t === 'word' && t.plain !== null && ends.includes(t.plain);
    };
    const items = this.parseSequence(stop, true);
    const t = this.peek();
    if (t.t === 'eof') throw this.error(`syntax error: unexpected end of file (expecting "${expecting}")`, t.line);
    if (items.length === 0) throw this.unexpected(t);
    return items;
  }

  private skipNewlines(): void {
    while (this.peek().t === 'newline') {
      this.nextToken();
      this.readHeredocBodies();
    }
  }

  private parseAndOr(): AndOr {
    const first = this.parsePipeline();
    const rest: Array<{ op: '&&' | '||'; pipeline: Pipeline }> = [];
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.op !== '&&' && t.op !== '||')) break;
      this.nextToken();
      this.skipNewlines();
      rest.push({ op: t.op, pipeline: this.parsePipeline() });
    }
    return { first, rest };
  }

  private parsePipeline(): Pipeline {
    let negate = false;
    const t = this.peek();
    if (t.t === 'word' && t.plain === '!') {
      this.nextToken();
      negate = true;
    }
    const commands = [this.parseCommand()];
    for (;;) {
      const p = this.peek();
      if (p.t !== 'op' || p.op !== '|') break;
      this.nextToken();
      this.skipNewlines();
      commands.push(this.parseCommand());
    }
    return { negate, commands };
  }

  private parseCommand(): Command {
    const t = this.peek();
    if (t.t === 'op' && t.op === '(') {
      this.nextToken();
      const body = this.parseCompoundList([], ')');
      this.expectOp(')');
      return { type: 'subshell', line: t.line, body, redirections: this.parseRedirections() };
    }
    if (t.t === 'word' && t.plain !== null && RESERVED.has(t.plain)) {
      switch (t.plain) {
        case '{': {
          this.nextToken();
          const body = this.parseCompoundList(['}'], '}');
          this.expectWord('}');
          return { type: 'group', line: t.line, body, redirections: this.parseRedirections() };
        }
        case 'if':
          return this.parseIf();
        case 'while':
        case 'until':
          return this.parseLoop(t.plain);
        case 'for':
          return this.parseFor();
        case 'case':
          return this.parseCase();
        default:
          throw this.unexpected(t);
      }
    }
    if (t.t === 'word' && t.plain === 'function') {
      // bash's `function name { ...; }`, which busybox ash accepts too.
      this.nextToken();
      const name = this.nextToken();
      if (name.t !== 'word' || name.plain === null) throw this.unexpected(name);
      const p = this.peek();
      if (p.t === 'op' && p.op === '(') return this.parseFunction(name.plain, t.line);
      return this.parseFunctionBody(name.plain, t.line);
    }
    if (t.t !== 'word' && t.t !== 'redir') throw this.unexpected(t);
    return this.parseSimple();
  }

  private parseSimple(): Command {
    const line = this.peek().line;
    const assignments: Assignment[] = [];
    const words: Word[] = [];
    const redirections: Redirection[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === 'redir') {
        redirections.push(this.parseRedirection());
        continue;
      }
      if (t.t !== 'word') break;
      this.nextToken();
      if (words.length === 0) {
        const assignment = asAssignment(t.word);
        if (assignment !== null) {
          assignments.push(assignment);
          continue;
        }
        // `name()` starts a function definition.
        const p = this.peek();
        if (assignments.length === 0 && redirections.length === 0 && t.plain !== null && p.t === 'op' && p.op === '(') {
          return this.parseFunction(t.plain, line);
        }
      }
      words.push(t.word);
    }
    const t = this.peek();
    if (t.t === 'op' && t.op === '(') throw this.unexpected(t);
    if (words.length === 0 && assignments.length === 0 && redirections.length === 0) throw this.unexpected(t);
    const cmd: SimpleCommand = { type: 'simple', line, assignments, words, redirections };
    return cmd;
  }

  private parseFunction(name: string, line: number): Command {
    this.expectOp('(');
    this.expectOp(')');
    return this.parseFunctionBody(name, line);
  }

  private parseFunctionBody(name: string, line: number): Command {
    if (!NAME.test(name)) throw this.error(`syntax error: bad function name`, line);
    this.skipNewlines();
    // ash takes any command as the body (`f() echo x`), not only a compound one.
    const body = this.parseCommand();
    return { type: 'function', line, name, body };
  }

  private parseIf(): Command {
    const line = this.nextToken().line;
    const clauses: Array<{ condition: List; body: List }> = [];
    let elseBody: List | null = null;
    for (;;) {
      const condition = this.parseCompoundList(['then'], 'then');
      this.expectWord('then');
      const body = this.parseCompoundList(['elif', 'else', 'fi'], 'fi');
      clauses.push({ condition, body });
      const t = this.nextToken();
      if (t.t === 'word' && t.plain === 'elif') continue;
      if (t.t === 'word' && t.plain === 'else') {
        elseBody = this.parseCompoundList(['fi'], 'fi');
        this.expectWord('fi');
      }
      break;
    }
    return { type: 'if', line, clauses, elseBody, redirections: this.parseRedirections() };
  }

  private parseLoop(kind: 'while' | 'until'): Command {
    const line = this.nextToken().line;
    const condition = this.parseCompoundList(['do'], 'do');
    this.expectWord('do');
    const body = this.parseCompoundList(['done'], 'done');
    this.expectWord('done');
    return { type: kind, line, condition, body, redirections: this.parseRedirections() };
  }

  private parseFor(): Command {
    const line = this.nextToken().line;
    const nameTok = this.nextToken();
    if (nameTok.t !== 'word' || nameTok.plain === null || !NAME.test(nameTok.plain)) {
      throw this.error('syntax error: bad for loop variable', nameTok.line);
    }
    let words: Word[] | null = null;
    let t = this.peek();
    if (t.t === 'newline') {
      this.skipNewlines();
      t = this.peek();
    }
    if (t.t === 'word' && t.plain === 'in') {
      this.nextToken();
      words = [];
      for (;;) {
        const w = this.peek();
        if (w.t !== 'word') break;
        this.nextToken();
        words.push(w.word);
      }
      const sep = this.nextToken();
      if (!(sep.t === 'newline' || (sep.t === 'op' && sep.op === ';'))) throw this.unexpected(sep);
      if (sep.t === 'newline') this.readHeredocBodies();
    } else if (t.t === 'op' && t.op === ';') {
      this.nextToken();
    }
    this.skipNewlines();
    this.expectWord('do');
    const body = this.parseCompoundList(['done'], 'done');
    this.expectWord('done');
    return { type: 'for', line, name: nameTok.plain, words, body, redirections: this.parseRedirections() };
  }

  private parseCase(): Command {
    const line = this.nextToken().line;
    const subjectTok = this.nextToken();
    if (subjectTok.t !== 'word') throw this.unexpected(subjectTok);
    this.skipNewlines();
    this.expectWord('in');
    const items: Array<{ patterns: Word[]; body: List }> = [];
    for (;;) {
      this.skipNewlines();
      let t = this.peek();
      if (t.t === 'word' && t.plain === 'esac') {
        this.nextToken();
        break;
      }
      if (t.t === 'op' && t.op === '(') {
        this.nextToken();
        t = this.peek();
      }
      const patterns: Word[] = [];
      for (;;) {
        const p = this.nextToken();
        if (p.t !== 'word')
          throw p.t === 'eof'
            ? this.error('syntax error: unexpected end of file (expecting ")")', p.line)
            : this.unexpected(p);
        patterns.push(p.word);
        const sep = this.nextToken();
        if (sep.t === 'op' && sep.op === '|') continue;
        if (sep.t === 'op' && sep.op === ')') break;
        throw this.unexpected(sep);
      }
      this.skipNewlines();
      const end = this.peek();
      let body: List = [];
      if (!(end.t === 'op' && end.op === ';;') && !(end.t === 'word' && end.plain === 'esac')) {
        body = this.parseCompoundList(['esac'], 'esac');
      }
      items.push({ patterns, body });
      const after = this.peek();
      if (after.t === 'op' && after.op === ';;') {
        this.nextToken();
        continue;
      }
      if (after.t === 'word' && after.plain === 'esac') continue;
      throw this.unexpected(after);
    }
    return { type: 'case', line, subject: subjectTok.word, items, redirections: this.parseRedirections() };
  }

  private parseRedirections(): Redirection[] {
    const out: Redirection[] = [];
    while (this.peek().t === 'redir') out.push(this.parseRedirection());
    return out;
  }

  private parseRedirection(): Redirection {
    const t = this.nextToken();
    if (t.t !== 'redir') throw this.unexpected(t);
    const target = this.nextToken();
    if (target.t !== 'word') throw this.unexpected(target);
    const fd = t.fd ?? (t.op.startsWith('<') ? 0 : 1);
    if (t.op === '<<' || t.op === '<<-') {
      const r: { fd: number; op: RedirOp; target: Word } = { fd, op: t.op, target: { parts: [] } };
      const quoted = target.word.parts.some((p) => p.kind !== 'lit' || p.quoted);
      this.heredocs.push({
        delimiter: wordLiteral(target.word),
        stripTabs: t.op === '<<-',
        expand: !quoted,
        fill: (w) => {
          r.target = w;
        },
      });
      return r;
    }
    return { fd, op: t.op, target: target.word };
  }

  private expectOp(op: string): void {
    const t = this.nextToken();
    if (t.t === 'op' && t.op === op) return;
    if (t.t === 'eof') throw this.error(`syntax error: unexpected end of file (expecting "${op}")`, t.line);
    throw this.unexpected(t, op);
  }

  private expectWord(word: string): void {
    const t = this.nextToken();
    if (t.t === 'word' && t.plain === word) return;
    if (t.t === 'eof') throw this.error(`syntax error: unexpected end of file (expecting "${word}")`, t.line);
    throw this.unexpected(t, word);
  }

  private unexpected(t: Token, expecting?: string): ShellSyntaxError {
    const what = tokenName(t);
    if (t.t === 'eof')
      return this.error(
        `syntax error: unexpected end of file${expecting ? ` (expecting "${expecting}")` : ''}`,
        t.line,
      );
    return this.error(
      `syntax error: unexpected ${what}${expecting && t.t === 'word' && t.plain === null ? ` (expecting "${expecting}")` : ''}`,
      t.line,
    );
  }

  private error(text: string, line: number): ShellSyntaxError {
    return new ShellSyntaxError(text, line);
  }

  private requireNoHeredocs(): void {
    if (this.heredocs.length > 0) {
      const h = this.heredocs[0]!;
      this.heredocs = [];
      h.fill({ parts: [] });
    }
  }

  // ------------------------------------------------------------------ tokens

  private peek(): Token {
    if (this.peeked === null) this.peeked = this.lex();
    return this.peeked;
  }

  private nextToken(): Token {
    const t = this.peek();
    this.peeked = null;
    return t;
  }

  private lex(): Token {
    const src = this.src;
    for (;;) {
      const c = src[this.pos];
      if (c === ' ' || c === '\t') {
        this.pos++;
        continue;
      }
      if (c === '\\' && src[this.pos + 1] === '\n') {
        this.pos += 2;
        this.line++;
        continue;
      }
      if (c === '#') {
        while (this.pos < src.length && src[this.pos] !== '\n') this.pos++;
        continue;
      }
      break;
    }
    const line = this.line;
    const start = this.pos;
    if (this.pos >= src.length) return { t: 'eof', line, start };
    const c = src[this.pos]!;
    if (c === '\n') {
      this.pos++;
      this.line++;
      return { t: 'newline', line, start };
    }
    // The operator tables are searched only where the character can start an entry: a word
    // (most tokens) then costs one comparison instead of eighteen.
    IO_NUMBER.lastIndex = this.pos;
    const io = c >= '0' && c <= '9' ? IO_NUMBER.exec(src) : null;
    if (io !== null) {
      const op = REDIR_OPS.find((o) => src.startsWith(o, this.pos + io[1]!.length) && o !== '&>');
      if (op !== undefined) {
        this.pos += io[1]!.length + op.length;
        return { t: 'redir', op, fd: Number(io[1]), line, start };
      }
    }
    const redir = c === '<' || c === '>' || c === '&' ? REDIR_OPS.find((o) => src.startsWith(o, this.pos)) : undefined;
    if (redir !== undefined) {
      this.pos += redir.length;
      return { t: 'redir', op: redir, fd: null, line, start };
    }
    const op = '&|;()'.includes(c) ? OPERATORS.find((o) => src.startsWith(o, this.pos)) : undefined;
    if (op !== undefined) {
      this.pos += op.length;
      return { t: 'op', op, line, start };
    }
    const parts = this.readWord('normal', false);
    const word: Word = { parts };
    return { t: 'word', word, plain: plainText(word), line, start };
  }

  /** Reads a word's parts in `context`; `quoted` marks everything as quoted (inside `"..."`). */
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: the word lexer: quotes, escapes, expansions and here-document ends share one cursor, as in ash's readtoken1.
  private readWord(context: WordContext, quoted: boolean, heredocEnd?: () => boolean, stops = '}'): WordPart[] {
    const src = this.src;
    const parts: WordPart[] = [];
    let lit = '';
    let litQuoted = quoted;
    const flush = (): void => {
      if (lit !== '') parts.push({ kind: 'lit', text: lit, quoted: litQuoted });
      lit = '';
      litQuoted = quoted;
    };
    const addLit = (text: string, q: boolean): void => {
      if (q !== litQuoted) flush();
      litQuoted = q;
      lit += text;
    };
    let depth = 0;
    while (this.pos < src.length) {
      if (context === 'normal') {
        // A run of characters that are literal here whatever follows them is taken in one step:
        // the same parts as one character at a time, at a fraction of the cost in a one-shot
        // command (`thinlab at` parses every command it replays, in V8's interpreter).
        PLAIN_RUN.lastIndex = this.pos;
        const run = PLAIN_RUN.exec(src);
        if (run !== null) {
          addLit(run[0], quoted);
          this.pos += run[0].length;
          if (this.pos >= src.length) break;
        }
      }
      const c = src[this.pos]!;
      if (context === 'normal' && (c === ' ' || c === '\t' || c === '\n' || ';&|<>()'.includes(c))) break;
      if (context === 'brace' && stops.includes(c) && depth === 0) break;
      if (context === 'heredoc' && heredocEnd !== undefined && heredocEnd()) break;
      if (c === '\n') this.line++;
      if (c === '\\') {
        const d = src[this.pos + 1];
        if (d === undefined) {
          addLit('\\', quoted);
          this.pos++;
          continue;
        }
        if (d === '\n') {
          this.pos += 2;
          this.line++;
          continue;
        }
        const escapable =
          context === 'normal' || context === 'brace' ? !quoted || '$`"\\}'.includes(d) : '$`\\'.includes(d);
        if (escapable) {
          addLit(d, true);
          this.pos += 2;
        } else {
          addLit(`\\${d}`, quoted);
          this.pos += 2;
          if (d === '\n') this.line++;
        }
        continue;
      }
      if (c === "'" && (context === 'normal' || context === 'brace') && !quoted) {
        const end = src.indexOf("'", this.pos + 1);
        // ash reads the quote on to the end of the file and names the line it reached there.
        if (end < 0)
          throw this.error('syntax error: unterminated quoted string', this.line + countNewlines(src.slice(this.pos)));
        const text = src.slice(this.pos + 1, end);
        this.line += countNewlines(text);
        flush();
        parts.push({ kind: 'lit', text, quoted: true });
        this.pos = end + 1;
        continue;
      }
      if (c === '"' && (context === 'normal' || context === 'brace') && !quoted) {
        flush();
        this.pos++;
        const inner = this.readDoubleQuoted();
        // An empty "" still makes a (quoted, empty) word.
        parts.push(...(inner.length === 0 ? [{ kind: 'lit' as const, text: '', quoted: true }] : inner));
        continue;
      }
      if (c === '$') {
        const part = this.readDollar(quoted || context === 'heredoc' || context === 'arith');
        if (part === null) {
          addLit('$', quoted);
          this.pos++;
        } else {
          flush();
          parts.push(part);
        }
        continue;
      }
      if (c === '`') {
        flush();
        parts.push(this.readBackquote(quoted || context === 'heredoc' || context === 'arith'));
        continue;
      }
      if (context === 'brace' && c === '{') depth++;
      if (context === 'brace' && c === '}') depth--;
      addLit(c, quoted || context === 'heredoc');
      this.pos++;
    }
    flush();
    return parts;
  }

  private readDoubleQuoted(): WordPart[] {
    const src = this.src;
    const parts: WordPart[] = [];
    let lit = '';
    const flush = (): void => {
      if (lit !== '') parts.push({ kind: 'lit', text: lit, quoted: true });
      lit = '';
    };
    for (;;) {
      if (this.pos >= src.length) throw this.error('syntax error: unterminated quoted string', this.line);
      const c = src[this.pos]!;
      if (c === '"') {
        this.pos++;
        break;
      }
      if (c === '\n') this.line++;
      if (c === '\\') {
        const d = src[this.pos + 1];
        if (d === '\n') {
          this.pos += 2;
          this.line++;
          continue;
        }
        if (d !== undefined && '$`"\\'.includes(d)) {
          lit += d;
          this.pos += 2;
          continue;
        }
        lit += c;
        this.pos++;
        continue;
      }
      if (c === '$') {
        const part = this.readDollar(true);
        if (part === null) {
          lit += '$';
          this.pos++;
        } else {
          flush();
          parts.push(part);
        }
        continue;
      }
      if (c === '`') {
        flush();
        parts.push(this.readBackquote(true));
        continue;
      }
      lit += c;
      this.pos++;
    }
    flush();
    return parts;
  }

  /** `$...` at this.pos; null when the `$` is literal. */
  private readDollar(quoted: boolean): WordPart | null {
    const src = this.src;
    const next = src[this.pos + 1];
    if (next === '(' && src[this.pos + 2] === '(') {
      const start = this.pos + 3;
      let depth = 0;
      let i = start;
      for (; i < src.length; i++) {
        const ch = src[i];
        if (ch === '(') depth++;
        else if (ch === ')') {
          if (depth === 0) break;
          depth--;
        }
      }
      if (i >= src.length || src[i + 1] !== ')') throw this.error("syntax error: missing '))'", this.line);
      const text = src.slice(start, i);
      const inner = new Parser(text, this.line);
      const expr: Word = { parts: inner.readWordToEnd('arith') };
      this.line += countNewlines(text);
      this.pos = i + 2;
      return { kind: 'arith', expr, quoted };
    }
    if (next === '(') {
      this.pos += 2;
      const saved = this.peeked;
      this.peeked = null;
      const body = this.parseSequence(() => {
        const t = this.peek();
        return t.t === 'eof' || (t.t === 'op' && t.op === ')');
      }, true);
      const close = this.nextToken();
      if (close.t !== 'op' || close.op !== ')') {
        throw close.t === 'eof'
          ? this.error('syntax error: unexpected end of file (expecting ")")', close.line)
          : this.unexpected(close);
      }
      this.peeked = saved;
      return { kind: 'cmdsub', body, quoted };
    }
    if (next === '{') return this.readBraced(quoted);
    if (next !== undefined && /[A-Za-z_]/.test(next)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(this.pos + 1))!;
      this.pos += 1 + m[0].length;
      return { kind: 'param', name: m[0], op: null, arg: null, quoted };
    }
    if (next !== undefined && (/[0-9]/.test(next) || SPECIAL_PARAMS.includes(next))) {
      this.pos += 2;
      return { kind: 'param', name: next, op: null, arg: null, quoted };
    }
    return null;
  }

  private readBraced(quoted: boolean): WordPart {
    const src = this.src;
    this.pos += 2;
    let length = false;
    if (src[this.pos] === '#' && src[this.pos + 1] !== '}' && src[this.pos + 1] !== undefined) {
      length = true;
      this.pos++;
    }
    let name: string;
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+)/.exec(src.slice(this.pos));
    if (m !== null) name = m[1]!;
    else if (src[this.pos] !== undefined && SPECIAL_PARAMS.includes(src[this.pos]!)) name = src[this.pos]!;
    else throw this.error('syntax error: bad substitution', this.line);
    this.pos += name.length;
    if (length) {
      if (src[this.pos] !== '}') throw this.error('syntax error: bad substitution', this.line);
      this.pos++;
      return { kind: 'param', name, op: 'len', arg: null, quoted };
    }
    if (src[this.pos] === '}') {
      this.pos++;
      return { kind: 'param', name, op: null, arg: null, quoted };
    }
    if (src[this.pos] === '/') {
      const op: ParamOp =
        src[this.pos + 1] === '/' ? '//' : src[this.pos + 1] === '#' ? '/#' : src[this.pos + 1] === '%' ? '/%' : '/';
      this.pos += op.length;
      // The pattern and its replacement are read as outside double quotes, even inside them, as
      // ash reads them (`"${v/a/'x'}"` is `xbc`): see the trims below.
      const arg: Word = { parts: this.readWord('brace', false, undefined, '/}') };
      let arg2: Word | null = null;
      if (src[this.pos] === '/') {
        this.pos++;
        arg2 = { parts: this.readWord('brace', false) };
      }
      if (src[this.pos] !== '}') throw this.error("syntax error: missing '}'", this.line);
      this.pos++;
      return { kind: 'param', name, op, arg, arg2, quoted };
    }
    if (src[this.pos] === ':' && !'-=+?'.includes(src[this.pos + 1] ?? '')) {
      this.pos++;
      const arg: Word = { parts: this.readWord('brace', quoted, undefined, ':}') };
      let arg2: Word | null = null;
      if (src[this.pos] === ':') {
        this.pos++;
        arg2 = { parts: this.readWord('brace', quoted) };
      }
      if (src[this.pos] !== '}') throw this.error("syntax error: missing '}'", this.line);
      this.pos++;
      return { kind: 'param', name, op: 'substr', arg, arg2, quoted };
    }
    const ops: ParamOp[] = [':-', ':=', ':+', ':?', '-', '=', '+', '?', '##', '#', '%%', '%'];
    const op = ops.find((o) => src.startsWith(o, this.pos));
    if (op === undefined)
      throw this.error(
        this.pos >= src.length ? "syntax error: missing '}'" : 'syntax error: bad substitution',
        this.line,
      );
    this.pos += op.length;
    // A trim's pattern is a pattern even inside double quotes (`"${v#?}"` drops one character, and
    // `"${v#'a'}"` drops an a), as ash reads it; a default's word keeps the double quotes' rules.
    const trim = op === '#' || op === '##' || op === '%' || op === '%%';
    const arg: Word = { parts: this.readWord('brace', quoted && !trim) };
    if (src[this.pos] !== '}') throw this.error("syntax error: missing '}'", this.line);
    this.pos++;
    return { kind: 'param', name, op, arg, quoted };
  }

  private readBackquote(quoted: boolean): WordPart {
    const src = this.src;
    let i = this.pos + 1;
    let text = '';
    for (;;) {
      if (i >= src.length)
        throw this.error('syntax error: EOF in backquote substitution', this.line + countNewlines(src.slice(this.pos)));
      const c = src[i]!;
      if (c === '`') break;
      if (c === '\\' && i + 1 < src.length && '$`\\'.includes(src[i + 1]!)) {
        text += src[i + 1];
        i += 2;
        continue;
      }
      text += c;
      i++;
    }
    const inner = new Parser(text, this.line);
    const body = inner.parseAll();
    this.line += countNewlines(src.slice(this.pos, i));
    this.pos = i + 1;
    return { kind: 'cmdsub', body, quoted };
  }

  /** The whole source as one word in `context` (arithmetic text, here-document bodies). */
  readWordToEnd(context: WordContext): WordPart[] {
    return this.readWord(context, false);
  }

  private readHeredocBodies(): void {
    const pending = this.heredocs;
    this.heredocs = [];
    for (const h of pending) {
      const lines: string[] = [];
      let found = false;
      while (this.pos < this.src.length) {
        const nl = this.src.indexOf('\n', this.pos);
        const end = nl < 0 ? this.src.length : nl;
        let text = this.src.slice(this.pos, end);
        this.pos = nl < 0 ? end : end + 1;
        this.line++;
        if (h.stripTabs) text = text.replace(/^\t+/, '');
        if (text === h.delimiter) {
          found = true;
          break;
        }
        lines.push(text);
      }
      void found;
      const body = lines.map((l) => `${l}\n`).join('');
      if (!h.expand) {
        h.fill({ parts: [{ kind: 'lit', text: body, quoted: true }] });
      } else {
        const inner = new Parser(body, this.line - lines.length - 1);
        h.fill({ parts: inner.readWordToEnd('heredoc') });
      }
    }
  }
}

function countNewlines(text: string): number {
  let n = 0;
  for (const c of text) if (c === '\n') n++;
  return n;
}

/** The word's text when it is one unquoted literal (how keywords and names are recognised). */
function plainText(word: Word): string | null {
  if (word.parts.length !== 1) return null;
  const p = word.parts[0]!;
  return p.kind === 'lit' && !p.quoted ? p.text : null;
}

/** A here-document delimiter: the word with its quotes removed. */
function wordLiteral(word: Word): string {
  return word.parts.map((p) => (p.kind === 'lit' ? p.text : p.kind === 'param' ? `$${p.name}` : '')).join('');
}

function asAssignment(word: Word): Assignment | null {
  const first = word.parts[0];
  if (first === undefined || first.kind !== 'lit' || first.quoted) return null;
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
  if (m === null) return null;
  const rest = first.text.slice(m[0].length);
  const parts: WordPart[] = rest === '' ? [] : [{ kind: 'lit', text: rest, quoted: false }];
  parts.push(...word.parts.slice(1));
  return { name: m[1]!, value: { parts } };
}

function tokenName(t: Token): string {
  switch (t.t) {
    case 'word':
      return t.plain !== null && RESERVED.has(t.plain) ? `"${t.plain}"` : 'word';
    case 'op':
      return `"${t.op}"`;
    case 'redir':
      return `"${t.op}"`;
    case 'newline':
      return 'newline';
    case 'eof':
      return 'end of file';
    default:
      return 'token';
  }
}

/** Parses a whole script into its top-level commands (syntax errors included, in order). */
export function parseScript(script: string): TopLevelResult[] {
  const parser = new Parser(script);
  const out: TopLevelResult[] = [];
  for (let r = parser.next(); r !== null; r = parser.next()) out.push(r);
  return out;
}
