/**
 * The preamble every thin tool shares, declared once per tool for each release: its name, its
 * options, its usage text and version.
 *
 * 0.9.0 (debian12): the command line is parsed with getopt_long's behaviour (getopt.ts); a refused
 * option prints glibc's line and then the usage on stderr, status 1; -h and -V print the usage or
 * the version on stdout, status 0. Options are handed to the tool one by one in command-line order,
 * because 0.9.0 acts on each as getopt returns it: `thin_dump --dev-id x -h` fails on the dev-id
 * before it sees -h.
 *
 * 1.1.0 (debian13): the command line is clap's (clap.ts, the tool's `v1.cli`): refusals with
 * status 2, -h before -V before missing arguments. The run is the same tool code, which asks
 * `env.release` where 1.1.0 behaves differently. A tool whose 1.1.0 run the lab does not model
 * (`v1.runs: false`), and any failure still worded as 0.9.0 words it (status 1, which 1.1.0 never
 * gives), is refused by name instead of printing 0.9.0's text under 1.1.0's name.
 */
import { InvariantViolation } from '../model/assert.js';
import { type ClapCommand, parseClap } from './clap.js';
import type { ArgKind, ArgPosition, LongOption } from './getopt.js';
import { getoptLong } from './getopt.js';
import { type ToolsRelease, toolsReleaseOf } from './release.js';
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

/** A tool as 1.1.0 has it: its command line, and whether the lab models what it then does. */
export interface ToolDefinition1x {
  readonly cli: ClapCommand;
  /** False: only the command line (-h, -V, refusals) is modelled, and a run is refused by name. */
  readonly runs: boolean;
}

export interface ToolDefinition {
  readonly name: string;
  /** Its 1.1.0 form (debian13); a tool without one is not in 1.1.0. */
  readonly v1?: ToolDefinition1x;
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

/** The status the lab gives a run it refuses to model (as for any command it does not model). */
export const NOT_MODELLED_STATUS = 127;

/** The refusal for a 1.1.0 run the lab does not model, naming what was asked. */
export function notModelled1x(name: string, what: string): string {
  return `thinlab: not modelled: ${name} of thin-provisioning-tools 1.1.0 (stack debian13): ${what}; see docs/tools.md\n`;
}

/**
 * Output held back until a 1.1.0 run ends, in the order it was written, so that a run that turns
 * out to take a 0.9.0-worded path prints nothing of it.
 */
function heldIo(io: ToolEnv['io']): { io: ToolEnv['io']; flush(): void } {
  const held: { stream: 'out' | 'err'; data: Uint8Array | string }[] = [];
  return {
    io: {
      get stdin() {
        return io.stdin;
      },
      out: (data) => {
        held.push({ stream: 'out', data });
        return true;
      },
      err: (data) => {
        held.push({ stream: 'err', data });
      },
    },
    flush: () => {
      for (const h of held) h.stream === 'out' ? io.out(h.data) : io.err(h.data as string);
    },
  };
}

function run1x(definition: ToolDefinition, env: ToolEnv, args: readonly string[]): number {
  const v1 = definition.v1;
  const name = definition.name;
  if (v1 === undefined) throw new InvariantViolation(`${name} is not a tool of 1.1.0, yet it ran on debian13`);
  const parsed = parseClap(name, v1.cli, args);
  if (parsed.ok === false) {
    env.io.err(parsed.message);
    return 2;
  }
  if (parsed.ok === 'help' || parsed.ok === 'version') {
    env.io.out(parsed.ok === 'help' ? v1.cli.help : '1.1.0\n');
    return 0;
  }
  if (!v1.runs) {
    env.io.err(notModelled1x(name, 'what it does beyond -h, -V and its command-line checks'));
    return NOT_MODELLED_STATUS;
  }
  const held = heldIo(env.io);
  const usageError = (): number => {
    throw new InvariantViolation(`${name} 1.1.0 asked for 0.9.0's usage error after clap accepted the command line`);
  };
  // The default engine is sync: naming it changes nothing. The others read the same blocks in
  // another way, and each tool looks at the value at its own point (engine.rs parse_engine_opts).
  const engine = parsed.options.find((o) => o.key === 'io-engine');
  if (engine !== undefined && engine.arg !== 'sync') {
    env.io.err(notModelled1x(name, `--io-engine ${engine.arg ?? ''} (the lab models only sync, the default engine)`));
    return NOT_MODELLED_STATUS;
  }
  const run = definition.start({ ...env, io: held.io, release: '1.1.0' }, usageError);
  let status: number | undefined;
  for (const o of parsed.options) {
    if (o.key === 'io-engine') continue;
    status = run.option?.(o.key, o.arg);
    if (status !== undefined) break;
  }
  status ??= run.run(parsed.operands);
  if (status === 1) {
    env.io.err(notModelled1x(name, `how it reports this failure (the lab has only 0.9.0's words for it)`));
    return NOT_MODELLED_STATUS;
  }
  held.flush();
  return status;
}

/** The release a tool runs as in this lab. */
export const releaseOf = (env: ToolEnv): ToolsRelease => env.release ?? toolsReleaseOf(env.ctx.machine.stack);

export function defineTool(definition: ToolDefinition): ThinTool {
  const shorts = shortSpec(definition.options);
  const longs = longOptions(definition.options);
  const version = definition.version ?? TOOLS_VERSION;
  const usageAfterBadOption = definition.usageAfterBadOption ?? true;
  const tool = (env: ToolEnv, args: readonly string[]): number => {
    if (releaseOf(env) === '1.1.0') return run1x(definition, env, args);
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
    const run = definition.start({ ...env, release: '0.9.0' }, usageError);
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
