/**
 * The lab's side of one metadata campaign case: the damaged image handed once to a fresh lab of
 * each stack, and the thin tools run on it in-process. A fresh lab per case is cheap (microseconds)
 * and keeps memory flat: a lab's sector dictionary keeps every sector it was ever given, so one
 * lab for 10,000 images of up to 16 MiB would grow without bound. Giving the image once per case,
 * not once per tool run, was most of the campaign's time (14 ms a copy, 12 copies an image).
 */
import { createHash } from 'node:crypto';
import { BLOCK_SIZE } from '../src/format/layout.js';
import { LabShell } from '../src/lab/lab-shell.js';
import type { StackId } from '../src/model/stack.js';
import { runThinTool } from '../src/tools/index.js';
import type { ToolsRelease } from '../src/tools/release.js';

/** The command lines compared with the real tools; IMG is the damaged image. */
export const COMPARED: readonly (readonly string[])[] = [
  ['thin_check', 'IMG'],
  ['thin_check', '-m', 'IMG'],
  ['thin_check', '--skip-mappings', 'IMG'],
  ['thin_dump', 'IMG'],
  ['thin_dump', '-m', 'IMG'],
  ['thin_dump', '--repair', 'IMG'],
];

/** Lab tools run for internal errors only (their real counterparts are compared in src/tools). */
export const LAB_ONLY: readonly (readonly string[])[] = [
  ['thin_ls', '-m', '-o', 'DEV,MAPPED,EXCLUSIVE,SHARED', 'IMG'],
  ['thin_ls', 'IMG'],
  ['thin_rmap', '--region', '0..2000', 'IMG'],
  ['thin_delta', '-m', '--thin1', '0', '--thin2', '1', 'IMG'],
  ['thin_delta', '--thin1', '0', '--thin2', '1', 'IMG'],
  ['thin_repair', '-i', 'IMG', '-o', 'OUT'],
];

/** The releases compared, each with the stack whose lab runs it. */
export const RELEASES: readonly { readonly release: ToolsRelease; readonly stack: StackId }[] = [
  { release: '0.9.0', stack: 'debian12' },
  { release: '1.1.0', stack: 'debian13' },
];

export interface ToolOutcome {
  readonly status: number;
  /** stdout and stderr, with the image's path written IMG; a digest for thin_dump's XML. */
  readonly text: string;
}

export type LabOutcome = ToolOutcome | { readonly internal: string };

/** What the lab did on one case: COMPARED per release (by index), and LAB_ONLY's internal errors. */
export interface LabCaseResult {
  readonly compared: Readonly<Record<ToolsRelease, readonly LabOutcome[]>>;
  readonly labOnlyInternal: readonly string[];
}

const digest = (text: string): string => createHash('md5').update(text, 'latin1').digest('hex');

/** How an outcome is compared: thin_dump's XML by digest (it can be megabytes), the rest whole. */
export function outcomeText(argv: readonly string[], stdout: string, stderr: string, whole = false): string {
  const out = !whole && argv[0] === 'thin_dump' && stdout.length > 2000 ? `xml:${digest(stdout)}` : stdout;
  return `${out}\n--stderr--\n${stderr}`;
}

/** A fresh lab of `stack` holding the image at /run/img and a 64-block output at /run/out. */
function labWithImage(stack: StackId, bytes: Uint8Array): LabShell {
  const shell = new LabShell({ stack });
  shell.fs.provide('/run/img', bytes);
  shell.fs.provide('/run/out', new Uint8Array(64 * BLOCK_SIZE));
  return shell;
}

/** How a lab outcome is kept: `whole` keeps thin_dump's XML whole instead of its digest. */
export interface LabRunOptions {
  readonly whole?: boolean;
}

/** Runs one lab tool; a throw is an internal error, returned as such. */
function runLab(shell: LabShell, argv: readonly string[], options: LabRunOptions = {}): LabOutcome {
  const args = argv.slice(1).map((a) => (a === 'IMG' ? '/run/img' : a === 'OUT' ? '/run/out' : a));
  let stdout = '';
  let stderr = '';
  try {
    const status = runThinTool(argv[0]!, { machine: shell.machine, fs: shell.fs }, args, {
      stdin: new Uint8Array(0),
      out: (d) => {
        stdout += typeof d === 'string' ? d : Buffer.from(d).toString('latin1');
      },
      err: (t) => {
        stderr += t;
      },
    });
    const fix = (s: string): string => s.split('/run/img').join('IMG');
    return { status: status ?? 127, text: outcomeText(argv, fix(stdout), fix(stderr), options.whole) };
  } catch (e) {
    return { internal: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** One lab tool on an image, in a fresh lab of `stack` (the regression tests' way in). */
export function labToolOn(
  stack: StackId,
  bytes: Uint8Array,
  argv: readonly string[],
  options: LabRunOptions = {},
): LabOutcome {
  return runLab(labWithImage(stack, bytes), argv, options);
}

/** Every lab tool run of one case: COMPARED on each release's lab, LAB_ONLY on 0.9.0's. */
export function runLabCase(bytes: Uint8Array): LabCaseResult {
  const compared = {} as Record<ToolsRelease, LabOutcome[]>;
  let labOnlyInternal: string[] = [];
  for (const { release, stack } of RELEASES) {
    const shell = labWithImage(stack, bytes);
    compared[release] = COMPARED.map((argv) => runLab(shell, argv));
    if (release !== '0.9.0') continue;
    labOnlyInternal = LAB_ONLY.flatMap((argv) => {
      const r = runLab(shell, argv);
      return 'internal' in r ? [`${argv.join(' ')}: ${r.internal}`] : [];
    });
  }
  return { compared, labOnlyInternal };
}
