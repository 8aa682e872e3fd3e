/**
 * `thinlab conform`: the options and environment read into a request for src/conform, and the
 * report printed. Bad options are refused here, before anything is fetched or booted.
 */
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConformError } from '../conform/conform-error.js';
import { ramdiskKbOfScript } from '../conform/lab-run.js';
import { renderSideBySide, reportJson } from '../conform/report.js';
import { DEFAULT_SOURCE, hostDebianSource, type PackageSource } from '../conform/vm-packages.js';
import { DEFAULT_STACK, isStackId, STACK_IDS, type StackId } from '../model/stack.js';
import { type Output, printJson, UsageError } from './output.js';
import { parseRamdiskKb } from './ramdisk-presets.js';
import { readExtraFiles, readScript } from './sh-command.js';

export interface ConformArgs {
  readonly script: string;
  readonly files: readonly string[];
  readonly stack: string | undefined;
  readonly ramdiskKb: string | undefined;
  readonly cache: string | undefined;
  readonly mirror: string | undefined;
  readonly timeoutS: string;
  readonly json: boolean;
}

export interface ConformOptions {
  readonly stack: StackId;
  /** undefined: the script's RAMDISK_KB line, else the oracle's size. */
  readonly ramdiskKb: number | undefined;
  readonly cacheDir: string;
  readonly mirror: string | undefined;
  readonly timeoutS: number;
}

/** Exit status when the kernel side could not run (missing programs, a failed download, a VM that did not finish). */
export const CONFORM_UNAVAILABLE_EXIT = 3;

/** The longest a VM may be given: a day. */
const MAX_TIMEOUT_S = 86_400;

/** The cache folder: --cache, else $XDG_CACHE_HOME/thinlab, else ~/.cache/thinlab (XDG's rule). */
export function cacheDirOf(option: string | undefined, env: { XDG_CACHE_HOME?: string; HOME?: string }): string {
  if (option !== undefined) {
    if (option === '') throw new UsageError('conform: --cache needs a folder');
    return option;
  }
  const xdg = env.XDG_CACHE_HOME;
  // XDG: a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (xdg?.startsWith('/')) return join(xdg, 'thinlab');
  return join(env.HOME ?? homedir(), '.cache', 'thinlab');
}

export function parseConformOptions(
  args: ConformArgs,
  env: { XDG_CACHE_HOME?: string; HOME?: string },
): ConformOptions {
  const stack = args.stack ?? DEFAULT_STACK;
  if (!isStackId(stack))
    throw new UsageError(`conform: --stack must be one of ${STACK_IDS.join(', ')}, got '${stack}'`);
  if (args.mirror !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(args.mirror))
    throw new UsageError(
      `conform: --mirror needs an http:// or https:// URL of a Debian archive, got '${args.mirror}'`,
    );
  if (!/^[1-9][0-9]{0,5}$/.test(args.timeoutS) || Number(args.timeoutS) > MAX_TIMEOUT_S)
    throw new UsageError(
      `conform: --timeout-s needs a number of seconds from 1 to ${MAX_TIMEOUT_S}, got '${args.timeoutS}'`,
    );
  return {
    stack,
    ramdiskKb: args.ramdiskKb === undefined ? undefined : parseRamdiskKb(args.ramdiskKb),
    cacheDir: cacheDirOf(args.cache, env),
    mirror: args.mirror,
    timeoutS: Number(args.timeoutS),
  };
}

function packageSource(mirror: string | undefined): PackageSource {
  return mirror === undefined ? hostDebianSource() : { ...DEFAULT_SOURCE, mirror: mirror.replace(/\/+$/, '') };
}

export async function conformCommand(args: ConformArgs, io: Output): Promise<number> {
  const options = parseConformOptions(args, process.env);
  const script = readScript(args.script);
  const files = readExtraFiles(args.files);
  const { conform } = await import('../conform/conform.js');
  try {
    const report = await conform({
      scriptName: args.script,
      script,
      files,
      stack: options.stack,
      ramdiskKb: options.ramdiskKb ?? ramdiskKbOfScript(script) ?? parseRamdiskKb(undefined),
      cacheDir: options.cacheDir,
      source: packageSource(options.mirror),
      timeoutS: options.timeoutS,
      pathDirs: (process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''),
      asRoot: process.getuid?.() === 0,
      progress: (line) => io.err(`conform: ${line}\n`),
    });
    if (args.json) printJson(io, reportJson(report));
    else io.out(renderSideBySide(report, process.stdout.columns ?? 160));
    return report.comparison.agree ? 0 : 1;
  } catch (e) {
    if (!(e instanceof ConformError)) throw e;
    io.err(`thinlab conform: ${e.message} [${e.code}]\n`);
    return CONFORM_UNAVAILABLE_EXIT;
  }
}
