/**
 * The differences the transcript tests allow live with `thinlab conform`, which forgives the same
 * ones (src/conform/transcript-mask.ts); the tests import them from here as they always have.
 */
export { maskMetadataPercent, maskMetadataUsed, metadataUsedPairs } from '../src/conform/transcript-mask.js';
