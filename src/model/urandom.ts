/**
 * The lab's /dev/urandom: a seeded, deterministic stream of bytes. The real device gives other
 * bytes on every read of every boot; the lab gives the same bytes on every run of a script (each
 * machine starts from the same seed and every read continues the stream), so that a recorded
 * history replays to the same data and the same md5sums. Consecutive reads still differ, as a
 * script that compares two reads expects. xorshift32: small, fast, and good enough to look
 * random to md5sum, compression and dedup, which is all a script does with these bytes.
 */

/** The state every machine starts from (any non-zero 32-bit value would do). */
export const URANDOM_SEED = 0x2545f491;

/** `count` bytes of the stream from `state`, and the state to continue from. */
export function urandomBytes(state: number, count: number): { readonly bytes: Uint8Array; readonly state: number } {
  const bytes = new Uint8Array(count);
  let x = state >>> 0 || URANDOM_SEED;
  for (let i = 0; i < count; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    for (let k = 0; k < 4 && i + k < count; k++) bytes[i + k] = (x >>> (8 * k)) & 0xff;
  }
  return { bytes, state: x };
}
