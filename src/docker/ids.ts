/**
 * Identifiers that look like Docker's (64 hex digits) without randomness: each comes from a name
 * and a counter in the lab's state, so the same commands give the same ids on every replay.
 */

function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function hexId(text: string): string {
  let out = '';
  for (let seed = 0; out.length < 64; seed++)
    out += fnv1a(text, seed * 0x9e3779b9)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, 64);
}

const ADJECTIVES = [
  'admiring',
  'brave',
  'clever',
  'dreamy',
  'eager',
  'focused',
  'gallant',
  'happy',
  'jolly',
  'keen',
  'loving',
  'nifty',
];
const SCIENTISTS = [
  'turing',
  'hopper',
  'lovelace',
  'curie',
  'noether',
  'shannon',
  'ritchie',
  'thompson',
  'knuth',
  'liskov',
  'dijkstra',
  'torvalds',
];

/** A container name in Docker's adjective_surname style, chosen by the counter. */
export function containerName(counter: number): string {
  return `${ADJECTIVES[counter % ADJECTIVES.length]!}_${SCIENTISTS[Math.floor(counter / ADJECTIVES.length) % SCIENTISTS.length]!}`;
}
