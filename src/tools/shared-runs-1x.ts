/**
 * thin_dump 1.1.0's sharing of leaves between devices (src/thin/runs.rs and optimise_metadata in
 * src/thin/metadata.rs). 1.1.0 lists every dumped device's bottom-tree leaves in key order, then
 * cuts the lists into "atomic runs" of leaves that always follow each other: a run met in more
 * than one place is printed once as `<def name="HEAD">` before the devices and each device names
 * it with `<ref name="HEAD"/>`, where 0.9.0 prints the mappings inline. A snapshot whose origin
 * has since written some blocks shares the rest of its leaves, so the dump of such a pool differs
 * between the releases (seed 17 case 4510 of the metadata campaign, diverged.img). The port keeps
 * the real code's steps, names and order, since the runs it finds depend on both.
 */

/** A device's leaves after the cut: a leaf printed inline, or a reference to a shared run. */
export type SharedEntry = { readonly leaf: number } | { readonly ref: number };

/** The leaf sequences' graph, as runs.rs's Gatherer builds it leaf by leaf. */
class Gatherer {
  private prev: number | null = null;
  private readonly heads = new Set<number>();
  private readonly tails = new Set<number>();
  /** Each leaf met, with the leaves met right after it (its neighbours). */
  private readonly entries = new Map<number, Set<number>>();
  private readonly back = new Map<number, number>();
  private readonly shared = new Set<number>();

  /** FixedBitSet::put: sets the bit and says whether it was set already. */
  private static put(set: Set<number>, b: number): boolean {
    const was = set.has(b);
    set.add(b);
    return was;
  }

  private markHead(b: number): void {
    if (Gatherer.put(this.heads, b)) this.shared.add(b);
  }

  newSeq(): void {
    if (this.prev !== null) this.tails.add(this.prev);
    this.prev = null;
  }

  next(b: number): void {
    const prev = this.prev;
    if (prev !== null) {
      const neighbours = this.entries.get(prev)!;
      if (Gatherer.put(neighbours, b)) this.shared.add(b);
      const back = this.back.get(b);
      if (back === undefined) this.back.set(b, prev);
      else if (back !== prev) this.markHead(b);
    } else {
      this.markHead(b);
    }
    if (!this.entries.has(b)) this.entries.set(b, new Set());
    this.prev = b;
  }

  /** The smallest neighbour (a BTreeSet's first). */
  private firstNeighbour(b: number): number | undefined {
    let first: number | undefined;
    for (const n of this.entries.get(b) ?? []) if (first === undefined || n < first) first = n;
    return first;
  }

  private extractSeq(head: number): number[] {
    const seq: number[] = [];
    let b = head;
    for (;;) {
      seq.push(b);
      if (this.tails.has(b)) return seq;
      const n = this.firstNeighbour(b);
      // A leaf that is no tail has exactly one neighbour (complete_heads_and_tails made it so).
      if (n === undefined) throw new Error(`Gatherer: leaf ${b} is neither a tail nor followed`);
      b = n;
    }
  }

  private completeHeadsAndTails(): void {
    const extra: number[] = [];
    for (const b of [...this.entries.keys()].sort((x, y) => x - y)) {
      if (this.entries.get(b)!.size !== 1) extra.push(b);
      const n = this.firstNeighbour(b);
      if (n !== undefined && this.heads.has(n)) extra.push(b);
    }
    for (const t of extra) this.tails.add(t);
    for (const t of this.tails) {
      for (const n of this.entries.get(t) ?? []) if (Gatherer.put(this.heads, n)) this.shared.add(n);
    }
  }

  /** The atomic runs, in order of their first leaf, each with whether it is shared. */
  gather(): { run: number[]; shared: boolean }[] {
    this.newSeq();
    this.completeHeadsAndTails();
    return [...this.heads].sort((x, y) => x - y).map((b) => ({ run: this.extractSeq(b), shared: this.shared.has(b) }));
  }
}

/** The dump's plan: the shared runs (defs, by head) and each device's entries, in device order. */
export interface SharedPlan {
  readonly defs: readonly { readonly head: number; readonly leaves: readonly number[] }[];
  readonly devices: readonly (readonly SharedEntry[])[];
}

/** build_runs: the atomic runs of the given leaf sequences, each with whether it is shared. */
export function gatherRuns1x(sequences: readonly (readonly number[])[]): { run: number[]; shared: boolean }[] {
  const g = new Gatherer();
  for (const leaves of sequences) {
    g.newSeq();
    for (const b of leaves) g.next(b);
  }
  return g.gather();
}

/** optimise_metadata: the devices' leaf lists cut into runs, the shared ones made defs. */
export function planSharedRuns1x(leavesByDevice: readonly (readonly number[])[]): SharedPlan {
  const runs = new Map<number, { run: number[]; shared: boolean }>();
  for (const r of gatherRuns1x(leavesByDevice)) runs.set(r.run[0]!, r);
  const devices = leavesByDevice.map((leaves) => {
    const out: SharedEntry[] = [];
    let i = 0;
    while (i < leaves.length) {
      const b = leaves[i]!;
      const r = runs.get(b);
      if (r === undefined) {
        out.push({ leaf: b });
        i++;
        continue;
      }
      if (r.shared) out.push({ ref: b });
      else for (const v of r.run) out.push({ leaf: v });
      // As entries_to_runs does, the run's length is skipped whatever the entries that follow.
      i += r.run.length;
    }
    return out;
  });
  const defs = [...runs.values()]
    .filter((r) => r.shared)
    .sort((x, y) => x.run[0]! - y.run[0]!)
    .map((r) => ({ head: r.run[0]!, leaves: r.run }));
  return { defs, devices };
}
