/**
 * The shell builtins that are busybox applets run inside ash (`test`/`[`, `printf`, `echo`): pure
 * functions from arguments to output, status and error text. Their errors carry busybox's applet
 * prefix, which inside ash is `sh: ` with no line number (checked against busybox 1.35).
 */

export interface BuiltinResult {
  /** What the builtin wrote, in order: 1 for standard output, 2 for standard error. */
  readonly writes: ReadonlyArray<readonly [1 | 2, string]>;
  readonly status: number;
}

const result = (out: string, err: string, status: number): BuiltinResult => ({
  writes: [...(out === '' ? [] : [[1, out] as const]), ...(err === '' ? [] : [[2, err] as const])],
  status,
});

/** What `test -e/-f/-d/-b/-s ...` needs to know about a path in the lab. */
export interface FileProbe {
  kind(path: string): 'file' | 'dir' | 'block' | 'char' | null;
  /** Whether the path itself (not followed) is a symbolic link, for `-L` and `-h`. */
  isLink?(path: string): boolean;
  sizeBytes(path: string): number;
  /** The names in a directory (without `.` and `..`), for globbing; null when it is no directory. */
  entries(dir: string): readonly string[] | null;
}

class TestSyntax extends Error {}

const UNARY = new Set([
  '-e',
  '-f',
  '-d',
  '-b',
  '-c',
  '-s',
  '-r',
  '-w',
  '-x',
  '-L',
  '-h',
  '-S',
  '-p',
  '-g',
  '-u',
  '-k',
  '-O',
  '-G',
  '-t',
  '-z',
  '-n',
]);
const BINARY = new Set(['=', '==', '!=', '<', '>', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '-nt', '-ot', '-ef']);

/** busybox getn(): strtol with surrounding white space allowed. */
function integer(text: string): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*$/.exec(text);
  if (m === null) throw new TestSyntax(`${text}: bad number`);
  const v = BigInt(m[1]!);
  if (v > 9223372036854775807n || v < -9223372036854775808n) throw new TestSyntax(`${text}: out of range`);
  return v;
}

function unary(op: string, arg: string, files: FileProbe): boolean {
  switch (op) {
    case '-z':
      return arg === '';
    case '-n':
      return arg !== '';
    case '-t':
      return false;
    case '-e':
    case '-r':
    case '-w':
      return files.kind(arg) !== null;
    case '-f':
      return files.kind(arg) === 'file';
    case '-d':
    case '-x':
      return files.kind(arg) === 'dir';
    case '-b':
      return files.kind(arg) === 'block';
    case '-c':
      return files.kind(arg) === 'char';
    case '-s': {
      // A device node's st_size is 0, whatever the device holds (fixtures/lvm/103: `test -s` of a volume is false).
      const kind = files.kind(arg);
      return kind !== null && kind !== 'block' && kind !== 'char' && files.sizeBytes(arg) > 0;
    }
    case '-L':
    case '-h':
      return files.isLink?.(arg) ?? false;
    default:
      return false;
  }
}

function binary(left: string, op: string, right: string): boolean {
  switch (op) {
    case '=':
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '-eq':
      return integer(left) === integer(right);
    case '-ne':
      return integer(left) !== integer(right);
    case '-lt':
      return integer(left) < integer(right);
    case '-le':
      return integer(left) <= integer(right);
    case '-gt':
      return integer(left) > integer(right);
    case '-ge':
      return integer(left) >= integer(right);
    default:
      // -nt, -ot, -ef: the lab's files have no times or inodes.
      return false;
  }
}

