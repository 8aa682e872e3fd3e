/**
 * busybox's option parsing for the applets the lab runs as plain filters: bundled flags anywhere
 * on the line (getopt32 permutes), `--` ending them. A flag the lab models is returned; one busybox
 * has and the lab does not is refused by name (`cat -n` numbers lines: printing the file unnumbered
 * would be a silent success); any other is busybox's own `invalid option` with the applet's usage.
 */
import { notModelled } from './command-errors.js';
import type { StackId } from '../model/stack.js';
import { busyboxBanner } from './busybox-banner.js';

/** The applets' usage texts, as the VM's BusyBox v1.35.0 prints them. */
export const BUSYBOX_USAGE: Readonly<Record<string, string>> = {
  cat: 'Usage: cat [-nbvteA] [FILE]...\n\nPrint FILEs to stdout\n\n\t-n\tNumber output lines\n\t-b\tNumber nonempty lines\n\t-v\tShow nonprinting characters as ^x or M-x\n\t-t\t...and tabs as ^I\n\t-e\t...and end lines with $\n\t-A\tSame as -vte\n',
  md5sum:
    "Usage: md5sum [-c[sw]] [FILE]...\n\nPrint or check MD5 checksums\n\n\t-c\tCheck sums against list in FILEs\n\t-s\tDon't output anything, status code shows success\n\t-w\tWarn about improperly formatted checksum lines\n",
  od: 'Usage: od [-abcdfhilovxs] [-t TYPE] [-A RADIX] [-N SIZE] [-j SKIP] [-S MINSTR] [-w WIDTH] [FILE]...\n\nPrint FILEs (or stdin) unambiguously, as octal bytes by default\n',
  rm: 'Usage: rm [-irf] FILE...\n\nRemove (unlink) FILEs\n\n\t-i\tAlways prompt before removing\n\t-f\tNever prompt\n\t-R,-r\tRecurse\n',
  ls: 'Usage: ls [-1AaCxdLHRFplinshrSXvctu] [-w WIDTH] [FILE]...\n\nList directory contents\n\n\t-1\tOne column output\n\t-a\tInclude names starting with .\n\t-A\tLike -a, but exclude . and ..\n\t-x\tList by lines\n\t-d\tList directory names, not contents\n\t-L\tFollow symlinks\n\t-H\tFollow symlinks on command line\n\t-R\tRecurse\n\t-p\tAppend / to directory names\n\t-F\tAppend indicator (one of */=@|) to names\n\t-l\tLong format\n\t-i\tList inode numbers\n\t-n\tList numeric UIDs and GIDs instead of names\n\t-s\tList allocated blocks\n\t-lc\tList ctime\n\t-lu\tList atime\n\t--full-time\tList full date/time\n\t-h\tHuman readable sizes (1K 243M 2G)\n\t--group-directories-first\n\t-S\tSort by size\n\t-X\tSort by extension\n\t-v\tSort by version\n\t-t\tSort by mtime\n\t-tc\tSort by ctime\n\t-tu\tSort by atime\n\t-r\tReverse sort order\n\t-w N\tFormat N columns wide\n\t--color[={always,never,auto}]\n',
  stat: 'Usage: stat [-ltf] [-c FMT] FILE...\n\nDisplay file (default) or filesystem status\n\n\t-c FMT\tUse the specified format\n\t-f\tDisplay filesystem status\n\t-L\tFollow links\n\t-t\tTerse display\n\nFMT sequences for files:\n %a\tAccess rights in octal\n %A\tAccess rights in human readable form\n %b\tNumber of blocks allocated (see %B)\n %B\tSize in bytes of each block reported by %b\n %d\tDevice number in decimal\n %D\tDevice number in hex\n %f\tRaw mode in hex\n %F\tFile type\n %g\tGroup ID\n %G\tGroup name\n %h\tNumber of hard links\n %i\tInode number\n %n\tFile name\n %N\tFile name, with -> TARGET if symlink\n %o\tI/O block size\n %s\tTotal size in bytes\n %t\tMajor device type in hex\n %T\tMinor device type in hex\n %u\tUser ID\n %U\tUser name\n %x\tTime of last access\n %X\tTime of last access as seconds since Epoch\n %y\tTime of last modification\n %Y\tTime of last modification as seconds since Epoch\n %z\tTime of last change\n %Z\tTime of last change as seconds since Epoch\n\nFMT sequences for file systems:\n %a\tFree blocks available to non-superuser\n %b\tTotal data blocks\n %c\tTotal file nodes\n %d\tFree file nodes\n %f\tFree blocks\n %i\tFile System ID in hex\n %l\tMaximum length of filenames\n %n\tFile name\n %s\tBlock size (for faster transfer)\n %S\tFundamental block size (for block counts)\n %t\tType in hex\n %T\tType in human readable form\n',
  date: "Usage: date [OPTIONS] [+FMT] [[-s] TIME]\n\nDisplay time (using +FMT), or set time\n\n\t-u\t\tWork in UTC (don't convert to local time)\n\t[-s] TIME\tSet time to TIME\n\t-d TIME\t\tDisplay TIME, not 'now'\n\t-D FMT\t\tFMT (strptime format) for -s/-d TIME conversion\n\t-r FILE\t\tDisplay last modification time of FILE\n\t-R\t\tOutput RFC-2822 date\n\t-I[SPEC]\tOutput ISO-8601 date\n\t\t\tSPEC=date (default), hours, minutes, seconds or ns\n\nRecognized TIME formats:\n\t@seconds_since_1970\n\thh:mm[:ss]\n\t[YYYY.]MM.DD-hh:mm[:ss]\n\tYYYY-MM-DD hh:mm[:ss]\n\t[[[[[YY]YY]MM]DD]hh]mm[.ss]\n\t'date TIME' form accepts MMDDhhmm[[YY]YY][.ss] instead\n",
  uname:
    'Usage: uname [-amnrspvio]\n\nPrint system information\n\n\t-a\tPrint all\n\t-m\tMachine (hardware) type\n\t-n\tHostname\n\t-r\tKernel release\n\t-s\tKernel name (default)\n\t-p\tProcessor type\n\t-v\tKernel version\n\t-i\tHardware platform\n\t-o\tOS name\n',
  xargs:
    "Usage: xargs [OPTIONS] [PROG ARGS]\n\nRun PROG on every item given by stdin\n\n\t-0\tNUL terminated input\n\t-a FILE\tRead from FILE instead of stdin\n\t-r\tDon't run command if input is empty\n\t-t\tPrint the command on stderr before execution\n\t-p\tAsk user whether to run each command\n\t-E STR,-e[STR]\tSTR stops input processing\n\t-I STR\tReplace STR within PROG ARGS with input line\n\t-n N\tPass no more than N args to PROG\n\t-s N\tPass command line of no more than N bytes\n\t-P N\tRun up to N PROGs in parallel\n\t-x\tExit if size is exceeded\n",
  uniq: 'Usage: uniq [-cduiz] [-f,s,w N] [FILE [OUTFILE]]\n\nDiscard duplicate lines\n\n\t-c\tPrefix lines by the number of occurrences\n\t-d\tOnly print duplicate lines\n\t-u\tOnly print unique lines\n\t-i\tIgnore case\n\t-z\tNUL terminated output\n\t-f N\tSkip first N fields\n\t-s N\tSkip first N chars (after any skipped fields)\n\t-w N\tCompare N characters in line\n',
  tee: "Usage: tee [-ai] [FILE]...\n\nCopy stdin to each FILE, and also to stdout\n\n\t-a\tAppend to the given FILEs, don't overwrite\n\t-i\tIgnore interrupt signals (SIGINT)\n",
  basename:
    'Usage: basename FILE [SUFFIX] | -a FILE... | -s SUFFIX FILE...\n\nStrip directory path and SUFFIX from FILE\n\n\t-a\t\tAll arguments are FILEs\n\t-s SUFFIX\tRemove SUFFIX (implies -a)\n',
  dirname: 'Usage: dirname FILENAME\n\nStrip non-directory suffix from FILENAME\n',
  nproc:
    'Usage: nproc [--all] [--ignore=N]\n\nPrint number of available CPUs\n\n\t--all\t\tNumber of installed CPUs\n\t--ignore=N\tExclude N CPUs\n',
  mkdir:
    'Usage: mkdir [-m MODE] [-p] DIRECTORY...\n\nCreate DIRECTORY\n\n\t-m MODE\tMode\n\t-p\tNo error if exists; make parent directories as needed\n',
  rmdir:
    'Usage: rmdir [-p] DIRECTORY...\n\nRemove DIRECTORY if it is empty\n\n\t-p\tInclude parents\n\t--ignore-fail-on-non-empty\n',
  touch:
    "Usage: touch [-cham] [-d DATE] [-t DATE] [-r FILE] FILE...\n\nUpdate mtime of FILEs\n\n\t-c\tDon't create files\n\t-h\tDon't follow links\n\t-a\tChange only atime\n\t-m\tChange only mtime\n\t-d DT\tDate/time to use\n\t-t DT\tDate/time to use\n\t-r FILE\tUse FILE's date/time\n",
  mv: "Usage: mv [-finT] SOURCE DEST\nor: mv [-fin] SOURCE... { -t DIRECTORY | DIRECTORY }\n\nRename SOURCE to DEST, or move SOURCEs to DIRECTORY\n\n\t-f\tDon't prompt before overwriting\n\t-i\tInteractive, prompt before overwrite\n\t-n\tDon't overwrite an existing file\n\t-T\tRefuse to move if DEST is a directory\n\t-t DIR\tMove all SOURCEs into DIR\n",
  cp: "Usage: cp [-arPLHpfinlsTu] SOURCE DEST\nor: cp [-arPLHpfinlsu] SOURCE... { -t DIRECTORY | DIRECTORY }\n\nCopy SOURCEs to DEST\n\n\t-a\tSame as -dpR\n\t-R,-r\tRecurse\n\t-d,-P\tPreserve symlinks (default if -R)\n\t-L\tFollow all symlinks\n\t-H\tFollow symlinks on command line\n\t-p\tPreserve file attributes if possible\n\t-f\tOverwrite\n\t-i\tPrompt before overwrite\n\t-n\tDon't overwrite\n\t-l,-s\tCreate (sym)links\n\t-T\tRefuse to copy if DEST is a directory\n\t-t DIR\tCopy all SOURCEs into DIR\n\t-u\tCopy only newer files\n",
  hexdump:
    'Usage: hexdump [-bcdoxCv] [-e FMT] [-f FMT_FILE] [-n LEN] [-s OFS] [FILE]...\n\nDisplay FILEs (or stdin) in a user specified format\n\n\t-b\t\t1-byte octal display\n\t-c\t\t1-byte character display\n\t-d\t\t2-byte decimal display\n\t-o\t\t2-byte octal display\n\t-x\t\t2-byte hex display\n\t-C\t\thex+ASCII 16 bytes per line\n\t-v\t\tShow all (no dup folding)\n\t-e FORMAT_STR\tExample: \'16/1 "%02x|""\\n"\'\n\t-f FORMAT_FILE\n\t-n LENGTH\tShow only first LENGTH bytes\n\t-s OFFSET\tSkip OFFSET bytes\n',
  xxd: 'Usage: xxd [-pri] [-g N] [-c N] [-n LEN] [-s OFS] [-o OFS] [FILE]\n\nHex dump FILE (or stdin)\n\n\t-g N\t\tBytes per group\n\t-c N\t\tBytes per line\n\t-p\t\tShow only hex bytes, assumes -c30\n\t-i\t\tC include file style\n\t-l LENGTH\tShow only first LENGTH bytes\n\t-s OFFSET\tSkip OFFSET bytes\n\t-o OFFSET\tAdd OFFSET to displayed offset\n\t-r\t\tReverse (with -p, assumes no offsets in input)\n',
  sha1sum:
    "Usage: sha1sum [-c[sw]] [FILE]...\n\nPrint or check SHA1 checksums\n\n\t-c\tCheck sums against list in FILEs\n\t-s\tDon't output anything, status code shows success\n\t-w\tWarn about improperly formatted checksum lines\n",
  sha256sum:
    "Usage: sha256sum [-c[sw]] [FILE]...\n\nPrint or check SHA256 checksums\n\n\t-c\tCheck sums against list in FILEs\n\t-s\tDon't output anything, status code shows success\n\t-w\tWarn about improperly formatted checksum lines\n",
  sha512sum:
    "Usage: sha512sum [-c[sw]] [FILE]...\n\nPrint or check SHA512 checksums\n\n\t-c\tCheck sums against list in FILEs\n\t-s\tDon't output anything, status code shows success\n\t-w\tWarn about improperly formatted checksum lines\n",
  diff: 'Usage: diff [-abBdiNqrTstw] [-L LABEL] [-S FILE] [-U LINES] FILE1 FILE2\n\nCompare files line by line and output the differences between them.\nThis implementation supports unified diffs only.\n\n\t-a\tTreat all files as text\n\t-b\tIgnore changes in the amount of whitespace\n\t-B\tIgnore changes whose lines are all blank\n\t-d\tTry hard to find a smaller set of changes\n\t-i\tIgnore case differences\n\t-L\tUse LABEL instead of the filename in the unified header\n\t-N\tTreat absent files as empty\n\t-q\tOutput only whether files differ\n\t-r\tRecurse\n\t-S\tStart with FILE when comparing directories\n\t-T\tMake tabs line up by prefixing a tab when necessary\n\t-s\tReport when two files are the same\n\t-t\tExpand tabs to spaces in output\n\t-U\tOutput LINES lines of context\n\t-w\tIgnore all whitespace\n',
  readlink:
    "Usage: readlink [-fnv] FILE\n\nDisplay the value of a symlink\n\n\t-f\tCanonicalize by following all symlinks\n\t-n\tDon't add newline\n\t-v\tVerbose\n",
  realpath: 'Usage: realpath FILE...\n\nPrint absolute pathnames of FILEs\n',
  cmp: 'Usage: cmp [-ls] [-n NUM] FILE1 [FILE2 [SKIP1 [SKIP2]]]\n\nCompare FILE1 with FILE2 (or stdin)\n\n\t-l\tWrite the byte numbers (decimal) and values (octal)\n\t\tfor all differing bytes\n\t-s\tQuiet\n\t-n NUM\tCompare at most NUM bytes\n',
  expr: "Usage: expr EXPRESSION\n\nPrint the value of EXPRESSION\n\nEXPRESSION may be:\n\tARG1 | ARG2\tARG1 if it is neither null nor 0, otherwise ARG2\n\tARG1 & ARG2\tARG1 if neither argument is null or 0, otherwise 0\n\tARG1 < ARG2\t1 if ARG1 is less than ARG2, else 0. Similarly:\n\tARG1 <= ARG2\n\tARG1 = ARG2\n\tARG1 != ARG2\n\tARG1 >= ARG2\n\tARG1 > ARG2\n\tARG1 + ARG2\tSum of ARG1 and ARG2. Similarly:\n\tARG1 - ARG2\n\tARG1 * ARG2\n\tARG1 / ARG2\n\tARG1 % ARG2\n\tSTRING : REGEXP\t\tAnchored pattern match of REGEXP in STRING\n\tmatch STRING REGEXP\tSame as STRING : REGEXP\n\tsubstr STRING POS LEN\tSubstring of STRING, POS counts from 1\n\tindex STRING CHARS\tIndex in STRING where any CHARS is found, or 0\n\tlength STRING\t\tLength of STRING\n\tquote TOKEN\t\tInterpret TOKEN as a string, even if\n\t\t\t\tit is a keyword like 'match' or an\n\t\t\t\toperator like '/'\n\t(EXPRESSION)\t\tValue of EXPRESSION\n\nBeware that many operators need to be escaped or quoted for shells.\nComparisons are arithmetic if both ARGs are numbers, else\nlexicographical. Pattern matches return the string matched between\n\\( and \\) or null; if \\( and \\) are not used, they return the number\nof characters matched or 0.\n",
  which: 'Usage: which [-a] COMMAND...\n\nLocate COMMAND\n\n\t-a\tShow all matches\n',
  env: 'Usage: env [-i0] [-u NAME]... [-] [NAME=VALUE]... [PROG ARGS]\n\nPrint current environment or run PROG after setting up environment\n\n\t-, -i\tStart with empty environment\n\t-0\tNUL terminated output\n\t-u NAME\tRemove variable from environment\n',
  tac: 'Usage: tac [FILE]...\n\nConcatenate FILEs and print them in reverse\n',
  rev: 'Usage: rev [FILE]...\n\nReverse lines of FILE\n',
  fold: 'Usage: fold [-bs] [-w WIDTH] [FILE]...\n\nWrap input lines in FILEs (or stdin), writing to stdout\n\n\t-b\tCount bytes rather than columns\n\t-s\tBreak at spaces\n\t-w\tUse WIDTH columns instead of 80\n',
  base64:
    'Usage: base64 [-d] [-w COL] [FILE]\n\nBase64 encode or decode FILE to standard output\n\n\t-d\tDecode data\n\t-w COL\tWrap lines at COL (default 76, 0 disables)\n',
};

