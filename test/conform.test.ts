/**
 * `thinlab conform` end to end, where this machine can run it (qemu-system-x86_64 on the PATH;
 * `.ci/run` installs it): small kernel fixtures through the real kernel in a VM built from Debian's
 * packages, and through the lab. Conform must find them in agreement, and what the VM printed must
 * be what the shared oracle printed when the fixture was recorded (masked as the transcript tests
 * mask it). The first run fetches Debian 12's kernel and tools into the cache (~80 MB, once).
 */
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDirOf } from '../src/cli/conform-command.js';
import { runCli } from '../src/cli/run-cli.js';
import { conform } from '../src/conform/conform.js';
import { findCommand } from '../src/conform/host-tools.js';
import { ramdiskKbOfScript } from '../src/conform/lab-run.js';
import { maskTranscript } from '../src/conform/transcript-mask.js';
import { hostDebianSource } from '../src/conform/vm-packages.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'kernel');
const PATH_DIRS = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
const QEMU = findCommand('qemu-system-x86_64', PATH_DIRS);
const SKIP = QEMU === null ? 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)' : '';
/** The first run fetches and builds; a VM run under software emulation on a busy machine takes minutes. */
const TIMEOUT_MS = 15 * 60 * 1000;

function kernelText(rows: ReadonlyArray<{ kernel: { text: string } | null }>): string {
  return rows.flatMap((r) => (r.kernel === null ? [] : [`${r.kernel.text}\n`])).join('');
}

describe.skipIf(QEMU === null)(`thinlab conform on the real kernel${SKIP === '' ? '' : ` (skipped: ${SKIP})`}`, () => {
  for (const name of ['11-discard', '40-obs-s14']) {
    it(
      `${name}: the lab and the VM agree, and the VM prints the recorded transcript`,
      async () => {
        const script = readFileSync(join(DIR, `${name}.sh`), 'latin1');
        const report = await conform({
          scriptName: name,
          script,
          files: new Map(),
          stack: 'debian12',
          ramdiskKb: ramdiskKbOfScript(script) ?? 65536,
          cacheDir: cacheDirOf(undefined, process.env),
          source: hostDebianSource(),
          timeoutS: 600,
          pathDirs: PATH_DIRS,
          asRoot: process.getuid?.() === 0,
          progress: () => {},
        });
        expect(report.comparison.differingRows).toBe(0);
        expect(report.comparison.agree).toBe(true);
        const recorded = readFileSync(join(DIR, `${name}.out`), 'latin1');
        expect(maskTranscript(kernelText(report.comparison.rows))).toBe(maskTranscript(recorded));
        expect(report.vm.thinProvisioningTools).toBe('0.9.0');
      },
      TIMEOUT_MS,
    );
  }

  it(
    '05-thin-lifecycle through the command line: --json, exit 0',
    async () => {
      let out = '';
      const io = { out: (t: string) => (out += t), err: () => {}, interactive: false };
      const status = await runCli(
        ['conform', join(DIR, '05-thin-lifecycle.sh'), '--json', '--timeout-s', '600'],
        io,
        undefined,
      );
      const json = JSON.parse(out) as {
        agree: boolean;
        rows: Array<{ kind: string; kernel: { text: string } | null }>;
      };
      expect(json.agree).toBe(true);
      expect(status).toBe(0);
      expect(json.rows.every((r) => r.kind === 'same')).toBe(true);
      const recorded = readFileSync(join(DIR, '05-thin-lifecycle.out'), 'latin1');
      expect(maskTranscript(kernelText(json.rows))).toBe(maskTranscript(recorded));
    },
    TIMEOUT_MS,
  );
});
