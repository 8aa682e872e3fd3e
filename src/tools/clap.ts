/**
 * The command-line parsing of thin-provisioning-tools 1.1.0, which is clap 4 (Rust), not glibc's
 * getopt: no abbreviated long options, a "similar argument" tip instead, -h acted on where it is
 * met, an argument given twice refused unless it appends, -V alone or refused, required options
 * and operands checked last, values checked as they are read, and every refusal worded as clap
 * words it with status 2. The texts were taken from the real 1.1.0 binary (docs/tools.md;
 * test/clap-1x.test.ts holds 1.1.0's answers to each tool's options given twice).
 */
import type { ArgPosition, ParsedOption } from './getopt.js';

/** One argument of a 1.1.0 tool, in the order its help lists it. */
export interface ClapArg {
  readonly long: string;
  readonly short?: string;
  /** Other long names that mean the same (thin_delta's --snap1 for --thin1). */
  readonly aliases?: readonly string[];
  /** The value's name as clap prints it (`<FILE>`); absent for a flag. */
  readonly value?: string;
  /** The value may be left out, and is given only with `=` (`-m`, `-m=5`, `--metadata-snap=5`). */
  readonly optionalValue?: boolean;
  readonly required?: boolean;
  /** What the tool receives it as (the 0.9.0 option's key where the meaning is the same). */
  readonly key: string;
  /** The value must be a whole number (clap's u64 parser). */
  readonly numeric?: boolean;
  /** The value must be one of these. */
  readonly possible?: readonly string[];
  /**
   * It may be given more than once, each value kept (clap's `ArgAction::Append`: thin_rmap's
   * --region, thin_dump's --dev-id; `ArgAction::Count`: -v). Every other argument is `Set` or
   * `SetTrue`, which clap refuses twice.
   */
  readonly multiple?: boolean;
  /** clap's value_delimiter: each piece between them is a value of its own (thin_ls's `-o DEV,MAPPED`). */
  readonly delimiter?: string;
  /** The tool's own value parser: why clap refuses the value (after `: `), or null to take it. */
  readonly parse?: (value: string) => string | null;
  /** The value names a file the tool reads or writes (for `thinlab <tool> FILE` on host files). */
  readonly path?: boolean;
  /**
   * Hidden from the help (`.hide(true)`): clap still suggests it for a mistyped option, but its
   * usage line leaves it out (`Usage: thin_migrate [OPTIONS]`, not `... --zero-dest`).
   */
  readonly hidden?: boolean;
}

/** A 1.1.0 tool's command line: its arguments, its operand and its help text (from `-h`). */
export interface ClapCommand {
  readonly args: readonly ClapArg[];
  /** The operand's name (`<INPUT>`) when the tool takes one; it is then required. */
  readonly operand?: string;
  /**
   * A hidden positional the tool takes and ignores (thin_repair's DUMMY, "for compatibility with
   * lvconvert"): one word is accepted, and clap offers `--` for a mistyped option.
   */
  readonly dummyOperand?: boolean;
  readonly help: string;
  /** Pairs of argument keys that clap refuses together (`conflicts_with`: thin_delta's --thin1 and --root1). */
  readonly conflicts?: readonly (readonly [string, string])[];
  /**
   * clap's ArgGroups, by their members' keys (thin_delta's SNAP1 and SNAP2, whose members also
   * conflict): a usage line built from the arguments given names a group, not its members.
   */
  readonly groups?: readonly (readonly string[])[];
}

export type ClapResult =
  | {
      readonly ok: true;
      readonly options: ParsedOption[];
      readonly operands: string[];
      /** The index in `args` of each operand. */
      readonly operandIndices: number[];
    }
  | { readonly ok: false; readonly message: string }
  | { readonly ok: 'help' }
  | { readonly ok: 'version' };

const MORE = "\nFor more information, try '--help'.\n";

/**
 * The hidden -v most 1.1.0 tools take (report.rs verbose_args: a short option only, counted,
 * absent from the help): each -v raises the log level by one.
 */
export const VERBOSE_ARG_1X: ClapArg = { long: '', short: 'v', key: 'v', multiple: true, hidden: true };

