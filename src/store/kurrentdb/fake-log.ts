/**
 * The in-memory log behind the loopback fake KurrentDB server: streams of records with KurrentDB's
 * rules for expected revisions and stream reads. It knows nothing of gRPC, so its rules can be
 * read (and tested) apart from the wire format.
 *
 * Positions mimic the real transaction log: byte offsets that grow by each record's size, so
 * they increase but are not contiguous, and an adapter that assumed `position + 1` would break.
 */

export interface FakeRecord {
  readonly streamName: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

export type ProposedRecord = Omit<FakeRecord, 'streamName' | 'revision' | 'position'>;

export type FakeExpected =
  | { readonly kind: 'any' | 'no_stream' | 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

export type FakeAppendOutcome =
  | { readonly ok: true; readonly currentRevision: bigint; readonly position: bigint }
  | { readonly ok: false; readonly currentRevision: bigint | null };

export interface FakeLogLimits {
  /** Records the log may hold in total; the fake refuses appends beyond it. */
  readonly maxEvents: number;
  /** Bytes of data and metadata the log may hold in total. */
  readonly maxBytes: number;
}

/** A fixed per-record overhead added to positions, standing in for the real record header. */
const RECORD_HEADER_BYTES = 64n;

export class FakeLogFullError extends Error {
  override readonly name = 'FakeLogFullError';
}

export class FakeLog {
  readonly #streams = new Map<string, FakeRecord[]>();
  readonly #limits: FakeLogLimits;
  #nextPosition = 128n;
  #events = 0;
  #bytes = 0;

  constructor(limits: FakeLogLimits) {
    this.#limits = limits;
  }

  get eventCount(): number {
    return this.#events;
  }

  get byteCount(): number {
    return this.#bytes;
  }

  /** All-or-nothing, as on the real server: a refused append changes nothing. */
  append(streamName: string, expected: FakeExpected, proposed: readonly ProposedRecord[]): FakeAppendOutcome {
    const records = this.#streams.get(streamName);
    const current = records === undefined ? null : BigInt(records.length - 1);
    if (!holds(expected, current)) return { ok: false, currentRevision: current };
    const bytes = proposed.reduce((sum, p) => sum + p.data.byteLength + p.customMetadata.byteLength, 0);
    if (this.#events + proposed.length > this.#limits.maxEvents || this.#bytes + bytes > this.#limits.maxBytes) {
      throw new FakeLogFullError(`the fake server is full (${this.#events} events, ${this.#bytes} bytes)`);
    }
    if (proposed.length === 0) {
      // The real server accepts an empty append and reports the stream as it is.
      return { ok: true, currentRevision: current ?? -1n, position: this.#nextPosition };
    }
    const target = records ?? [];
    let position = this.#nextPosition;
    for (const p of proposed) {
      position = this.#nextPosition;
      target.push({ ...p, streamName, revision: BigInt(target.length), position });
      this.#nextPosition += RECORD_HEADER_BYTES + BigInt(p.data.byteLength + p.customMetadata.byteLength);
    }
    this.#streams.set(streamName, target);
    this.#events += proposed.length;
    this.#bytes += bytes;
    return { ok: true, currentRevision: BigInt(target.length - 1), position };
  }

  /**
   * A stream read. `from` is a revision, or the start/end of the stream. Returns null when the
   * stream has no records, which the server reports as StreamNotFound.
   */
  read(
    streamName: string,
    direction: 'forwards' | 'backwards',
    from: 'start' | 'end' | bigint,
    count: bigint,
  ): FakeRecord[] | null {
    const records = this.#streams.get(streamName);
    if (records === undefined) return null;
    const last = records.length - 1;
    const out: FakeRecord[] = [];
    if (direction === 'forwards') {
      let i = from === 'start' ? 0 : from === 'end' ? last + 1 : clamp(from, last + 1);
      while (i <= last && BigInt(out.length) < count) out.push(records[i++]!);
    } else {
      let i = from === 'end' ? last : from === 'start' ? 0 : clamp(from, last);
      while (i >= 0 && BigInt(out.length) < count) out.push(records[i--]!);
    }
    return out;
  }
}

function holds(expected: FakeExpected, current: bigint | null): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return current === null;
    case 'stream_exists':
      return current !== null;
    case 'revision':
      return current === expected.revision;
  }
}

function clamp(revision: bigint, max: number): number {
  return revision > BigInt(max) ? max : Number(revision);
}
