/**
 * What a comparison of a lab transcript with the real kernel's may ignore, and nothing else: the
 * used-metadata-blocks count in a pool status line (`<tid> <used>/<total> ...`), which the lab
 * estimates instead of laying out real btrees (docs/model.md), the lvs `Meta%` that follows from
 * it, and the kernel's timestamps at the start of a dmesg line, which depend on how fast the VM
 * booted. The transcript tests (test/transcripts.test.ts, test/lvm-transcripts.test.ts) and
 * `thinlab conform` use these same functions, so the product and the tests forgive the same things.
 */
const POOL_STATUS = /(thin-pool [0-9]+ )([0-9]+)(\/[0-9]+ [0-9]+\/[0-9]+ )/g;

export function maskMetadataUsed(text: string): string {
  return text.replace(POOL_STATUS, '$1<used>$3');
}

/** Pairs of (kernel, lab) used-metadata counts, line by line where both print a pool status. */
export function metadataUsedPairs(kernel: string, lab: string): Array<[number, number]> {
  const grab = (t: string): number[] => [...t.matchAll(POOL_STATUS)].map((m) => Number(m[2]));
  const a = grab(kernel);
  const b = grab(lab);
  return a.slice(0, Math.min(a.length, b.length)).map((k, i) => [k, b[i]!]);
}

/**
 * The lvs `Meta%` column follows the same used-metadata count (used of total metadata blocks), so
 * the LVM transcripts mask it too: under every report heading that has a `Meta%` column, the
 * figure in that column of the rows that follow becomes `<meta>`. Data% and the rest stay exact.
 */
export function maskMetadataPercent(text: string): string {
  const lines = text.split('\n');
  let column = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^ {2}LV +/.test(line) ? line.indexOf(' Meta%') : -1;
    if (heading >= 0) {
      column = heading + 1;
      continue;
    }
    if (column < 0 || !line.startsWith('  ') || line.length < column) {
      column = -1;
      continue;
    }
    const figure = /^[0-9]+\.[0-9]{2}/.exec(line.slice(column));
    if (figure !== null) lines[i] = `${line.slice(0, column)}<meta>${line.slice(column + figure[0].length)}`;
  }
  return lines.join('\n');
}

/** `[    1.234567] ` at the start of a dmesg line: the kernel's time since boot, never the lab's. */
const KERNEL_TIMESTAMP = /^\[ *[0-9]+\.[0-9]+\] /gm;

export function maskKernelTimestamps(text: string): string {
  return text.replace(KERNEL_TIMESTAMP, '[<time>] ');
}

/** Everything a conform comparison ignores, applied to a whole transcript. */
export function maskTranscript(text: string): string {
  return maskKernelTimestamps(maskMetadataPercent(maskMetadataUsed(text)));
}
