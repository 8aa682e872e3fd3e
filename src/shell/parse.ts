/**
 * The lab shell's parser: the subset of POSIX sh that dm-thin scripts use. A line becomes a list
 * of pipelines joined by `;`, `&&` or `||`; a pipeline is commands joined by `|`; a command is
 * words (quotes, `$?`, `$VAR`, `${VAR}` expanded) and redirections. Constructs the lab does not run
 * (subshells, background jobs, command substitution, loops, functions) are reported by name.
 */

export type Redirection =
  | { readonly kind: 'file'; readonly fd: number; readonly path: string; readonly append: boolean }
  | { readonly kind: 'input'; readonly fd: number; readonly path: string }
  | { readonly kind: 'dup'; readonly fd: number; readonly toFd: number };

export interface SimpleCommand {
  readonly words: readonly string[];
  readonly assignments: ReadonlyArray<readonly [string, string]>;
  readonly redirections: readonly Redirection[];
}

export interface Pipeline {
  readonly commands: readonly SimpleCommand[];
  readonly negate: boolean;
}

export interface AndOrItem {
  readonly pipeline: Pipeline;
  /** The item's text, so that `$?` can be expanded again when it runs (after the previous item). */
  readonly source: string;
  /** How this pipeline is joined to the previous one (null for the first of a list). */
  readonly joiner: '&&' | '||' | ';' | null;
}

export type ParsedLine = { readonly ok: true; readonly items: readonly AndOrItem[] } | { readonly ok: false; readonly error: string };

/** Expands a variable reference. */
export type Lookup = (name: string) => string;

interface Token {
  readonly kind: 'word' | 'op';
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** For words: whether any part was quoted (an empty quoted word still counts). */
  readonly quoted?: boolean;
}

const OPERATORS = ['&&', '||', '>>', '2>&1', '>&2', '1>&2', '2>>', '2>', '1>', '&>', ';', '|', '&', '>', '<', '(', ')'];

