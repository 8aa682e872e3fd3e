/**
 * Measures what each test file costs in CPU time, for docs/testing.md's tables: on a machine
 * shared with other work, wall time says more about the neighbours than about the tests, while
 * the CPU a file's worker spends (with the processes it started and waited for: the CLI, the real
 * thin-provisioning-tools) is the same at any load. Loaded as a setup file by vitest.config.ts;
 * it does nothing unless THINLAB_TEST_CPU names a file, to which it appends one JSON line per test
 * file: `{"file", "cpuMs", "childCpuMs"}`.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';

const OUT = process.env.THINLAB_TEST_CPU;

/** User plus system time of this process and of its waited-for children, in ms (Linux's /proc). */
function cpuTimesMs(): { self: number; children: number } {
  // Fields after the command name's closing parenthesis: utime is the 12th, then stime, cutime, cstime.
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const tickMs = 10; // USER_HZ is 100 on every Linux vitest runs on here.
  return { self: (f[11]! + f[12]!) * tickMs, children: (f[13]! + f[14]!) * tickMs };
}

if (OUT !== undefined && OUT !== '') {
  // Taken when the setup file loads, before the test file is imported, so that what a file builds
  // at its top level (images, labs) counts too.
  const start = cpuTimesMs();
  afterAll(() => {
    const end = cpuTimesMs();
    const file = expect.getState().testPath ?? 'unknown';
    const line = { file, cpuMs: end.self - start.self, childCpuMs: end.children - start.children };
    appendFileSync(OUT, `${JSON.stringify(line)}\n`);
  });
}
