/**
 * The preamble every thin tool of 0.9.0 shares, declared once: its name, its options (short and
 * long, with or without a value), its usage text and version. The command line is parsed with
 * getopt_long's behaviour (getopt.ts); a refused option prints glibc's line and then the usage on
 * stderr, status 1; -h and -V print the usage or the version on stdout, status 0. Options are
 * handed to the tool one by one in command-line order, because 0.9.0 acts on each as getopt
 * returns it: `thin_dump --dev-id x -h` fails on the dev-id before it sees -h.
 */
import type { ArgKind, ArgPosition, LongOption } from './getopt.js';
import { getoptLong } from './getopt.js';
import type { ToolEnv } from './tool-io.js';
import { TOOLS_VERSION } from './usage.js';

/**
 * One entry of the tool's long option table, in the table's order (glibc lists the candidates of
 * an ambiguous abbreviation in that order). `short` is the option's letter when it has one; the
 * option reports as its letter, else as `key`, else as its long name.
 */
export interface ToolOption {
  readonly long: string;
  readonly short?: string;
  readonly key?: string;
  /** How it takes a value: none (the default), required, or optional (attached only). */
  readonly arg?: ArgKind;
  /** Its value names a file the tool reads or writes (thin_dump's -o; not thin_ls's -o, its columns). */
  readonly path?: boolean;
}

/** What a tool does once its preamble is done, for one run. */
export interface ToolRun {
  /** Acts on one option; a number ends the tool at once with that status. */
  option?(key: string, arg: string | undefined): number | undefined;
  /** Runs with the operands left after the options. */
  run(operands: readonly string[]): number;
}

export interface ToolDefinition {
  readonly name: string;
  readonly options: readonly ToolOption[];
  readonly usage: string;
  /** Printed by -V; the tools' release by default. */
  readonly version?: string;
  /** Whether glibc's complaint about a bad option is followed by the usage (all but thin_metadata_size). */
  readonly usageAfterBadOption?: boolean;
  /** Whether the first operand names the metadata the tool reads (the others are ignored, as in 0.9.0). */
  readonly pathOperand?: boolean;
  /**
   * Starts a run. `usageError(message)` prints the message, a newline and the usage on stderr and
   * gives status 1, as the tools do when an operand is missing.
   */
  start(env: ToolEnv, usageError: (message: string) => number): ToolRun;
}

/**
 * A tool as the shell calls it: its environment and its arguments, then the exit status; its
 * definition goes with it, so that a caller can tell which arguments name files.
 */
export type ThinTool = ((env: ToolEnv, args: readonly string[]) => number) & {
  readonly definition: ToolDefinition;
};

const keyOf = (o: ToolOption): string => o.short ?? o.key ?? o.long;

/** The short option string getopt_long wants ("hm::o:"), from the options that have a letter. */
function shortSpec(options: readonly ToolOption[]): string {
  const suffix = { none: '', required: ':', optional: '::' } as const;
  const seen = new Set<string>();
  let spec = '';
  for (const o of options) {
    if (o.short === undefined || seen.has(o.short)) continue;
    seen.add(o.short);
    spec += o.short + suffix[o.arg ?? 'none'];
  }
  return spec;
}

const longOptions = (options: readonly ToolOption[]): LongOption[] =>
  options.map((o) => ({ name: o.long, arg: o.arg ?? 'none', key: keyOf(o) }));

/**
 * Where the arguments that name files are, parsed as the tool parses them: the values of its path
 * options and its first operand when it reads one. Null when the tool would refuse the command
 * line before touching any file. `thin_delta --snap2 1 meta.img`: only meta.img is a path.
 */
export function pathPositions(definition: ToolDefinition, args: readonly string[]): ArgPosition[] | null {
  const parsed = getoptLong(definition.name, args, shortSpec(definition.options), longOptions(definition.options));
  if (!parsed.ok) return null;
  const pathKeys = new Set(definition.options.filter((o) => o.path === true).map(keyOf));
  const positions: ArgPosition[] = [];
  for (const o of parsed.options) if (pathKeys.has(o.key) && o.at !== undefined) positions.push(o.at);
  const first = parsed.operandIndices[0];
  if (definition.pathOperand === true && first !== undefined) positions.push({ index: first, offset: 0 });
  return positions;
}

export function defineTool(definition: ToolDefinition): ThinTool {
  const shorts = shortSpec(definition.options);
  const longs = longOptions(definition.options);
  const version = definition.version ?? TOOLS_VERSION;
  const usageAfterBadOption = definition.usageAfterBadOption ?? true;
  const tool = (env: ToolEnv, args: readonly string[]): number => {
    const { io } = env;
    const parsed = getoptLong(definition.name, args, shorts, longs);
    if (!parsed.ok) {
      io.err(usageAfterBadOption ? parsed.message + definition.usage : parsed.message);
      return 1;
    }
    const usageError = (message: string): number => {
      io.err(`${message}\n${definition.usage}`);
      return 1;
    };
    const run = definition.start(env, usageError);
    for (const o of parsed.options) {
      if (o.key === 'h') {
        io.out(definition.usage);
        return 0;
      }
      if (o.key === 'V') {
        io.out(`${version}\n`);
        return 0;
      }
      const status = run.option?.(o.key, o.arg);
      if (status !== undefined) return status;
    }
    return run.run(parsed.operands);
  };
  return Object.assign(tool, { definition });
}