/**
 * The hidden --io-engine of the tools that read metadata through an io engine (engine.rs
 * engine_args: every thin tool but thin_metadata_size and thin_metadata_pack). Its value is
 * looked at only after the tool's own checks of its files (defineTool's run1x).
 */
export const IO_ENGINE_ARG_1X: ClapArg = { long: 'io-engine', value: '<IO_ENGINE>', key: 'io-engine', hidden: true };

/** -h is clap's Help action: met, it prints the help at once, whatever follows. */
const HELP_ARG: ClapArg = { long: 'help', short: 'h', key: 'h' };
/** -V is the tools' own flag (version.rs: SetTrue and exclusive), not clap's Version action. */
const VERSION_ARG: ClapArg = { long: 'version', short: 'V', key: 'V' };

const allArgs = (cmd: ClapCommand): ClapArg[] => [...cmd.args, HELP_ARG, VERSION_ARG];

/** An argument as clap names it in its messages: `--quiet`, `--output <FILE>`, `--metadata-snap[=<BLOCKNR>]`. */
const shown = (a: ClapArg): string =>
  a.value === undefined
    ? `--${a.long}`
    : a.optionalValue === true
      ? `--${a.long}[=${a.value}]`
      : `--${a.long} ${a.value}`;

/**
 * The Usage line of an error: the help's, or where arguments were given, clap's "smart usage"
 * (usage.rs write_args): the required options, then those given (hidden ones left out; members of
 * a group give the group, after the options), then the operand. Seen with `thin_dump -q /x
 * --bogus` (`Usage: thin_dump --quiet <INPUT>`) and `thin_restore -i a -q --bogus`
 * (`Usage: thin_restore --input <FILE> --output <FILE> --quiet`).
 */
function usageLine(name: string, cmd: ClapCommand, used: readonly ClapArg[] = []): string {
  const visible = used.filter((a) => a.hidden !== true);
  if (visible.length === 0) {
    const line = cmd.help.split('\n').find((l) => l.startsWith('Usage: '));
    return `${line ?? `Usage: ${name}`}\n`;
  }
  const parts: string[] = [];
  const groups: (readonly string[])[] = [];
  for (const a of [...cmd.args.filter((r) => r.required === true), ...visible]) {
    const group = cmd.groups?.find((g) => g.includes(a.key));
    if (group !== undefined) {
      if (!groups.includes(group)) groups.push(group);
    } else if (!parts.includes(shown(a))) parts.push(shown(a));
  }
  const byKey = (key: string): ClapArg => cmd.args.find((c) => c.key === key)!;
  for (const g of groups) parts.push(`<${g.map((k) => shown(byKey(k))).join('|')}>`);
  if (cmd.operand !== undefined) parts.push(cmd.operand);
  return `Usage: ${[name, ...parts].join(' ')}\n`;
}

function requiredParts(cmd: ClapCommand): string[] {
  const parts = cmd.args.filter((a) => a.required === true).map(shown);
  return cmd.operand === undefined ? parts : [...parts, cmd.operand];
}

/** strsim's Jaro similarity, which clap uses (above 0.7) to suggest a long option. */
export function jaro(a: string, b: string): number {
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aUsed = new Array<boolean>(a.length).fill(false);
  const bUsed = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = Math.max(0, i - window); j < Math.min(b.length, i + window + 1); j++) {
      if (bUsed[j] || a[i] !== b[j]) continue;
      aUsed[i] = bUsed[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    if (!aUsed[i]) continue;
    while (!bUsed[j]) j++;
    if (a[i] !== b[j]) transpositions++;
    j++;
  }
  return (matches / a.length + matches / b.length + (matches - transpositions / 2) / matches) / 3;
}