/** The expression grammar of busybox test: -o below -a below !, parentheses, primaries. */
function evaluateTest(args: readonly string[], files: FileProbe): boolean {
  let p = 0;
  const oexpr = (): boolean => {
    const left = aexpr();
    if (args[p] === '-o') {
      p++;
      return oexpr() || left;
    }
    return left;
  };
  const aexpr = (): boolean => {
    const left = nexpr();
    if (args[p] === '-a') {
      p++;
      return aexpr() && left;
    }
    return left;
  };
  const nexpr = (): boolean => {
    if (args[p] === '!' && p + 1 < args.length) {
      p++;
      return !nexpr();
    }
    return primary();
  };
  const primary = (): boolean => {
    const a = args[p];
    if (a === undefined) throw new TestSyntax('argument expected');
    if (a === '(' && p + 1 < args.length) {
      p++;
      const v = oexpr();
      if (args[p] !== ')') throw new TestSyntax('closing paren expected');
      p++;
      return v;
    }
    const next = args[p + 1];
    if (next !== undefined && BINARY.has(next)) {
      const right = args[p + 2];
      if (right === undefined) throw new TestSyntax(`${next}: argument expected`);
      p += 3;
      return binary(a, next, right);
    }
    if (UNARY.has(a)) {
      if (next === undefined) throw new TestSyntax(`${a}: argument expected`);
      p += 2;
      return unary(a, next, files);
    }
    p++;
    return a !== '';
  };
  const result = oexpr();
  if (p < args.length) throw new TestSyntax(`${args[p]}: unknown operand`);
  return result;
}

/** `test ARGS` and `[ ARGS ]`: status 0 true, 1 false, 2 error (`sh: a: bad number`). */
export function testBuiltin(name: string, argv: readonly string[], files: FileProbe): BuiltinResult {
  let args = [...argv];
  if (name === '[') {
    if (args[args.length - 1] !== ']') return result('', 'sh: missing ]\n', 2);
    args = args.slice(0, -1);
  }
  try {
    // POSIX's rules by argument count come first: they make `[ -n ]` and `[ ! ]` plain strings.
    let value: boolean;
    if (args.length === 0) value = false;
    else if (args.length === 1) value = args[0] !== '';
    else if (args.length === 2 && args[0] === '!') value = args[1] === '';
    else if (args.length === 2 && UNARY.has(args[0]!)) value = unary(args[0]!, args[1]!, files);
    else if (args.length === 3 && BINARY.has(args[1]!)) value = binary(args[0]!, args[1]!, args[2]!);
    else if (args.length === 3 && args[0] === '!') value = !evaluateTest(args.slice(1), files);
    else if (args.length === 4 && args[0] === '!') value = !evaluateTest(args.slice(1), files);
    else value = evaluateTest(args, files);
    return result('', '', value ? 0 : 1);
  } catch (e) {
    if (e instanceof TestSyntax) return result('', `sh: ${e.message}\n`, 2);
    throw e;
  }
}

/** Backslash escapes of `echo -e`, `printf` formats and `%b`; returns the text and whether `\c` stopped it. */
export function processEscapes(text: string, octalNeedsZero: boolean): { text: string; stop: boolean } {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const d = text[i + 1]!;
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      e: '\x1b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
    };
    if (d in simple) {
      out += simple[d];
      i++;
      continue;
    }
    if (d === 'c') return { text: out, stop: true };
    if (d === 'x') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2));
      if (m !== null) {
        out += String.fromCharCode(parseInt(m[0], 16));
        i += 1 + m[0].length;
        continue;
      }
    }
    if (/[0-7]/.test(d)) {
      const from = octalNeedsZero && d === '0' ? i + 2 : i + 1;
      const m = /^[0-7]{1,3}/.exec(text.slice(from));
      if (octalNeedsZero && d !== '0') {
        out += `\\${d}`;
        i++;
        continue;
      }
      const digits = m === null ? '' : m[0];
      out += String.fromCharCode(digits === '' ? 0 : parseInt(digits, 8) & 0xff);
      i = from - 1 + digits.length;
      continue;
    }
    out += `\\${d}`;
    i++;
  }
  return { text: out, stop: false };
}

