/**
 * The command-line parsing of thin-provisioning-tools 1.1.0, which is clap 4 (Rust), not glibc's
 * getopt: no abbreviated long options, a "similar argument" tip instead, required options and
 * operands checked after -h and -V, values checked as they are read, and every refusal worded as
 * clap words it with status 2. The texts were taken from the real 1.1.0 binary (docs/tools.md).
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
  /** It may be given more than once, each value kept (clap's `ArgAction::Append`: thin_rmap's --region). */
  readonly multiple?: boolean;
  /** An option with a value that clap refuses twice (`ArgAction::Set`: thin_delta's --thin1 and --root1). */
  readonly once?: boolean;
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
  readonly help: string;
  /** Pairs of argument keys that clap refuses together (`conflicts_with`: thin_delta's --thin1 and --root1). */
  readonly conflicts?: readonly (readonly [string, string])[];
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
export const VERBOSE_ARG_1X: ClapArg = { long: '', short: 'v', key: 'v', multiple: true };

const HELP_ARG: ClapArg = { long: 'help', short: 'h', key: 'h' };
const VERSION_ARG: ClapArg = { long: 'version', short: 'V', key: 'V' };

const allArgs = (cmd: ClapCommand): ClapArg[] => [...cmd.args, HELP_ARG, VERSION_ARG];

const shown = (a: ClapArg): string => (a.value === undefined ? `--${a.long}` : `--${a.long} ${a.value}`);