/** Splits a line into words and operators, expanding quotes and variables. */
function tokenize(line: string, lookup: Lookup): { ok: true; tokens: Token[] } | { ok: false; error: string } {
  const tokens: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    const op = OPERATORS.find((o) => line.startsWith(o, i));
    if (op !== undefined && !(/[0-9]/.test(c) && !op.startsWith(c))) {
      tokens.push({ kind: 'op', text: op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    let word = '';
    let quoted = false;
    const wordStart = i;
    while (i < n) {
      const ch = line[i]!;
      if (ch === ' ' || ch === '\t') break;
      if ((ch === ';' || ch === '|' || ch === '&' || ch === '<' || ch === '(' || ch === ')') && true) break;
      if (ch === '>') break;
      if (/[12]/.test(ch) && word === '' && !quoted && line[i + 1] === '>') break;
      if (ch === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) return { ok: false, error: 'syntax error: unterminated quoted string' };
        word += line.slice(i + 1, end);
        quoted = true;
        i = end + 1;
        continue;
      }
      if (ch === '"') {
        quoted = true;
        i++;
        let closed = false;
        while (i < n) {
          const d = line[i]!;
          if (d === '"') {
            closed = true;
            i++;
            break;
          }
          if (d === '\\' && i + 1 < n && '$`"\\'.includes(line[i + 1]!)) {
            word += line[i + 1];
            i += 2;
            continue;
          }
          if (d === '$') {
            const expanded = expandDollar(line, i, lookup);
            if (!expanded.ok) return expanded;
            word += expanded.text;
            i = expanded.next;
            continue;
          }
          if (d === '`') return { ok: false, error: 'command substitution (`...`) is not supported in the lab shell' };
          word += d;
          i++;
        }
        if (!closed) return { ok: false, error: 'syntax error: unterminated quoted string' };
        continue;
      }
      if (ch === '\\' && i + 1 < n) {
        word += line[i + 1];
        i += 2;
        continue;
      }
      if (ch === '$') {
        const expanded = expandDollar(line, i, lookup);
        if (!expanded.ok) return expanded;
        word += expanded.text;
        i = expanded.next;
        continue;
      }
      if (ch === '`') return { ok: false, error: 'command substitution (`...`) is not supported in the lab shell' };
      word += ch;
      i++;
    }
    tokens.push({ kind: 'word', text: word, quoted, start: wordStart, end: i });
  }
  return { ok: true, tokens };
}

function expandDollar(
  line: string,
  i: number,
  lookup: Lookup,
): { ok: true; text: string; next: number } | { ok: false; error: string } {
  const next = line[i + 1];
  if (next === '?') return { ok: true, text: lookup('?'), next: i + 2 };
  if (next === '(') return { ok: false, error: 'command substitution $(...) is not supported in the lab shell' };
  if (next === '{') {
    const end = line.indexOf('}', i);
    if (end < 0) return { ok: false, error: 'syntax error: bad substitution' };
    return { ok: true, text: lookup(line.slice(i + 2, end)), next: end + 1 };
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9#$!@*]/.exec(line.slice(i + 1));
  if (m === null) return { ok: true, text: '$', next: i + 1 };
  return { ok: true, text: lookup(m[0]), next: i + 1 + m[0].length };
}

/** Parses one line of a script. */
export function parseLine(line: string, lookup: Lookup): ParsedLine {
  const tokenized = tokenize(line, lookup);
  if (!tokenized.ok) return tokenized;
  const tokens = tokenized.tokens;
  const items: AndOrItem[] = [];
  let joiner: AndOrItem['joiner'] = null;
  let commands: SimpleCommand[] = [];
  let words: string[] = [];
  let assignments: Array<[string, string]> = [];
  let redirections: Redirection[] = [];
  let negate = false;
  let itemStart = -1;
  let itemEnd = 0;

  const endCommand = (): boolean => {
    if (words.length === 0 && assignments.length === 0 && redirections.length === 0) return false;
    commands.push({ words, assignments, redirections });
    words = [];
    assignments = [];
    redirections = [];
    return true;
  };
  const endPipeline = (next: AndOrItem['joiner']): string | null => {
    const had = endCommand();
    if (!had && commands.length === 0) {
      if (next === ';' && items.length === 0 && joiner === null) return null;
      return `syntax error: unexpected "${next ?? 'end of line'}"`;
    }
    if (!had) return 'syntax error: unexpected "|"';
    items.push({ pipeline: { commands, negate }, joiner, source: line.slice(itemStart, itemEnd) });
    itemStart = -1;
    commands = [];
    negate = false;
    joiner = next;
    return null;
  };

  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const separator = t.kind === 'op' && (t.text === ';' || t.text === '&&' || t.text === '||');
    if (!separator) {
      if (itemStart < 0) itemStart = t.start;
      itemEnd = t.end;
      // A redirection's target word belongs to the item too.
      const next = tokens[k + 1];
      if (t.kind === 'op' && next !== undefined && ['>', '1>', '>>', '2>', '2>>', '&>', '<'].includes(t.text)) itemEnd = next.end;
    }
    if (t.kind === 'word') {
      if (words.length === 0 && !t.quoted && t.text === '!' && commands.length === 0) {
        negate = true;
        continue;
      }
      const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(t.text);
      if (words.length === 0 && assign !== null && !t.quoted) {
        assignments.push([assign[1]!, assign[2]!]);
        continue;
      }
      if (words.length === 0 && !t.quoted && ['for', 'while', 'until', 'if', 'case', 'function'].includes(t.text)) {
        return { ok: false, error: `'${t.text}' is not supported in the lab shell (write the steps out one by one)` };
      }
      words.push(t.text);
      continue;
    }
    switch (t.text) {
      case ';':
      case '&&':
      case '||': {
        const err = endPipeline(t.text);
        if (err !== null) return { ok: false, error: err };
        break;
      }
      case '|':
        if (!endCommand()) return { ok: false, error: 'syntax error: unexpected "|"' };
        break;
      case '&':
        return { ok: false, error: 'background jobs (&) are not supported in the lab shell' };
      case '(':
      case ')':
        if (words.length > 0 && t.text === '(') {
          return { ok: false, error: 'shell functions are not supported in the lab shell' };
        }
        return { ok: false, error: 'subshells ( ... ) are not supported in the lab shell' };
      case '2>&1':
        redirections.push({ kind: 'dup', fd: 2, toFd: 1 });
        break;
      case '>&2':
      case '1>&2':
        redirections.push({ kind: 'dup', fd: 1, toFd: 2 });
        break;
      case '>':
      case '1>':
      case '>>':
      case '2>':
      case '2>>':
      case '&>':
      case '<': {
        const target = tokens[k + 1];
        if (target === undefined || target.kind !== 'word') {
          return { ok: false, error: `syntax error: unexpected ${target ? `"${target.text}"` : 'newline'}` };
        }
        k++;
        if (t.text === '<') redirections.push({ kind: 'input', fd: 0, path: target.text });
        else if (t.text === '&>') {
          redirections.push({ kind: 'file', fd: 1, path: target.text, append: false });
          redirections.push({ kind: 'dup', fd: 2, toFd: 1 });
        } else {
          const fd = t.text.startsWith('2') ? 2 : 1;
          redirections.push({ kind: 'file', fd, path: target.text, append: t.text.endsWith('>>') });
        }
        break;
      }
      default:
        return { ok: false, error: `syntax error near "${t.text}"` };
    }
  }
  const hadCommand = words.length > 0 || assignments.length > 0 || redirections.length > 0 || commands.length > 0;
  if (hadCommand) {
    const err = endPipeline(null);
    if (err !== null) return { ok: false, error: err };
  } else if (joiner === '&&' || joiner === '||') {
    return { ok: false, error: `syntax error: unexpected end of line after "${joiner}"` };
  }
  return { ok: true, items };
}
