/**
 * glibc's getopt_long as the C tools the lab models call it (dmsetup, LVM): long options by name or
 * unique prefix, `--name=value` or `--name value`, clusters of short options (`-vv`, `-ay`,
 * `-ofields`), `--` ending the options, options anywhere among the words. Its complaints are
 * glibc's words, without the program's name, which the caller puts in front with its own ending
 * (`Couldn't process command line.`, `Error during parsing of command line.`).
 */

/** A long option of the table, `--name`, and whether it takes an argument. */
export interface LongOption {
  readonly long: string;
  readonly takesValue: boolean;
}

/** A short option, `-c`: the long option it counts as, and whether it takes an argument. */
export interface ShortOption {
  readonly short: string;
  readonly long: string;
  readonly takesValue: boolean;
}

/** An option met on the line: the long option it counts as, its argument ('' for none), and how the line spelled it. */
export interface OptionMet {
  readonly long: string;
  readonly value: string;
  readonly spelled: string;
}

export interface GetoptLongSettings {
  /** How a typed `--name` is read before matching (lvm2 drops dashes inside a name); as typed by default. */
  readonly normalise?: (typed: string) => string;
  /** Called for each option as it is met, in order: it may throw its own error there (lvm2's repeats). */
  readonly onOption?: (met: OptionMet) => void;
}

/** What getopt_long read: the options met and the other words, or its complaint about the first bad option. */
export type GetoptLongResult =
  | { readonly met: readonly OptionMet[]; readonly words: string[] }
  | { readonly error: string };

/**
 * Reads `argv` with the long options in `longs` (an ambiguous prefix lists its possibilities in
 * that order) and the short ones in `shorts`.
 */
export function getoptLong(
  argv: readonly string[],
  longs: readonly LongOption[],
  shorts: readonly ShortOption[],
  settings: GetoptLongSettings = {},
): GetoptLongResult {
  const met: OptionMet[] = [];
  const words: string[] = [];
  const take = (m: OptionMet): void => {
    settings.onOption?.(m);
    met.push(m);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    const r = a.startsWith('--')
      ? longOption(a, argv[i + 1], longs, settings.normalise ?? ((t) => t), take)
      : a.startsWith('-') && a !== '-'
        ? shortCluster(a, argv[i + 1], shorts, take)
        : null;
    if (r === null) words.push(a);
    else if (typeof r === 'string') return { error: r };
    else if (r.usedNext) i++;
  }
  return { met, words };
}

type OptionRead = { readonly usedNext: boolean } | string;

/** `--name`, `--name=value` or `--name value`, where name may be a unique prefix. */
function longOption(
  arg: string,
  next: string | undefined,
  longs: readonly LongOption[],
  normalise: (typed: string) => string,
  take: (m: OptionMet) => void,
): OptionRead {
  const eq = arg.indexOf('=');
  const given = normalise(arg.slice(0, eq < 0 ? undefined : eq));
  const prefixed = longs.filter((o) => o.long.startsWith(given));
  const found = longs.find((o) => o.long === given) ?? (prefixed.length === 1 ? prefixed[0] : undefined);
  if (found === undefined && prefixed.length > 1)
    return `option '${given}' is ambiguous; possibilities:${prefixed.map((o) => ` '${o.long}'`).join('')}`;
  if (found === undefined) return `unrecognized option '${arg}'`;
  const { long, takesValue } = found;
  if (!takesValue && eq >= 0) return `option '${long}' doesn't allow an argument`;
  if (!takesValue || eq >= 0) {
    take({ long, value: eq >= 0 ? arg.slice(eq + 1) : '', spelled: long });
    return { usedNext: false };
  }
  if (next === undefined) return `option '${long}' requires an argument`;
  take({ long, value: next, spelled: long });
  return { usedNext: true };
}

/** A cluster of short options: flags in a row, the first that takes a value takes the rest or the next word. */
function shortCluster(
  arg: string,
  next: string | undefined,
  shorts: readonly ShortOption[],
  take: (m: OptionMet) => void,
): OptionRead {
  for (let k = 1; k < arg.length; k++) {
    const c = arg[k]!;
    const found = shorts.find((o) => o.short === `-${c}`);
    if (found === undefined) return `invalid option -- '${c}'`;
    const { long, takesValue, short } = found;
    if (!takesValue) {
      take({ long, value: '', spelled: short });
      continue;
    }
    const glued = arg.slice(k + 1);
    if (glued !== '') {
      take({ long, value: glued, spelled: short });
      return { usedNext: false };
    }
    if (next === undefined) return `option requires an argument -- '${c}'`;
    take({ long, value: next, spelled: short });
    return { usedNext: true };
  }
  return { usedNext: false };
}
