/**
 * dmsetup's command line as its getopt_long reads it (lvm2 libdm/dm-tools/dmsetup.c, 2.03.16 and
 * 2.03.31): every option it knows, long and short, with its argument; unique prefixes of long
 * options, `--name=value`, clustered short options (`-vv`, `-cv`), `--` and options after the
 * command's words. Its own complaints end with `Couldn't process command line.` (exit status 1,
 * fixtures/kernel/207-dmsetup-options). An option dmsetup knows that the lab does not model is
 * refused by name once the whole line has parsed, never taken for an unknown one: a script that
 * uses `--tree` must not learn that dmsetup has no such option.
 */
import type { StackId } from '../model/stack.js';
import { getoptLong, type LongOption, type ShortOption } from './getopt-long.js';

export interface Flags {
  noFlush: boolean;
  table: string | null;
  target: string | null;
  force: boolean;
  noTable: boolean;
  /** `--inactive`: the table loaded but not yet resumed (dmsetup table only). */
  inactive: boolean;
  /** `--deferred` (remove only): remove at the last close when the device is open. */
  deferred: boolean;
  /** `--verifyudev`: libdevmapper checks udev's work and makes, renames or removes the node itself. */
  verifyUdev: boolean;
  /** `--setuuid` (rename only): the new word is the device's UUID. */
  setUuid: boolean;
  /** `-u`/`--uuid UUID`: the UUID create gives the device, or the device other commands act on. */
  uuid: string | null;
  /** `-c`/`-C`/`--columns` (info only): one report line per device. */
  columns: boolean;
  /** `-o`/`--options FIELDS`: the report's fields. */
  fields: string | null;
  /** `--noheadings`: the report without its heading line. */
  noHeadings: boolean;
  /** `-O`/`--sort KEYS`: the report's sort keys. */
  sort: string | null;
  /** `--separator TEXT`: what parts the report's fields (unaligned). */
  separator: string | null;
  /** `--tree` (ls only): the devices as a tree of what each uses. */
  tree: boolean;
  /** `-j`/`--major` and `-m`/`--minor`: the device other commands act on, by number. */
  major: string | null;
  minor: string | null;
  /** How many `-v`/`--verbose` were given. */
  verbose: number;
  /** `--version`: dmsetup runs its `version` command, whatever command is named. */
  version: boolean;
  /** `-h`/`--help`: dmsetup runs its `help` command. */
  help: boolean;
  /** `-r`/`--readonly`: create and load (reload) load their table read-only (DM_READONLY_FLAG). */
  readOnly: boolean;
  /** `-y`/`--yes`: udevcomplete_all asks nothing. */
  yes: boolean;
}

/** dmsetup's long options, each with whether it takes an argument, in its table's order. */
const LONG_OPTIONS_2_03_16: readonly (readonly [string, boolean])[] = [
  ['readonly', false],
  ['alias', true],
  ['alldevices', false],
  ['allprograms', false],
  ['allregions', false],
  ['area', false],
  ['areas', true],
  ['areasize', true],
  ['bounds', true],
  ['checks', false],
  ['clear', false],
  ['columns', false],
  ['concise', false],
  ['count', true],
  ['deferred', false],
  ['select', true],
  ['exec', true],
  ['filemap', false],
  ['follow', true],
  ['force', false],
  ['foreground', false],
  ['gid', true],
  ['group', false],
  ['groupid', true],
  ['help', false],
  ['histogram', false],
  ['inactive', false],
  ['interval', true],
  ['length', true],
  ['manglename', true],
  ['major', true],
  ['minor', true],
  ['mode', true],
  ['nameprefixes', false],
  ['nogroup', false],
  ['noflush', false],
  ['noheadings', false],
  ['nolockfs', false],
  ['noopencount', false],
  ['nosuffix', false],
  ['notable', false],
  ['notimesuffix', false],
  ['udevcookie', true],
  ['nomonitor', false],
  ['noudevrules', false],
  ['noudevsync', false],
  ['options', true],
  ['precise', false],
  ['programid', true],
  ['raw', false],
  ['readahead', true],
  ['region', false],
  ['regions', true],
  ['regionid', true],
  ['relative', false],
  ['retry', false],
  ['rows', false],
  ['segments', false],
  ['separator', true],
  ['setuuid', false],
  ['showkeys', false],
  ['sort', true],
  ['start', true],
  ['table', true],
  ['target', true],
  ['tree', false],
  ['uid', true],
  ['units', true],
  ['uuid', true],
  ['unbuffered', false],
  ['unquoted', false],
  ['userdata', true],
  // dmsetup's table says `--verbose` takes an argument (the `-v` it stands for does not): the
  // word after it is taken and ignored.
  ['verbose', true],
  ['verifyudev', false],
  ['version', false],
  ['yes', false],
  ['addnodeonresume', false],
  ['addnodeoncreate', false],
];

