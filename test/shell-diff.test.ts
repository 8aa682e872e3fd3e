/**
 * Findings of the differential shell campaign (reliability/shell-diff.ts) against busybox 1.35.0
 * ash, each with what busybox printed for it on the host (the VM's build).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LabShell } from '../src/lab/lab-shell.js';
import { BUSYBOX, makeSandbox, runBusybox } from '../reliability/shell-diff.js';

const run = (script: string) => new LabShell({ ramdiskKb: 1024 }).runScript(script);

/** Scripts with what busybox sh printed for them. */
const CASES: ReadonlyArray<readonly [string, string]> = [
  // seed 17 cases 28, 37, 63, 85, 167, 172: a trim's pattern is a pattern inside double quotes.
  [`v='abc'; echo "\${v#?}" \${v#?} "\${v%?}" "\${v#"a"}" "\${v#'a'}" "\${v#\\?}"\n`, 'bc bc ab bc bc abc\n'],
  [`v='a?c'; echo "\${v#a\\?}" "\${v/?/X}" \${v/?/X}\n`, 'c X?c X?c\n'],
  [
    `v='abc'; echo "\${v/a/'x'}" "\${v/a/"y"}" "\${v/a/*}" "\${v:-'q'}" "\${x:-'q'}" "\${v%"c"}" "\${v##*}" "\${v/b*/Z}"\n`,
    "xbc ybc *bc abc 'q' ab  aZ\n",
  ],
];

describe('shell-diff findings', () => {
  it.each(CASES)('%j prints what busybox sh prints', (script, printed) => {
    expect(run(script)).toBe(printed);
  });

  // The expected texts above are the host busybox's: checked again where it is installed.
  it.runIf(existsSync(BUSYBOX))('the expected texts are what the host busybox prints', () => {
    const sandbox = makeSandbox();
    try {
      for (const [script, printed] of CASES) expect(runBusybox(sandbox.dir, script).printed).toBe(printed);
    } finally {
      sandbox.remove();
    }
  });
});
