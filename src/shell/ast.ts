/**
 * The lab shell's syntax tree. Words keep their structure (literal text, quoted or not, and the
 * expansions in them) until they run, because expansion happens at run time, after the previous
 * command has set `$?` and variables.
 */

/**
 * `${name op word}` operators; `len` is `${#name}`. busybox ash (built with bash compatibility)
 * also has `${name/pat/rep}` (`/`, `//`, `/#`, `/%`) and `${name:offset:length}` (`substr`).
 */
export type ParamOp =
  | '-'
  | ':-'
  | '='
  | ':='
  | '+'
  | ':+'
  | '?'
  | ':?'
  | '#'
  | '##'
  | '%'
  | '%%'
  | 'len'
  | '/'
  | '//'
  | '/#'
  | '/%'
  | 'substr';

export type WordPart =
  | { readonly kind: 'lit'; readonly text: string; readonly quoted: boolean }
  | {
      readonly kind: 'param';
      readonly name: string;
      readonly op: ParamOp | null;
      readonly arg: Word | null;
      /** The replacement of `${x/pat/rep}`, the length of `${x:offset:length}`. */
      readonly arg2?: Word | null;
      readonly quoted: boolean;
    }
  | { readonly kind: 'cmdsub'; readonly body: List; readonly quoted: boolean }
  | { readonly kind: 'arith'; readonly expr: Word; readonly quoted: boolean };

export interface Word {
  readonly parts: readonly WordPart[];
}

export type RedirOp = '<' | '>' | '>>' | '>|' | '<>' | '>&' | '<&' | '&>' | '<<' | '<<-';

export interface Redirection {
  readonly fd: number;
  readonly op: RedirOp;
  /** The file name, the descriptor for `>&`/`<&`, or the here-document's body for `<<`. */
  readonly target: Word;
}

export interface Assignment {
  readonly name: string;
  readonly value: Word;
}

interface Base {
  /** The script line the command starts on (1-based), for error messages. */
  readonly line: number;
}

export interface SimpleCommand extends Base {
  readonly type: 'simple';
  readonly assignments: readonly Assignment[];
  readonly words: readonly Word[];
  readonly redirections: readonly Redirection[];
}

export interface GroupCommand extends Base {
  readonly type: 'group' | 'subshell';
  readonly body: List;
  readonly redirections: readonly Redirection[];
}

export interface IfCommand extends Base {
  readonly type: 'if';
  readonly clauses: ReadonlyArray<{ readonly condition: List; readonly body: List }>;
  readonly elseBody: List | null;
  readonly redirections: readonly Redirection[];
}

export interface LoopCommand extends Base {
  readonly type: 'while' | 'until';
  readonly condition: List;
  readonly body: List;
  readonly redirections: readonly Redirection[];
}

export interface ForCommand extends Base {
  readonly type: 'for';
  readonly name: string;
  /** null: `for v; do` iterates over the positional parameters. */
  readonly words: readonly Word[] | null;
  readonly body: List;
  readonly redirections: readonly Redirection[];
}

export interface CaseCommand extends Base {
  readonly type: 'case';
  readonly subject: Word;
  readonly items: ReadonlyArray<{ readonly patterns: readonly Word[]; readonly body: List }>;
  readonly redirections: readonly Redirection[];
}

export interface FunctionDefinition extends Base {
  readonly type: 'function';
  readonly name: string;
  readonly body: Command;
}

export type Command =
  | SimpleCommand
  | GroupCommand
  | IfCommand
  | LoopCommand
  | ForCommand
  | CaseCommand
  | FunctionDefinition;

export interface Pipeline {
  readonly negate: boolean;
  readonly commands: readonly Command[];
}

export interface AndOr {
  readonly first: Pipeline;
  readonly rest: ReadonlyArray<{ readonly op: '&&' | '||'; readonly pipeline: Pipeline }>;
}

export interface ListItem {
  readonly andOr: AndOr;
  readonly background: boolean;
  readonly line: number;
}

export type List = readonly ListItem[];

export const EMPTY_LIST: List = [];
