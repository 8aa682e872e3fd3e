/**
 * Many command lines through the real thin-provisioning-tools from one shell process, for the
 * suites that compare hundreds of lines with the lab (test/metadata-damage-1x.test.ts). Run one at
 * a time (ToolBench.real), each line cost two processes forked from the test's worker, whose
 * memory runs to gigabytes, and wrote and read back its 4 MiB images: most of what the suite took
 * (docs/testing.md). Here every image is written once, and each line still starts from the files
 * it names, copied fresh before it runs, so what each line sees and prints is what it saw alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILE_REFERENCE, type RunResult } from '../src/tools/tool-test-support.js';

/** One line, with the files (`@NAME`) written fresh before it runs, as ToolBench.real writes them. */
export interface BatchRun {
  readonly line: string;
  /** Written before the line; a name left out keeps what the lines before it left there. */
  readonly files: Readonly<Record<string, Uint8Array | string>>;
  /** Files read back after the line (what a repair wrote). */
  readonly keep?: readonly string[];
}

export interface BatchResult extends RunResult {
  readonly files: Readonly<Record<string, Uint8Array>>;
}

/** The shell lines of one run: copy its files in place, run it, keep its outputs and status. */
function runLines(run: BatchRun, index: number, dir: string, sourceOf: (content: Uint8Array | string) => string) {
  const lines = Object.entries(run.files).map(([name, content]) => `cp '${sourceOf(content)}' '${join(dir, name)}'`);
  const out = join(dir, '.results', String(index));
  lines.push(`{ ${run.line.replace(FILE_REFERENCE, `${dir}/$1`)}\n} >'${out}.out' 2>'${out}.err' </dev/null`);
  lines.push(`echo $? >'${out}.rc'`);
  for (const name of run.keep ?? []) lines.push(`cp '${join(dir, name)}' '${out}.kept.${name}'`);
  return lines;
}

/** How a batch runs. */
export interface BatchOptions {
  /**
   * Run where /dev/mapper is an empty directory, whatever the host has there. 1.1.0's thin_migrate
   * opens /dev/mapper/control before anything else and says why it failed: `No such file or
   * directory (os error 2)` on a host without device-mapper, `No such device (os error 19)` on one
   * where an LVM run left the node but the kernel has no dm driver. Recorded answers must not
   * change with that host state, so such a batch hides the host's node in a mount namespace of its
   * own (an empty tmpfs over /dev/mapper), where every host answers as the recording's did.
   */
  readonly hideHostDeviceMapper?: boolean;
}

/** The command that runs a batch's script: sh, or sh in a mount namespace without the host's /dev/mapper. */
function batchCommand(script: string, options: BatchOptions): [string, string[]] {
  if (options.hideHostDeviceMapper !== true || !existsSync('/dev/mapper/control')) return ['sh', ['-c', script]];
  const inner = 'mount -t tmpfs tmpfs /dev/mapper && exec sh -c "$1"';
  return ['unshare', ['--mount', '--map-root-user', 'sh', '-c', inner, 'sh', script]];
}

/**
 * Runs `runs` in order with the real tools (`binDir` first on PATH, as ToolBench's) and returns
 * what each printed, its status and the files it kept, with the temporary directory named /run as
 * the lab names it.
 */
export function runRealBatch(
  binDir: string | undefined,
  runs: readonly BatchRun[],
  options: BatchOptions = {},
): BatchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'thinlab-batch-'));
  try {
    mkdirSync(join(dir, '.sources'));
    mkdirSync(join(dir, '.results'));
    // The same bytes (one image named by many lines) are written to disk once.
    const sources = new Map<Uint8Array | string, string>();
    const sourceOf = (content: Uint8Array | string): string => {
      let path = sources.get(content);
      if (path === undefined) {
        path = join(dir, '.sources', String(sources.size));
        writeFileSync(path, content);
        sources.set(content, path);
      }
      return path;
    };
    const script = runs.flatMap((run, i) => runLines(run, i, dir, sourceOf)).join('\n');
    const env = binDir === undefined ? process.env : { ...process.env, PATH: `${binDir}:${process.env.PATH}` };
    const [command, args] = batchCommand(script, options);
    const shell = spawnSync(command, args, { encoding: 'latin1', env, maxBuffer: 16 << 20 });
    if (shell.status !== 0) throw new Error(`the batch of real tools failed: ${shell.stderr}`);
    const fix = (s: string): string => s.split(dir).join('/run');
    return runs.map((run, i) => {
      const out = join(dir, '.results', String(i));
      const files = Object.fromEntries((run.keep ?? []).map((name) => [name, readFileSync(`${out}.kept.${name}`)]));
      return {
        stdout: fix(readFileSync(`${out}.out`, 'latin1')),
        stderr: fix(readFileSync(`${out}.err`, 'latin1')),
        status: Number(readFileSync(`${out}.rc`, 'latin1')),
        files,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