/** The Usage line of an error: the one of the help text, or clap's shorter one naming `used`. */
function usageLine(name: string, cmd: ClapCommand, used?: ClapArg): string {
  if (used === undefined || used.hidden === true) {
    const line = cmd.help.split('\n').find((l) => l.startsWith('Usage: '));
    return `${line ?? `Usage: ${name}`}\n`;
  }
  return `Usage: ${[name, shown(used), ...requiredParts(cmd)].join(' ')}\n`;
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

function unexpected(name: string, cmd: ClapCommand, arg: string): string {
  const long = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : null;
  let best: ClapArg | undefined;
  let bestScore = 0.7;
  if (long !== null) {
    for (const a of allArgs(cmd)) {
      if (a.long === '') continue;
      const score = jaro(long, a.long);
      if (score > bestScore) {
        best = a;
        bestScore = score;
      }
    }
  }
  const tip =
    best !== undefined
      ? `  tip: a similar argument exists: '--${best.long}'\n`
      : // clap offers `--` only to a command that takes an operand it could be meant for.
        arg.startsWith('-') && cmd.operand !== undefined
        ? `  tip: to pass '${arg}' as a value, use '-- ${arg}'\n`
        : '';
  return `error: unexpected argument '${arg}' found\n\n${tip === '' ? '' : `${tip}\n`}${usageLine(name, cmd, best)}${MORE}`;
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

/** Checks a value as clap's value parser does; the refusal, or null. */
function badValue(a: ClapArg, value: string): string | null {
  // An optional value shows as `--numeric-only[=<OPT>]` (seen with thin_metadata_size -n=x).
  const what = a.optionalValue === true ? `'--${a.long}[=${a.value}]'` : `'--${a.long} ${a.value}'`;
  const why = a.numeric === true ? rustU64Error(value) : (a.parse?.(value) ?? null);
  if (why !== null) return `error: invalid value '${value}' for ${what}: ${why}\n${MORE}`;
  if (a.possible !== undefined && !a.possible.includes(value))
    return `error: invalid value '${value}' for ${what}\n  [possible values: ${a.possible.join(', ')}]\n${MORE}`;
  return null;
}

/**
 * Whether clap refuses `a` given twice: a flag or a required option (seen with -q -q, --input
 * twice, --pool-size twice) or one marked `once`; another option with a value takes the last one
 * (seen with --dev-id); -h and -V may repeat.
 */
function refusedTwice(a: ClapArg): boolean {
  if (a.once === true) return true;
  return (a.value === undefined || a.required === true) && a.multiple !== true && a !== HELP_ARG && a !== VERSION_ARG;
}

/** Parses `args` as the 1.1.0 tool `name` does. */
export function parseClap(name: string, cmd: ClapCommand, args: readonly string[]): ClapResult {
  const all = allArgs(cmd);
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const operandIndices: number[] = [];
  const fail = (message: string): ClapResult => ({ ok: false, message });
  const take = (a: ClapArg, value: string | undefined, at?: ArgPosition): ClapResult | null => {
    if (refusedTwice(a) && options.some((o) => o.key === a.key))
      return fail(`error: the argument '${shown(a)}' cannot be used multiple times\n\n${usageLine(name, cmd)}${MORE}`);
    if (value !== undefined) {
      const bad = badValue(a, value);
      if (bad !== null) return fail(bad);
    }
    options.push({ key: a.key, arg: value, ...(at === undefined ? {} : { at }) });
    return null;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      for (let k = i + 1; k < args.length; k++) {
        operands.push(args[k]!);
        operandIndices.push(k);
      }
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const long = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const a = all.find((c) => (c.long !== '' && c.long === long) || c.aliases?.includes(long) === true);
      if (a === undefined) return fail(unexpected(name, cmd, arg));
      let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
      let at: ArgPosition | undefined = eq < 0 ? undefined : { index: i, offset: eq + 1 };
      if (a.value === undefined && value !== undefined)
        return fail(
          `error: unexpected value '${value}' for '--${a.long}' found; no more were expected\n\n${usageLine(name, cmd, a)}${MORE}`,
        );
      if (a.value !== undefined && value === undefined && a.optionalValue !== true) {
        if (i + 1 >= args.length)
          return fail(`error: a value is required for '${shown(a)}' but none was supplied\n${MORE}`);
        value = args[++i]!;
        at = { index: i, offset: 0 };
      }
      const r = take(a, value, at);
      if (r !== null) return r;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const a = all.find((c) => c.short === arg[j]);
        if (a === undefined) return fail(unexpected(name, cmd, `-${arg[j]}`));
        if (a.value === undefined) {
          const r = take(a, undefined);
          if (r !== null) return r;
          continue;
        }
        const rest = arg.slice(j + 1);
        // An optional value is attached with `=` only (`-m=5`); `-m5` is -m and then -5.
        if (a.optionalValue === true && !rest.startsWith('=')) {
          const r = take(a, undefined);
          if (r !== null) return r;
          continue;
        }
        let value: string | undefined = rest.replace(/^=/, '');
        let at: ArgPosition = { index: i, offset: j + 1 + (rest.startsWith('=') ? 1 : 0) };
        if (value === '' && a.optionalValue !== true) {
          if (i + 1 >= args.length)
            return fail(`error: a value is required for '${shown(a)}' but none was supplied\n${MORE}`);
          value = args[++i]!;
          at = { index: i, offset: 0 };
        }
        const r = take(a, value === '' ? undefined : value, at);
        if (r !== null) return r;
        break;
      }
      continue;
    }
    if (cmd.operand === undefined || operands.length > 0)
      return fail(`error: unexpected argument '${arg}' found\n\n${usageLine(name, cmd)}${MORE}`);
    operands.push(arg);
    operandIndices.push(i);
  }
  return finish(name, cmd, { ok: true, options, operands, operandIndices });
}

/** After the arguments are read: -h, then -V, then what is required and missing, as clap orders them. */
function finish(name: string, cmd: ClapCommand, parsed: ClapResult & { ok: true }): ClapResult {
  const { options, operands } = parsed;
  if (options.some((o) => o.key === 'h')) return { ok: 'help' };
  if (options.some((o) => o.key === 'V')) return { ok: 'version' };
  const conflict = conflictError(name, cmd, options);
  if (conflict !== null) return { ok: false, message: conflict };
  const missing = cmd.args.filter((a) => a.required === true && !options.some((o) => o.key === a.key)).map(shown);
  if (cmd.operand !== undefined && operands.length === 0) missing.push(cmd.operand);
  if (missing.length === 0) return parsed;
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