/** The best of `names` for a mistyped `typed` as clap suggests it (strsim's Jaro above 0.7, the first of equals), or undefined. */
function similar<T>(typed: string, candidates: readonly T[], nameOf: (c: T) => string): T | undefined {
  let best: T | undefined;
  let bestScore = 0.7;
  for (const c of candidates) {
    const score = jaro(typed, nameOf(c));
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** clap's refusal of an argument it does not know; `used` are the arguments given before it. */
function unexpected(name: string, cmd: ClapCommand, arg: string, used: readonly ClapArg[] = []): string {
  const long = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : null;
  const best =
    long === null
      ? undefined
      : similar(
          long,
          allArgs(cmd).filter((a) => a.long !== ''),
          (a) => a.long,
        );
  const tip =
    best !== undefined
      ? `  tip: a similar argument exists: '--${best.long}'\n`
      : // clap offers `--` only to a command that takes an operand it could be meant for.
        arg.startsWith('-') && (cmd.operand !== undefined || cmd.dummyOperand === true)
        ? `  tip: to pass '${arg}' as a value, use '-- ${arg}'\n`
        : '';
  // A mistyped long option: the usage names the arguments given and the one suggested; a short
  // one gets the help's usage (parser.rs: did_you_mean_error against parse_short_arg's error).
  const usage =
    long === null ? usageLine(name, cmd) : usageLine(name, cmd, best === undefined ? used : [...used, best]);
  return `error: unexpected argument '${arg}' found\n\n${tip === '' ? '' : `${tip}\n`}${usage}${MORE}`;
}

/** Why Rust's `str::parse` of an unsigned integer of `bits` refuses `value`, in its words, or null. */
export function rustUintError(value: string, bits: 32 | 64): string | null {
  if (value === '') return 'cannot parse integer from empty string';
  if (!/^\+?[0-9]+$/.test(value)) return 'invalid digit found in string';
  return BigInt(value) >= 1n << BigInt(bits) ? 'number too large to fit in target type' : null;
}

/**
 * Why clap's `value_parser!(u32)` refuses `value`: it parses an i64 and then checks the range, so
 * a number past u32 is "not in 0..=4294967295" unless it is past i64 too.
 */
export function clapU32Error(value: string): string | null {
  const why = rustUintError(value, 64);
  if (why !== null) return why;
  const n = BigInt(value);
  if (n >= 1n << 63n) return 'number too large to fit in target type';
  return n >= 1n << 32n ? `${n} is not in 0..=4294967295` : null;
}

/** Why Rust's `str::parse::<u64>` refuses `value`, or null when it parses. */
export const rustU64Error = (value: string): string | null => rustUintError(value, 64);

/** clap's refusal of an option given no value, with the values it takes where it lists them. */
function valueRequired(a: ClapArg): string {
  const possible = a.possible === undefined ? '' : `  [possible values: ${a.possible.join(', ')}]\n`;
  return `error: a value is required for '${shown(a)}' but none was supplied\n${possible}${MORE}`;
}

/** Checks a value as clap's value parser does; the refusal, or null. */
function badValue(a: ClapArg, value: string): string | null {
  const why = a.numeric === true ? rustU64Error(value) : (a.parse?.(value) ?? null);
  if (why !== null) return `error: invalid value '${value}' for '${shown(a)}': ${why}\n${MORE}`;
  if (a.possible === undefined || a.possible.includes(value)) return null;
  // clap's invalid_value turns an empty value into empty_value (seen with `thin_dump --format=`).
  if (value === '') return valueRequired(a);
  const near = similar(value, a.possible, (p) => p);
  const tip = near === undefined ? '' : `\n  tip: a similar value exists: '${near}'\n`;
  return `error: invalid value '${value}' for '${shown(a)}'\n  [possible values: ${a.possible.join(', ')}]\n${tip}${MORE}`;
}

/** The state of one parse: the options read so far, the arguments given, an option awaiting its value. */
class ClapParse {
  readonly options: ParsedOption[] = [];
  /** Each argument given, once, in the order first given (clap's ArgMatcher). */
  readonly given: ClapArg[] = [];
  readonly operands: string[] = [];
  readonly operandIndices: number[] = [];
  /** An option whose value was not next (the next word looked like an option): clap's pending value. */
  pending: ClapArg | null = null;

  constructor(
    readonly name: string,
    readonly cmd: ClapCommand,
  ) {}

  fail(message: string): ClapResult {
    return { ok: false, message };
  }

  /**
   * An argument met (clap's react): an option still awaiting its value fails first; -h ends the
   * parse with the help; a second Set or SetTrue argument is refused before its value is read
   * (seen with `--override-mapping-root 5 --override-mapping-root x`); then the value is checked.
   */
  take(a: ClapArg, value: string | undefined, at?: ArgPosition): ClapResult | null {
    if (this.pending !== null) return this.fail(valueRequired(this.pending));
    if (a === HELP_ARG) return { ok: 'help' };
    if (a.multiple !== true && this.given.includes(a))
      return this.fail(
        `error: the argument '${shown(a)}' cannot be used multiple times\n\n${usageLine(this.name, this.cmd)}${MORE}`,
      );
    for (const piece of value === undefined ? [] : a.delimiter === undefined ? [value] : value.split(a.delimiter)) {
      const bad = badValue(a, piece);
      if (bad !== null) return this.fail(bad);
    }
    this.options.push({ key: a.key, arg: value, ...(at === undefined ? {} : { at }) });
    if (!this.given.includes(a)) this.given.push(a);
    return null;
  }

  /**
   * An option that needs a value and has none attached takes the next word, unless that looks
   * like an option (`-q`, `--`, `-5`; a lone `-` is a value): then the value is pending, and the
   * next argument met fails for it (`thin_dump -o -q x`: a value is required for '--output <FILE>').
   */
  takeNext(a: ClapArg, args: readonly string[], i: number): { result: ClapResult | null; next: number } {
    if (this.pending !== null) return { result: this.fail(valueRequired(this.pending)), next: i };
    const word = args[i + 1];
    if (word === undefined || (word.startsWith('-') && word !== '-')) {
      this.pending = a;
      return { result: null, next: i };
    }
    return { result: this.take(a, word, { index: i + 1, offset: 0 }), next: i + 1 };
  }
}

/** Parses `args` as the 1.1.0 tool `name` does. */
export function parseClap(name: string, cmd: ClapCommand, args: readonly string[]): ClapResult {
  const all = allArgs(cmd);
  const p = new ClapParse(name, cmd);
  // After `--` every word is a positional.
  let trailing = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' && !trailing) {
      if (p.pending !== null) return p.fail(valueRequired(p.pending));
      trailing = true;
      continue;
    }
    let step: { result: ClapResult | null; next: number };
    if (!trailing && arg.startsWith('--')) step = longArg(p, all, args, i);
    else if (!trailing && arg.startsWith('-') && arg.length > 1) step = shortArgs(p, all, args, i);
    else {
      if ((cmd.operand === undefined && cmd.dummyOperand !== true) || p.operands.length > 0)
        return p.fail(`error: unexpected argument '${arg}' found\n\n${usageLine(name, cmd)}${MORE}`);
      p.operands.push(arg);
      p.operandIndices.push(i);
      continue;
    }
    if (step.result !== null) return step.result;
    i = step.next;
  }
  if (p.pending !== null) return p.fail(valueRequired(p.pending));
  return finish(p);
}

