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