/**
 * Where debian13's busybox 1.37 words an applet's usage differently: readlink lists `-n` first
 * since busybox commit d2b81b3dc (2023, "readlink: support --, -n always").
 */
const BUSYBOX_1_37_USAGE: Readonly<Record<string, string>> = {
  readlink:
    "Usage: readlink [-fnv] FILE\n\nDisplay the value of a symlink\n\n\t-n\tDon't add newline\n\t-f\tCanonicalize by following all symlinks\n\t-v\tVerbose\n",
};

/** An applet's usage text as the stack's busybox prints it. */
export function busyboxUsage(stack: StackId, tool: string): string {
  return (stack === 'debian13' ? BUSYBOX_1_37_USAGE[tool] : undefined) ?? BUSYBOX_USAGE[tool]!;
}

export type BusyboxArgs =
  | {
      readonly flags: ReadonlySet<string>;
      readonly operands: string[];
      /** The arguments of the options that take one (the last one given wins). */
      readonly values: ReadonlyMap<string, string>;
      /** Every argument of each option that takes one, in order (getopt32's `L:*` lists). */
      readonly lists: ReadonlyMap<string, readonly string[]>;
    }
  | { readonly error: string };

/** How an applet's options go beyond single flags. */
export interface BusyboxOptionSpec {
  /**
   * Options that take an argument (`-c FMT` or `-cFMT`), modelled or not: an unmodelled one's
   * argument is skipped as getopt skips it, so that the options after it are still read.
   */
  readonly valued?: string;
  /** Options whose argument is optional and only ever attached (`-e[STR]`): the rest of the word. */
  readonly optionalValued?: string;
  /** Options end at the first operand (getopt's `+`, as xargs parses them before its PROG). */
  readonly stopAtOperand?: boolean;
  /**
   * Options whose argument getopt32 converts as it meets it (`f:+`, xatoi_positive): a bad one is
   * busybox's number error at once, before any later option is read.
   */
  readonly numeric?: string;
  /**
   * The applet's long options (getopt32long's table, by full name): the lab refuses them by name
   * (`--name`, a unique prefix, `--name=value`) rather than answer `unrecognized option`.
   */
  readonly longOptions?: readonly string[];
}