/** One `--long` or `--long=value` at `args[i]`. */
function longArg(p: ClapParse, all: readonly ClapArg[], args: readonly string[], i: number) {
  const arg = args[i]!;
  const eq = arg.indexOf('=');
  const long = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
  const a = all.find((c) => (c.long !== '' && c.long === long) || c.aliases?.includes(long) === true);
  if (a === undefined) return { result: p.fail(unexpected(p.name, p.cmd, arg, p.given)), next: i };
  const value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
  if (a.value === undefined && value !== undefined) {
    // parser.rs: the usage names the arguments given that are not required, and this one.
    const used = [...p.given.filter((g) => g.required !== true), a];
    return {
      result: p.fail(
        `error: unexpected value '${value}' for '--${a.long}' found; no more were expected\n\n${usageLine(p.name, p.cmd, used)}${MORE}`,
      ),
      next: i,
    };
  }
  if (a.value !== undefined && value === undefined && a.optionalValue !== true) return p.takeNext(a, args, i);
  return { result: p.take(a, value, eq < 0 ? undefined : { index: i, offset: eq + 1 }), next: i };
}

/** A cluster of short options at `args[i]` (`-qr`, `-o FILE`, `-oFILE`, `-o=FILE`, `-m=5`). */
function shortArgs(p: ClapParse, all: readonly ClapArg[], args: readonly string[], i: number) {
  const arg = args[i]!;
  for (let j = 1; j < arg.length; j++) {
    const a = all.find((c) => c.short === arg[j]);
    if (a === undefined) return { result: p.fail(unexpected(p.name, p.cmd, `-${arg[j]}`)), next: i };
    const rest = arg.slice(j + 1);
    // A flag, or an optional value without `=` (`-m5` is -m and then -5): the next letter is an option.
    if (a.value === undefined || (a.optionalValue === true && !rest.startsWith('='))) {
      const r = p.take(a, undefined);
      if (r !== null) return { result: r, next: i };
      continue;
    }
    if (rest === '') return p.takeNext(a, args, i);
    // The rest of the word is the value, less one `=` (`-o=` gives the empty value).
    const at: ArgPosition = { index: i, offset: j + 1 + (rest.startsWith('=') ? 1 : 0) };
    return { result: p.take(a, rest.replace(/^=/, ''), at), next: i };
  }
  return { result: null, next: i };
}

