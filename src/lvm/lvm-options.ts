/**
 * LVM's command lines as lvm2 parses them: each command name is given to getopt_long with the
 * options of its own command definitions (tools/command-lines.in), so an option of another command
 * is as unknown to it as a misspelt one (`vgcreate: unrecognized option '--chunksize'`, status 3).
 * The tables are the real LVMs' (src/lvm/lvm-options-data.ts, generated from their --longhelp and
 * tools/args.h). An option LVM accepts but the lab does not model for that command is refused by
 * name (`thinlab: not modelled: lvs --rows`), never accepted and ignored.
 */
import { CommandFailed, notModelled } from '../lab/command-errors.js';
import { getoptLong, type OptionMet } from '../lab/getopt-long.js';
import { assert } from '../model/assert.js';
import {
  LVM_ARGS_2_03_16,
  LVM_ARGS_ADDED_2_03_31,
  LVM_COMMAND_OPTIONS_2_03_16,
  LVM_COMMAND_OPTIONS_ADDED_2_03_31,
} from './lvm-options-data.js';

const EINVALID_CMD_LINE = 3;

export type LvmVersion = '2.03.16' | '2.03.31';

interface OptionSpec {
  /** `--long`. */
  readonly long: string;
  /** `-c`, when it has one for this command. */
  readonly short?: string;
  readonly takesValue: boolean;
  readonly repeatable: boolean;
}

/**
 * The options each command of the lab models (what its handler reads); `--yes` for every command,
 * as LVM's commands that ask nothing take it and do nothing with it either, and `--version`, which
 * every command answers before it runs (lvm-commands.ts readingLvmConf).
 */
const MODELLED: Readonly<Record<string, string>> = {
  pvcreate: '--force',
  vgcreate: '',
  vgextend: '',
  vgchange: '--activate',
  vgremove: '--force',
  lvcreate:
    '--name --extents --size --virtualsize --thin --thinpool --type --poolmetadatasize --chunksize --zero --wipesignatures --metadataprofile --errorwhenfull',
  lvconvert: '--zero --chunksize --thinpool --poolmetadata --type --repair --swapmetadata',
  lvextend: '--size --extents --poolmetadatasize --usepolicies',
  lvresize: '--size --extents --poolmetadatasize',
  lvchange: '--activate --metadataprofile',
  lvremove: '--force',
  lvs: '--all --options --noheadings --units --nosuffix --separator --aligned --reportformat',
  vgs: '--options --noheadings --units --nosuffix --separator --aligned --reportformat',
  pvs: '--noheadings --units --nosuffix --separator --aligned --reportformat',
  lvrename: '',
  vgrename: '',
  vgcfgbackup: '--file',
  vgcfgrestore: '--file --force',
  // The display commands read these to refuse them as LVM does, or by name (src/lvm/lvm-display.ts).
  lvdisplay: '--all --colon --columns --maps --options --noheadings --units',
  vgdisplay: '--colon --short --columns --units --verbose',
  pvdisplay: '--colon --short --columns --maps --all --units',
  pvremove: '--force',
  vgreduce: '--all --removemissing',
  lvreduce: '--size --extents --force',
};

function argsOf(version: LvmVersion): Map<string, { takesValue: boolean; repeatable: boolean }> {
  const out = new Map<string, { takesValue: boolean; repeatable: boolean }>();
  const entries = version === '2.03.16' ? LVM_ARGS_2_03_16 : [...LVM_ARGS_2_03_16, ...LVM_ARGS_ADDED_2_03_31];
  for (const entry of entries) {
    const m = /^(?:-.\|)?(--[a-z]+)(=?)(\+?)$/.exec(entry);
    assert(m !== null, `lvm-options-data: bad entry ${entry}`);
    const known = out.get(m[1]!);
    // Two of lvm2's options share a long name (--force, --stripes, --cache): either's way serves.
    out.set(m[1]!, {
      takesValue: m[2] === '=' || (known?.takesValue ?? false),
      repeatable: m[3] === '+' || (known?.repeatable ?? false),
    });
  }
  return out;
}

const cache = new Map<string, readonly OptionSpec[]>();

/** The options `command` accepts in that LVM version, as its getopt table. */
export function commandOptions(command: string, version: LvmVersion): readonly OptionSpec[] {
  const key = `${version} ${command}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const listed = LVM_COMMAND_OPTIONS_2_03_16[command];
  assert(listed !== undefined, `lvm-options: no option table for ${command}`);
  const added = version === '2.03.16' ? undefined : LVM_COMMAND_OPTIONS_ADDED_2_03_31[command];
  const args = argsOf(version);
  const words = [...listed.split(' '), ...(added === undefined ? [] : added.split(' '))];
  const specs = words.map((word): OptionSpec => {
    const [short, long] = word.includes('|') ? word.split('|') : [undefined, word];
    const a = args.get(long!);
    assert(a !== undefined, `lvm-options: ${long} is not in args.h ${version}`);
    return { long: long!, ...(short === undefined ? {} : { short }), ...a };
  });
  cache.set(key, specs);
  return specs;
}

export interface ParsedArgs {
  /** The values of each option given, by long name (`''` for one that takes none). */
  readonly options: Map<string, string[]>;
  readonly positional: string[];
}

function parseError(text: string): CommandFailed {
  return new CommandFailed(`${text}\n  Error during parsing of command line.`, EINVALID_CMD_LINE);
}

/**
 * Parses a command line as lvm2 does (getopt_long on the command's own options, lvm2's removal of
 * dashes inside a long name: `--use-policies` is `--usepolicies`), then refuses by name an option
 * the lab does not model for this command.
 */
export function parseLvmArgs(command: string, args: readonly string[], version: LvmVersion): ParsedArgs {
  const specs = commandOptions(command, version);
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const options = new Map<string, string[]>();
  // lvm2 counts each option as getopt_long hands it over, so a repeat fails before a later bad option.
  const onOption = ({ long, value }: OptionMet): void => {
    const spec = byLong.get(long)!;
    const before = options.get(long);
    if (before !== undefined && !spec.repeatable) {
      const name = spec.short === undefined ? spec.long : `${spec.short}/${spec.long}`;
      throw parseError(`  Option ${name} may not be repeated.`);
    }
    options.set(long, [...(before ?? []), value]);
  };
  // lvm2's option table is in name order, and an ambiguous prefix lists its possibilities so.
  const longs = [...specs].sort((x, y) => (x.long < y.long ? -1 : x.long > y.long ? 1 : 0));
  const shorts = specs.flatMap((s) => (s.short === undefined ? [] : [{ ...s, short: s.short }]));
  const read = getoptLong(args, longs, shorts, {
    normalise: (typed) => `--${typed.slice(2).replace(/-/g, '')}`,
    onOption,
  });
  if ('error' in read) throw parseError(`${command}: ${read.error}`);
  refuseUnmodelled(command, options);
  return { options, positional: read.words };
}

function refuseUnmodelled(command: string, options: ReadonlyMap<string, string[]>): void {
  const modelled = new Set(['--yes', '--version', ...(MODELLED[command] ?? '').split(' ')]);
  for (const long of options.keys()) if (!modelled.has(long)) throw notModelled(`${command} ${long}`);
}
