/**
 * The differences the transcript tests allow live with `thinlab conform`, which forgives the same
 * ones (src/conform/transcript-mask.ts); the tests import them from here as they always have.
 */
export { maskMetadataPercent, maskMetadataUsed, metadataUsedPairs } from '../src/conform/transcript-mask.js';

/**
 * The script's output as the oracle's capture keeps it: the capture ends the output with the
 * `=== END rc=` marker on the same line and strips the marker, so a last line without a newline
 * (thin_dump 1.1.0's `</superblock>`) reaches the transcript with one.
 */
export function asOracleCaptures(output: string): string {
  return output === '' || output.endsWith('\n') ? output : `${output}\n`;
}