/**
 * busybox's xatoi_positive: decimal digits only (no sign, no leading blank, no suffix), 0 to
 * INT_MAX; a number is returned, else the error busybox dies with (bb_strtoui's ERANGE past
 * UINT_MAX is `invalid number`, INT_MAX to UINT_MAX is the range error).
 */
export function xatoiPositive(text: string): number | string {
  const digits = /^[0-9]+/.exec(text)?.[0];
  if (digits === undefined || digits.length !== text.length || BigInt(text) > 4294967295n)
    return `invalid number '${text}'`;
  const n = Number(text);
  return n > 2147483647 ? `number ${text} is not in 0..2147483647 range` : n;
}

export function busyboxArgs(
  stack: StackId,
  tool: keyof typeof BUSYBOX_USAGE,
  args: readonly string[],
  modelled: string,
  unmodelled: string,
  spec: BusyboxOptionSpec = {},
): BusyboxArgs {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const operands: string[] = [];
  let optionsEnd = false;
  const usage = `${busyboxBanner(stack)}${busyboxUsage(stack, tool)}`;
  // getopt reads every option before the applet does anything: an invalid option anywhere is
  // busybox's usage error, even after one the lab refuses (`xargs -0x7fffffff` is `invalid option
  // -- '7'` on the VM; issue 17's shell campaign, seed 17 line 23843). The refusal waits for the end.
  let refused: string | null = null;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (optionsEnd || !a.startsWith('-') || a === '-') {
      operands.push(a);
      if (spec.stopAtOperand === true) optionsEnd = true;
      continue;
    }
    if (a === '--') {
      optionsEnd = true;
      continue;
    }
    // getopt32 reads with getopt_long, whose words for a long option the applet lacks are these.
    if (a.startsWith('--')) {
      const given = a.slice(2).split('=')[0]!;
      const known = (spec.longOptions ?? []).filter((o) => o.startsWith(given));
      if (known.length === 0) return { error: `${tool}: unrecognized option '${a}'\n${usage}` };
      refused ??= `${tool} --${known.includes(given) ? given : known[0]}`;
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      const isModelled = modelled.includes(f);
      if (!isModelled && !unmodelled.includes(f)) return { error: `${tool}: invalid option -- '${f}'\n${usage}` };
      if (!isModelled) refused ??= `${tool} -${f}`;
      else flags.add(f);
      if (spec.optionalValued?.includes(f) === true) break;
      if (spec.valued?.includes(f) !== true) continue;
      const value = j + 1 < a.length ? a.slice(j + 1) : args[++k];
      if (value === undefined) return { error: `${tool}: option requires an argument -- '${f}'\n${usage}` };
      const number = spec.numeric?.includes(f) === true ? xatoiPositive(value) : 0;
      if (typeof number === 'string') return { error: `${tool}: ${number}\n` };
      if (isModelled) values.set(f, value);
      if (isModelled) lists.set(f, [...(lists.get(f) ?? []), value]);
      break;
    }
  }
  if (refused !== null) throw notModelled(refused);
  return { flags, operands, values, lists };
}
