/**
 * How thin-provisioning-tools 1.1.0 names a btree node in its messages: the path of blocks from
 * the superblock down to the node, packed as its `encode_node_path` packs it (src/pdata/btree_error.rs
 * and the delta instructions of src/pack/vm.rs) and base64-encoded, so that a user can paste it
 * into thin_explore. `node error: checksum error AgEH, effecting keys [..]` names block 7 below
 * the superblock: [0, 7] packs to 02 01 07. The lab prints the same text, so it packs the same way.
 */

/** The instruction tags of 1.1.0's packer, by their number (the high nibble of each byte). */
const TAG = { set: 0, pos: 1, posW: 2, neg: 3, negW: 4, const: 5, const8: 6, count: 7, count8: 8 } as const;

type Delta =
  | { kind: 'base'; n: bigint }
  | { kind: 'const'; count: number }
  | { kind: 'pos' | 'neg'; delta: bigint; count: number };

/** 1.1.0's `to_delta`: a base, then runs of equal steps up or down, or repeats. */
function toDeltas(ns: readonly bigint[]): Delta[] {
  if (ns.length === 0) return [];
  let base = ns[0]!;
  const ds: Delta[] = [{ kind: 'base', n: base }];
  let i = 1;
  while (i < ns.length) {
    const n = ns[i]!;
    if (n === base) {
      let count = 0;
      while (i < ns.length && ns[i] === base) {
        i++;
        count++;
      }
      ds.push({ kind: 'const', count });
      continue;
    }
    const up = n > base;
    const delta = up ? n - base : base - n;
    let count = 0;
    while (i < ns.length && ns[i] === (up ? base + BigInt(count + 1) * delta : base - BigInt(count + 1) * delta)) {
      i++;
      count++;
    }
    ds.push({ kind: up ? 'pos' : 'neg', delta, count });
    base = up ? base + delta * BigInt(count) : base - delta * BigInt(count);
  }
  return ds;
}

/** A little-endian operand of the smallest width of 1, 2, 4 or 8 bytes that holds `n`, with its width. */
function operand(n: bigint): { width: number; bytes: number[] } {
  const width = n <= 0xffn ? 1 : n <= 0xffffn ? 2 : n <= 0xffffffffn ? 4 : 8;
  const bytes: number[] = [];
  for (let b = 0; b < width; b++) bytes.push(Number((n >> BigInt(8 * b)) & 0xffn));
  return { width, bytes };
}

const tag = (t: number, nibble: number): number => (t << 4) | nibble;

function packCount(out: number[], count: number): void {
  if (count === 1) return;
  if (count < 16) out.push(tag(TAG.count, count));
  else out.push(tag(TAG.count8, count >> 8), count & 0xff);
}

function packDelta(out: number[], d: Delta): void {
  if (d.kind === 'base') {
    const o = operand(d.n);
    out.push(tag(TAG.set, o.width), ...o.bytes);
    return;
  }
  if (d.kind === 'const') {
    if (d.count < 16) out.push(tag(TAG.const, d.count));
    else out.push(tag(TAG.const8, d.count >> 8), d.count & 0xff);
    return;
  }
  packCount(out, d.count);
  const [small, wide] = d.kind === 'pos' ? [TAG.pos, TAG.posW] : [TAG.neg, TAG.negW];
  if (d.delta < 16n) out.push(tag(small, Number(d.delta)));
  else {
    const o = operand(d.delta);
    out.push(tag(wide, o.width), ...o.bytes);
  }
}

/** The path as 1.1.0 prints it: a path starting at the superblock (block 0) drops that block. */
export function encodeNodePath(path: readonly number[]): string {
  const out: number[] = [];
  const fromSuperblock = path.length > 0 && path[0] === 0;
  const rest = fromSuperblock ? path.slice(1) : path;
  out.push(fromSuperblock ? (path.length - 1) << 1 : (path.length << 1) | 1);
  for (const d of toDeltas(rest.map(BigInt))) packDelta(out, d);
  return btoa(String.fromCharCode(...out));
}