/** busybox echo: -n, -e, -E (combinable); no escapes unless -e. */
export function echoBuiltin(argv: readonly string[]): BuiltinResult {
  let newline = true;
  let escapes = false;
  let k = 0;
  for (; k < argv.length && /^-[neE]+$/.test(argv[k]!); k++) {
    for (const f of argv[k]!.slice(1)) {
      if (f === 'n') newline = false;
      else if (f === 'e') escapes = true;
      else escapes = false;
    }
  }
  let text = argv.slice(k).join(' ');
  if (escapes) {
    const r = processEscapes(text, true);
    if (r.stop) return result(r.text, '', 0);
    text = r.text;
  }
  return result(newline ? `${text}\n` : text, '', 0);
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * C's strto(u)ll in base 0 over the whole text, as busybox's bb_strtoll and bb_strtoull call it:
 * the first character (after a `-`) must be a letter or digit, the number must end the text, and
 * must fit `min..max`; null when any of that fails (busybox's EINVAL or ERANGE).
 */
function strtoWhole(text: string, min: bigint, max: bigint): bigint | null {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  if (!/^[0-9A-Za-z]/.test(body)) return null;
  const m = /^(?:0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(body);
  if (m === null) return null;
  const magnitude =
    m[1] !== undefined ? BigInt(`0x${m[1]}`) : m[2] !== undefined ? BigInt(`0o0${m[2]}`) : BigInt(m[3]!);
  const v = negative ? -magnitude : magnitude;
  return v < min || v > max ? null : v;
}

/**
 * A printf numeric argument as busybox 1.35's printf converts it (its multiconvert): leading
 * blanks skipped, `'c` or `"c` the code of the byte c, one `+` allowed, then the whole rest a
 * number in base 0 (`0x1F`, `010`) within the range of long long (%d %i), or unsigned long long
 * (%u %o %x %X, where a negative number within long long's range wraps). Anything else, a missing
 * argument and an empty one included, is `invalid number 'ARG'` and the value 0.
 */
function printfNumber(given: string | undefined, errors: string[], unsigned = false): bigint {
  const arg = (given ?? '').replace(/^[ \t\n\v\f\r]+/, '');
  if (arg[0] === "'" || arg[0] === '"') return BigInt(arg.length > 1 ? arg.charCodeAt(1) & 0xff : 0);
  const text = arg.startsWith('+') ? arg.slice(1) : arg;
  const v =
    unsigned && !text.startsWith('-') ? strtoWhole(text, 0n, UINT64_MAX) : strtoWhole(text, INT64_MIN, INT64_MAX);
  if (v === null) {
    errors.push(`invalid number '${arg}'`);
    return 0n;
  }
  return unsigned ? BigInt.asUintN(64, v) : v;
}

/**
 * C's padding to a width: `-` pads on the right; `0` pads a number between its sign or `0x` and
 * its digits, unless a precision was given (C ignores `0` then, and for strings always).
 */
function pad(text: string, flags: string, width: number | null, zeroPads = false): string {
  if (width === null || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width, ' ');
  if (zeroPads && flags.includes('0')) {
    const lead = /^([+ -]|0[xX])?/.exec(text)![0];
    return lead + text.slice(lead.length).padStart(width - lead.length, '0');
  }
  return text.padStart(width, ' ');
}

/**
 * An integer conversion's text as C's printf makes it: the digits in their base, at least
 * `precision` of them (none for 0 with precision 0), the sign or blank of %d and %i, and `#`'s
 * `0x`/`0X` before a non-zero hex number or `0` before octal digits.
 */
function integerText(conv: string, v: bigint, flags: string, precision: number | null): string {
  const magnitude = v < 0n ? -v : v;
  let digits =
    conv === 'o' ? magnitude.toString(8) : conv === 'x' || conv === 'X' ? magnitude.toString(16) : magnitude.toString();
  if (conv === 'X') digits = digits.toUpperCase();
  if (precision !== null) digits = precision === 0 && v === 0n ? '' : digits.padStart(precision, '0');
  if (conv === 'd' || conv === 'i')
    return (v < 0n ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + digits;
  if (!flags.includes('#')) return digits;
  if (conv === 'o') return digits.startsWith('0') ? digits : `0${digits}`;
  if ((conv === 'x' || conv === 'X') && v !== 0n) return (conv === 'x' ? '0x' : '0X') + digits;
  return digits;
}

/** busybox printf: %s %b %c %d %i %u %o %x %X %%, flags, width and precision; the format repeats while arguments are left. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: busybox printf's format loop: conversions and escapes share the argument cursor.
export function printfBuiltin(argv: readonly string[]): BuiltinResult {
  if (argv.length === 0) return result('', 'Usage: printf FORMAT [ARGUMENT]...\n', 2);
  const format = argv[0]!;
  const args = argv.slice(1);
  let used = 0;
  const writes: Array<readonly [1 | 2, string]> = [];
  let out = '';
  const errors: string[] = [];
  let failed = false;
  let stop = false;
  const flushOut = (): void => {
    if (out !== '') writes.push([1, out]);
    out = '';
  };
  for (;;) {
    const before = used;
    for (let i = 0; i < format.length && !stop; i++) {
      const c = format[i]!;
      if (c === '\\') {
        const m = /^\\(0[0-7]{0,3}|[0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)/.exec(format.slice(i));
        const seq = m === null ? '\\' : m[0];
        const r = processEscapes(seq, false);
        out += r.text;
        if (r.stop) stop = true;
        i += seq.length - 1;
        continue;
      }
      if (c !== '%') {
        out += c;
        continue;
      }
      const m = /^%([-+ #0]*)([0-9]+|\*)?(?:\.([0-9]*|\*))?([a-zA-Z%])/.exec(format.slice(i));
      if (m === null) {
        out += c;
        continue;
      }
      i += m[0].length - 1;
      const conv = m[4]!;
      if (conv === '%') {
        out += '%';
        continue;
      }
      let flags = m[1]!;
      let width: number | null = null;
      if (m[2] === '*') width = Number(printfNumber(args[used++], errors));
      else if (m[2] !== undefined) width = Number(m[2]);
      // A negative width from `*` is C's `-` flag with that width; a negative precision is none.
      if (width !== null && width < 0) {
        flags += '-';
        width = -width;
      }
      let precision: number | null = null;
      if (m[3] === '*') precision = Number(printfNumber(args[used++], errors));
      else if (m[3] !== undefined) precision = m[3] === '' ? 0 : Number(m[3]);
      if (precision !== null && precision < 0) precision = null;
      const arg = args[used++];
      let text: string;
      switch (conv) {
        case 's':
          text = arg ?? '';
          if (precision !== null) text = text.slice(0, precision);
          break;
        case 'b': {
          const r = processEscapes(arg ?? '', true);
          text = r.text;
          if (r.stop) stop = true;
          break;
        }
        case 'c':
          // C's %c of the argument's first byte: an empty or missing argument prints a NUL.
          text = (arg ?? '').slice(0, 1) || '\0';
          break;
        case 'd':
        case 'i':
          text = integerText(conv, printfNumber(arg, errors), flags, precision);
          break;
        case 'u':
        case 'o':
        case 'x':
        case 'X':
          text = integerText(conv, printfNumber(arg, errors, true), flags, precision);
          break;
        default:
          flushOut();
          writes.push([2, `sh: %${conv}: invalid format\n`]);
          return { writes, status: 1 };
      }
      for (const e of errors.splice(0)) {
        // busybox flushes what it printed so far, then reports the bad argument, then prints its value.
        flushOut();
        writes.push([2, `sh: ${e}\n`]);
        failed = true;
      }
      out += pad(text, flags, width, 'diouxX'.includes(conv) && precision === null);
    }
    if (stop || used >= args.length || used === before) break;
  }
  flushOut();
  return { writes, status: failed ? 1 : 0 };
}
