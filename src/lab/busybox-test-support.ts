/**
 * For the tests that compare a lab command with the host's busybox (Debian 12's busybox-static,
 * the VM's build): every case in one script run by each, split into cases to compare one by one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabShell } from './lab-shell.js';

export const HOST_BUSYBOX = '/usr/bin/busybox';

/** Whether the host has busybox to compare with. */
export const hasHostBusybox = existsSync(HOST_BUSYBOX);

/**
 * One script that runs `tool` with each option line over each input (a printf format piped to
 * it; null: no standard input at all), each case headed by `## tool OPTIONS` and followed by a
 * line with its status that no case prints.
 */
function casesScript(
  tool: string,
  run: string,
  inputs: readonly (string | null)[],
  options: readonly string[],
): string {
  return inputs
    .flatMap((input) =>
      options.map((o) => {
        const pipe = input === null ? '' : `printf '${input}' | `;
        return `echo "## ${tool} ${o}"; ${pipe}${run} ${o} 2>&1; echo "@@<$?>@@"\n`;
      }),
    )
    .join('');
}

/** The cases as the host's busybox and the lab print them, in the same order. */
export function busyboxAndLab(
  tool: string,
  inputs: readonly (string | null)[],
  options: readonly string[],
): { busybox: string[]; lab: string[] } {
  const real = execFileSync(HOST_BUSYBOX, ['sh', '-s'], {
    input: casesScript(tool, `${HOST_BUSYBOX} ${tool}`, inputs, options),
    encoding: 'latin1',
  });
  const lab = new LabShell({ ramdiskKb: 1024 }).runScript(casesScript(tool, tool, inputs, options));
  const cases = (text: string) => text.split(new RegExp(`(?=^## ${tool})`, 'm'));
  return { busybox: cases(real), lab: cases(lab) };
}

/** One script: a directory per case ($D, with `setup` run in it), each case's output after a line that names it. */
function caseDirectoriesScript(cases: readonly string[], setup: string, root: string): string {
  return cases
    .map(
      (c, k) => `echo "## ${k}: ${c.replace(/["$`\\]/g, '.')}"; D=${root}/c${k}; mkdir $D; ${setup}; { ${c}; } 2>&1\n`,
    )
    .join('');
}

/**
 * Each case run in a directory of its own by the host's busybox (under a temporary directory,
 * put back to /tmp/t in its output) and by the lab (under /tmp/t), split into cases in order.
 */
export function busyboxAndLabInDirectories(
  cases: readonly string[],
  setup: string,
): { busybox: string[]; lab: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'thinlab-cases-'));
  try {
    const real = execFileSync(HOST_BUSYBOX, ['sh', '-s'], {
      input: caseDirectoriesScript(cases, setup, root),
      encoding: 'latin1',
    }).replaceAll(root, '/tmp/t');
    const lab = new LabShell({ ramdiskKb: 1024 }).runScript(
      `mkdir /tmp/t\n${caseDirectoriesScript(cases, setup, '/tmp/t')}`,
    );
    const split = (text: string) => text.split(/(?=^## \d+:)/m);
    return { busybox: split(real), lab: split(lab) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