/** 2.03.31 sorts its table and adds `--headings` (1.02.205's usage names it). */
const LONG_OPTIONS: Readonly<Record<StackId, readonly (readonly [string, boolean])[]>> = {
  debian12: LONG_OPTIONS_2_03_16,
  debian13: [...LONG_OPTIONS_2_03_16, ['headings', true] as const].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
};

/** The getopt string `cCfG:hj:m:M:no:O:rS:u:U:vy`: each short option and whether it takes an argument. */
const SHORT_OPTIONS: ReadonlyMap<string, boolean> = new Map(
  [...'cCfG:hj:m:M:no:O:rS:u:U:vy'.matchAll(/([a-zA-Z])(:?)/g)].map((m) => [m[1]!, m[2] === ':'] as const),
);

/** What the short options mean as long ones (the lab's flags are set by long name). */
const SHORT_AS_LONG: Readonly<Record<string, string>> = {
  c: 'columns',
  C: 'columns',
  f: 'force',
  G: 'gid',
  h: 'help',
  j: 'major',
  m: 'minor',
  M: 'mode',
  n: 'notable',
  o: 'options',
  O: 'sort',
  r: 'readonly',
  S: 'select',
  u: 'uuid',
  U: 'uid',
  v: 'verbose',
  y: 'yes',
};

/**
 * The options the lab models, each setting its flag. `--noudevsync` changes nothing without udev
 * (the node is still left to udev); `--yes` answers udevcomplete_all's prompt;
 * `--showkeys` shows keys of crypt and integrity tables, which the lab has none of.
 */
const MODELLED: Readonly<Record<string, (flags: Flags, value: string) => void>> = {
  noflush: (f) => (f.noFlush = true),
  uuid: (f, v) => (f.uuid = v),
  options: (f, v) => (f.fields = v),
  columns: (f) => (f.columns = true),
  noheadings: (f) => (f.noHeadings = true),
  sort: (f, v) => (f.sort = v),
  separator: (f, v) => (f.separator = v),
  tree: (f) => (f.tree = true),
  major: (f, v) => (f.major = v),
  minor: (f, v) => (f.minor = v),
  table: (f, v) => (f.table = v),
  target: (f, v) => (f.target = v),
  force: (f) => (f.force = true),
  notable: (f) => (f.noTable = true),
  inactive: (f) => (f.inactive = true),
  deferred: (f) => (f.deferred = true),
  verifyudev: (f) => (f.verifyUdev = true),
  setuuid: (f) => (f.setUuid = true),
  verbose: (f) => f.verbose++,
  version: (f) => (f.version = true),
  help: (f) => (f.help = true),
  readonly: (f) => (f.readOnly = true),
  noudevsync: () => {},
  yes: (f) => (f.yes = true),
  showkeys: () => {},
};

/** A parsed line: the flags and the command's words, or getopt's complaint, or the lab's refusal. */
export type DmsetupArgs =
  | { readonly flags: Flags; readonly words: string[] }
  | { readonly error: string }
  | { readonly refused: string };

const newFlags = (): Flags => ({
  noFlush: false,
  table: null,
  target: null,
  force: false,
  noTable: false,
  inactive: false,
  deferred: false,
  verifyUdev: false,
  setUuid: false,
  uuid: null,
  columns: false,
  fields: null,
  noHeadings: false,
  sort: null,
  separator: null,
  tree: false,
  major: null,
  minor: null,
  verbose: 0,
  version: false,
  help: false,
  readOnly: false,
  yes: false,
});

/** The stack's long options in getopt_long's form. */
const longOptions = (stack: StackId): LongOption[] =>
  LONG_OPTIONS[stack].map(([name, takesValue]) => ({ long: `--${name}`, takesValue }));

/** The short options in getopt_long's form, each counted as the long option it stands for. */
const SHORTS: readonly ShortOption[] = [...SHORT_OPTIONS].map(([c, takesValue]) => ({
  short: `-${c}`,
  long: `--${SHORT_AS_LONG[c]!}`,
  takesValue,
}));

/** Reads dmsetup's argv (after `dmsetup`) as getopt_long does. */
export function parseDmsetupArgs(argv: readonly string[], stack: StackId): DmsetupArgs {
  const read = getoptLong(argv, longOptions(stack), SHORTS);
  if ('error' in read) return { error: `dmsetup: ${read.error}\nCouldn't process command line.\n` };
  const flags = newFlags();
  for (const { long, value, spelled } of read.met) {
    const set = MODELLED[long.slice(2)];
    if (set === undefined) return { refused: `thinlab: not modelled: dmsetup ${spelled}\nCommand failed.\n` };
    set(flags, value);
  }
  return { flags, words: read.words };
}
