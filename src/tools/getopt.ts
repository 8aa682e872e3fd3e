/**
 * A small copy of glibc's getopt_long, because the thin-provisioning-tools parse their arguments
 * with it and their behaviour on odd command lines (permuted operands, abbreviated long options,
 * optional arguments that must be attached, the error wording) comes from glibc, not the tools.
 */

/** How a long option takes its argument, as in `struct option`. */
export type ArgKind = 'none' | 'required' | 'optional';

export interface LongOption {
  readonly name: string;
  readonly arg: ArgKind;
  /** What the option reports as, so that `--quiet` and `-q` can share a key. */
  readonly key: string;
}

/** Where a value sits on the command line: the argument's index and the offset of the value in it. */
export interface ArgPosition {
  readonly index: number;
  readonly offset: number;
}

export interface ParsedOption {
  readonly key: string;
  readonly arg: string | undefined;
  /** Where `arg` was found (`--output=f` and `-of` hold it inside the option's own argument). */
  readonly at?: ArgPosition;
}

export type GetoptResult =
  | {
      readonly ok: true;
      readonly options: ParsedOption[];
      readonly operands: string[];
      /** The index in `args` of each operand, in the order of `operands`. */
      readonly operandIndices: number[];
    }
  /** `message` is glibc's own line on stderr; the tool then prints its usage and fails. */
  | { readonly ok: false; readonly message: string };

/** Parses a short option string such as "hm::o:" into argument kinds by letter. */
function shortKinds(spec: string): Map<string, ArgKind> {
  const kinds = new Map<string, ArgKind>();
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (spec[i + 1] === ':' && spec[i + 2] === ':') {
      kinds.set(c, 'optional');
      i += 2;
    } else if (spec[i + 1] === ':') {
      kinds.set(c, 'required');
      i += 1;
    } else kinds.set(c, 'none');
  }
  return kinds;
}

/**
 * Parses `args` like getopt_long with the default (permuting) ordering: options and operands may
 * be mixed, `--` ends the options, and a long option may be abbreviated to any unique prefix.
 */
export function getoptLong(
  prog: string,
  args: readonly string[],
  shortSpec: string,
  longs: readonly LongOption[],
): GetoptResult {
  const kinds = shortKinds(shortSpec);
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const operandIndices: number[] = [];
  const fail = (message: string): GetoptResult => ({ ok: false, message: `${prog}: ${message}\n` });
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      for (let k = i + 1; k < args.length; k++) {
        operands.push(args[k]!);
        operandIndices.push(k);
      }
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const exact = longs.find((l) => l.name === name);
      const candidates = exact !== undefined ? [exact] : longs.filter((l) => l.name.startsWith(name));
      // Several names for the same option (--thin1 and --snap1) are not an ambiguity in glibc
      // only when they are identical entries; different keys are.
      const distinct = new Set(candidates.map((c) => `${c.key}/${c.arg}`));
      if (candidates.length === 0) return fail(`unrecognized option '--${name}'`);
      if (distinct.size > 1) {
        return fail(
          `option '--${name}' is ambiguous; possibilities:${candidates.map((c) => ` '--${c.name}'`).join('')}`,
        );
      }
      const opt = candidates[0]!;
      if (eq >= 0) {
        if (opt.arg === 'none') return fail(`option '--${opt.name}' doesn't allow an argument`);
        options.push({ key: opt.key, arg: a.slice(eq + 1), at: { index: i, offset: eq + 1 } });
      } else if (opt.arg === 'required') {
        if (i + 1 >= args.length) return fail(`option '--${opt.name}' requires an argument`);
        i++;
        options.push({ key: opt.key, arg: args[i]!, at: { index: i, offset: 0 } });
      } else options.push({ key: opt.key, arg: undefined });
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const kind = kinds.get(c);
        if (kind === undefined) return fail(`invalid option -- '${c}'`);
        if (kind === 'none') {
          options.push({ key: c, arg: undefined });
          continue;
        }
        const rest = a.slice(j + 1);
        if (rest !== '') options.push({ key: c, arg: rest, at: { index: i, offset: j + 1 } });
        else if (kind === 'optional') options.push({ key: c, arg: undefined });
        else if (i + 1 < args.length) {
          i++;
          options.push({ key: c, arg: args[i]!, at: { index: i, offset: 0 } });
        } else return fail(`option requires an argument -- '${c}'`);
        break;
      }
      continue;
    }
    operands.push(a);
    operandIndices.push(i);
  }
  return { ok: true, options, operands, operandIndices };
}
