/**
 * The one difference the transcript tests allow: the used-metadata-blocks count in a pool status
 * line (`<tid> <used>/<total> ...`), which the lab estimates instead of laying out real btrees.
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