/**
 * After the arguments are read, as clap's validator orders it: -V with anything else (exclusive),
 * then -V alone, then arguments that conflict, then what is required and missing.
 */
function finish(p: ClapParse): ClapResult {
  const { name, cmd, options, operands } = p;
  if (p.given.includes(VERSION_ARG)) {
    if (p.given.length + (operands.length > 0 ? 1 : 0) > 1)
      return p.fail(
        `error: the argument '--version' cannot be used with one or more of the other specified arguments\n\n${usageLine(name, cmd)}${MORE}`,
      );
    return { ok: 'version' };
  }
  const conflict = conflictError(name, cmd, options);
  if (conflict !== null) return { ok: false, message: conflict };
  const missing = cmd.args.filter((a) => a.required === true && !options.some((o) => o.key === a.key)).map(shown);
  if (cmd.operand !== undefined && operands.length === 0) missing.push(cmd.operand);
  if (missing.length === 0) return { ok: true, options, operands, operandIndices: p.operandIndices };
  return {
    ok: false,
    message: `error: the following required arguments were not provided:\n${missing.map((m) => `  ${m}\n`).join('')}\nUsage: ${[name, ...requiredParts(cmd)].join(' ')}\n${MORE}`,
  };
}

/**
 * clap's refusal of two arguments that conflict, or null: the first argument given that has a
 * partner among the others is named with that partner, and the usage line lists the arguments
 * given (each once, in the order given, the partner left out) before the operand. Taken from the
 * real 1.1.0's thin_delta (`--root1 5 --thin1 0 --root2 7` names --root1 first, and its usage
 * `thin_delta --root1 <BLOCKNR> --root2 <BLOCKNR> <INPUT>`).
 */
function conflictError(name: string, cmd: ClapCommand, options: readonly ParsedOption[]): string | null {
  const given = [...new Set(options.map((o) => o.key))];
  const byKey = (key: string): ClapArg => cmd.args.find((a) => a.key === key)!;
  for (const key of given) {
    const pair = cmd.conflicts?.find(([a, b]) => (a === key && given.includes(b)) || (b === key && given.includes(a)));
    if (pair === undefined) continue;
    const partner = pair[0] === key ? pair[1] : pair[0];
    const used = given.filter((k) => k !== partner).map((k) => shown(byKey(k)));
    const usage = [name, ...used, ...(cmd.operand === undefined ? [] : [cmd.operand])].join(' ');
    return `error: the argument '${shown(byKey(key))}' cannot be used with '${shown(byKey(partner))}'\n\nUsage: ${usage}\n${MORE}`;
  }
  return null;
}

/**
 * Where the arguments that name files are, as 1.1.0 parses the command line: the values of its
 * path options and its operand (the metadata, for every 1.1.0 tool that takes one). Null when the
 * tool would refuse the command line (or only print its help or version) before touching a file.
 */
export function clapPathPositions(name: string, cmd: ClapCommand, args: readonly string[]): ArgPosition[] | null {
  const parsed = parseClap(name, cmd, args);
  if (parsed.ok !== true) return null;
  const pathKeys = new Set(cmd.args.filter((a) => a.path === true).map((a) => a.key));
  const positions: ArgPosition[] = [];
  for (const o of parsed.options) if (pathKeys.has(o.key) && o.at !== undefined) positions.push(o.at);
  const first = parsed.operandIndices[0];
  if (cmd.operand !== undefined && first !== undefined) positions.push({ index: first, offset: 0 });
  return positions;
}
