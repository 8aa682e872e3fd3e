/**
 * The event store contract: one vitest suite that every adapter must pass, so the SQLite store,
 * the KurrentDB adapter against the loopback fake, and the KurrentDB adapter against a real server
 * are held to the same behaviour. Each test uses its own streams under `streamPrefix`, so the
 * suite also runs against a server that keeps data between tests and between runs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConcurrencyConflictError, StoreErrorCode } from './errors.js';
import { isConcurrencyConflict, isStoreError } from './errors.js';
import type { EventStore, ExpectedRevision, NewEvent, StoredEvent } from './event-store.js';

export interface ContractOptions {
  /**
   * Prepended to every stream id, read again before each test (a getter may hand out a fresh one
   * per test); give a unique one per run when the backend keeps data between runs.
   */
  readonly streamPrefix?: string;
}

export async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

/** A batch whose events carry their index, so a test can tell which event landed where. */
export function batchOf(count: number, label: string, timeMs = 0): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'Counted',
    version: 1,
    data: { label, i },
    timeMs: timeMs + i,
  }));
}

/** Runs `action`, which must fail with a store error carrying `code`, and returns that error. */
export async function expectStoreError(action: () => Promise<unknown>, code: StoreErrorCode): Promise<Error> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${code} error`).toBeDefined();
  expect(isStoreError(caught), `expected a StoreError, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code, `got: ${(caught as Error).message}`).toBe(code);
  expect((caught as Error).message).not.toContain('\n');
  return caught as Error;
}

/** What each group of tests gets: the store of the current test and its stream-id maker. */
interface ContractContext {
  readonly store: () => EventStore;
  readonly sid: (id: string) => string;
}

export function runEventStoreContract(
  name: string,
  open: () => Promise<EventStore>,
  cleanup: () => Promise<void> | void = () => undefined,
  options: ContractOptions = {},
): void {
  let prefix = 'contract-';
  let store: EventStore | undefined;
  const context: ContractContext = {
    store: () => store!,
    sid: (id) => `${prefix}${id}`,
  };

  describe(`EventStore contract: ${name}`, () => {
    beforeEach(async () => {
      prefix = options.streamPrefix ?? 'contract-';
      store = await open();
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
      await cleanup();
    });

    describe('append and read', () => appendAndReadTests(context));
    describe('expected revision', () => expectedRevisionTests(context));
    describe('read options', () => readOptionTests(context));
    describe('listStreams', () => listStreamsTests(context));
    describe('stream metadata', () => streamMetadataTests(context));
    describe('checkpoints', () => checkpointTests(context));
    describe('summaries', () => summaryTests(context));
    describe('bad input', () => badInputTests(context));
    describe('close', () => closeTests(context));
    describe('a registry stream written by racing writers', () => registryTests(context));
  });
}

function appendAndReadTests({ store, sid }: ContractContext): void {
  it('round-trips type, version, data, metadata, time, revisions and positions', async () => {
    const stream = sid('roundtrip');
    const events: NewEvent[] = [
      {
        type: 'PoolCreated',
        version: 1,
        data: { blocks: 1024, name: 'pool', nested: { list: [1, 'two', null, true] } },
        timeMs: 0,
      },
      { type: 'ThinCreated', version: 3, data: [1, 2, 3], metadata: { commandId: 'c-1', causes: ['a'] }, timeMs: 15 },
      { type: 'Note', version: 0, data: 'plain string ✓ ünïcode', metadata: {}, timeMs: 15.5 },
      { type: 'Nothing', version: 2, data: null, timeMs: 1e12 },
    ];
    const result = await store().append(stream, events, 'no_stream');
    expect(result.nextExpectedRevision).toBe(3n);
    const read = await collect(store().readStream(stream));
    expect(read).toHaveLength(4);
    read.forEach((event, i) => {
      const sent = events[i]!;
      expect(event.streamId).toBe(stream);
      expect(event.revision).toBe(BigInt(i));
      expect(event.type).toBe(sent.type);
      expect(event.version).toBe(sent.version);
      expect(event.data).toEqual(sent.data);
      expect(event.metadata).toEqual(sent.metadata);
      expect(event.timeMs).toBe(sent.timeMs);
      expect(typeof event.position).toBe('bigint');
    });
    for (let i = 1; i < read.length; i++) expect(read[i]!.position).toBeGreaterThan(read[i - 1]!.position);
  });

  it('continues revisions across appends and returns the position of a single appended event', async () => {
    const stream = sid('continue');
    const first = await store().append(stream, batchOf(2, 'a'), 'no_stream');
    const second = await store().append(stream, batchOf(1, 'b'), first.nextExpectedRevision);
    const third = await store().append(stream, batchOf(3, 'c'), second.nextExpectedRevision);
    expect([first.nextExpectedRevision, second.nextExpectedRevision, third.nextExpectedRevision]).toEqual([1n, 2n, 5n]);
    expect(second.position).toBeGreaterThan(first.position);
    expect(third.position).toBeGreaterThan(second.position);
    const read = await collect(store().readStream(stream));
    expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(read.map((e) => (e.data as { label: string }).label).join('')).toBe('aabccc');
    expect(read[2]!.position).toBe(second.position);
  });

  it('orders positions globally across streams', async () => {
    const a = sid('global-a');
    const b = sid('global-b');
    await store().append(a, batchOf(2, 'a1'), 'any');
    await store().append(b, batchOf(2, 'b1'), 'any');
    await store().append(a, batchOf(1, 'a2'), 'any');
    const readA = await collect(store().readStream(a));
    const readB = await collect(store().readStream(b));
    expect(readB[0]!.position).toBeGreaterThan(readA[1]!.position);
    expect(readA[2]!.position).toBeGreaterThan(readB[1]!.position);
    const all = [...readA, ...readB].map((e) => e.position);
    expect(new Set(all).size).toBe(all.length);
  });

  it('reads a missing stream as empty and reports no last revision', async () => {
    const stream = sid('missing');
    expect(await collect(store().readStream(stream))).toEqual([]);
    expect(await collect(store().readStream(stream, { direction: 'backwards' }))).toEqual([]);
    expect(await store().lastRevision(stream)).toBeNull();
  });

  it('reports the last revision', async () => {
    const stream = sid('last');
    await store().append(stream, batchOf(5, 'x'), 'no_stream');
    expect(await store().lastRevision(stream)).toBe(4n);
    await store().append(stream, batchOf(2, 'y'), 4n);
    expect(await store().lastRevision(stream)).toBe(6n);
  });
}

function expectedRevisionTests({ store, sid }: ContractContext): void {
  it("'no_stream' succeeds on a new stream and conflicts on an existing one", async () => {
    const stream = sid('no-stream');
    await store().append(stream, batchOf(2, 'a'), 'no_stream');
    const error = (await expectStoreError(
      () => store().append(stream, batchOf(1, 'b'), 'no_stream'),
      'STORE_CONFLICT',
    )) as ConcurrencyConflictError;
    expect(isConcurrencyConflict(error)).toBe(true);
    expect(error.streamId).toBe(stream);
    expect(error.expected).toBe('no_stream');
    expect(error.actual).toBe(1n);
    expect(error.message).toContain(stream);
  });

  it("'stream_exists' conflicts on a missing stream and succeeds on an existing one", async () => {
    const stream = sid('exists');
    const error = (await expectStoreError(
      () => store().append(stream, batchOf(1, 'a'), 'stream_exists'),
      'STORE_CONFLICT',
    )) as ConcurrencyConflictError;
    expect(error.expected).toBe('stream_exists');
    expect(error.actual).toBeNull();
    expect(await store().lastRevision(stream)).toBeNull();
    await store().append(stream, batchOf(1, 'a'), 'no_stream');
    const result = await store().append(stream, batchOf(1, 'b'), 'stream_exists');
    expect(result.nextExpectedRevision).toBe(1n);
  });

  it('an exact revision must match the last event: stale, future and missing-stream revisions conflict', async () => {
    const stream = sid('exact');
    const missing = (await expectStoreError(
      () => store().append(stream, batchOf(1, 'a'), 0n),
      'STORE_CONFLICT',
    )) as ConcurrencyConflictError;
    expect(missing.actual).toBeNull();
    await store().append(stream, batchOf(3, 'a'), 'no_stream');
    const stale = (await expectStoreError(
      () => store().append(stream, batchOf(1, 'b'), 1n),
      'STORE_CONFLICT',
    )) as ConcurrencyConflictError;
    expect(stale.expected).toBe(1n);
    expect(stale.actual).toBe(2n);
    const future = (await expectStoreError(
      () => store().append(stream, batchOf(1, 'b'), 3n),
      'STORE_CONFLICT',
    )) as ConcurrencyConflictError;
    expect(future.actual).toBe(2n);
    const ok = await store().append(stream, batchOf(1, 'b'), 2n);
    expect(ok.nextExpectedRevision).toBe(3n);
  });

  it("'any' appends to missing and existing streams", async () => {
    const stream = sid('any');
    expect((await store().append(stream, batchOf(1, 'a'), 'any')).nextExpectedRevision).toBe(0n);
    expect((await store().append(stream, batchOf(2, 'b'), 'any')).nextExpectedRevision).toBe(2n);
  });

  it('a refused append writes nothing', async () => {
    const stream = sid('refused');
    await store().append(stream, batchOf(2, 'a'), 'no_stream');
    await expectStoreError(() => store().append(stream, batchOf(3, 'b'), 0n), 'STORE_CONFLICT');
    const read = await collect(store().readStream(stream));
    expect(read.map((e) => (e.data as { label: string }).label)).toEqual(['a', 'a']);
  });

  it('of two racing appends with the same expectation exactly one wins', async () => {
    const stream = sid('race');
    await store().append(stream, batchOf(1, 'seed'), 'no_stream');
    const outcomes = await Promise.allSettled([
      store().append(stream, batchOf(3, 'left'), 0n),
      store().append(stream, batchOf(3, 'right'), 0n),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(isConcurrencyConflict(rejected[0]!.reason)).toBe(true);
    const labels = (await collect(store().readStream(stream))).map((e) => (e.data as { label: string }).label);
    expect(labels).toHaveLength(4);
    expect(new Set(labels.slice(1)).size).toBe(1);
  });
}

function readOptionTests({ store, sid }: ContractContext): void {
  const seed = async (stream: string): Promise<void> => {
    await store().append(stream, batchOf(6, 'r'), 'no_stream');
    await store().append(stream, batchOf(4, 's'), 5n);
  };
  const revisions = (events: StoredEvent[]): bigint[] => events.map((e) => e.revision);

  it('reads forwards from a revision and with a count', async () => {
    const stream = sid('opts-forwards');
    await seed(stream);
    expect(revisions(await collect(store().readStream(stream, { fromRevision: 4n })))).toEqual([
      4n,
      5n,
      6n,
      7n,
      8n,
      9n,
    ]);
    expect(revisions(await collect(store().readStream(stream, { maxCount: 3 })))).toEqual([0n, 1n, 2n]);
    expect(revisions(await collect(store().readStream(stream, { fromRevision: 8n, maxCount: 5 })))).toEqual([8n, 9n]);
    expect(await collect(store().readStream(stream, { fromRevision: 10n }))).toEqual([]);
    expect(await collect(store().readStream(stream, { maxCount: 0 }))).toEqual([]);
  });

  it('reads backwards from the end or from a revision', async () => {
    const stream = sid('opts-backwards');
    await seed(stream);
    expect(revisions(await collect(store().readStream(stream, { direction: 'backwards' })))).toEqual([
      9n,
      8n,
      7n,
      6n,
      5n,
      4n,
      3n,
      2n,
      1n,
      0n,
    ]);
    expect(revisions(await collect(store().readStream(stream, { direction: 'backwards', maxCount: 1 })))).toEqual([9n]);
    expect(revisions(await collect(store().readStream(stream, { direction: 'backwards', fromRevision: 3n })))).toEqual([
      3n,
      2n,
      1n,
      0n,
    ]);
    expect(
      revisions(await collect(store().readStream(stream, { direction: 'backwards', fromRevision: 6n, maxCount: 2 }))),
    ).toEqual([6n, 5n]);
    expect(
      revisions(await collect(store().readStream(stream, { direction: 'backwards', fromRevision: 50n, maxCount: 2 }))),
    ).toEqual([9n, 8n]);
  });

  it('lets a reader stop early', async () => {
    const stream = sid('opts-early');
    await seed(stream);
    const seen: bigint[] = [];
    for await (const event of store().readStream(stream)) {
      seen.push(event.revision);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([0n, 1n]);
    expect(await store().lastRevision(stream)).toBe(9n);
  });
}

function listStreamsTests({ store, sid }: ContractContext): void {
  it('lists streams with events under a prefix, sorted', async () => {
    const base = sid('list-');
    await store().append(`${base}pool-b`, batchOf(1, 'x'), 'no_stream');
    await store().append(`${base}pool-a`, batchOf(2, 'x'), 'no_stream');
    await store().append(`${base}pool-a`, batchOf(1, 'x'), 1n);
    await store().append(`${base}other`, batchOf(1, 'x'), 'no_stream');
    await store().setStreamMetadata(`${base}pool-metadata-only`, { note: 'no events' });
    expect(await store().listStreams(`${base}pool-`)).toEqual([`${base}pool-a`, `${base}pool-b`]);
    expect(await store().listStreams(base)).toEqual([`${base}other`, `${base}pool-a`, `${base}pool-b`]);
    expect(await store().listStreams(`${base}nothing-`)).toEqual([]);
    const all = await store().listStreams('');
    expect(all).toEqual(expect.arrayContaining([`${base}other`, `${base}pool-a`, `${base}pool-b`]));
  });

  it('does not list checkpoint bookkeeping', async () => {
    const base = sid('list-cp-');
    await store().append(`${base}lab`, batchOf(2, 'x'), 'no_stream');
    await store().saveCheckpoint(`${base}lab`, 1n, new Uint8Array([1, 2, 3]));
    expect(await store().listStreams(base)).toEqual([`${base}lab`]);
    expect((await store().listStreams('')).filter((id) => id.includes(`${base}lab`))).toEqual([`${base}lab`]);
  });
}

function streamMetadataTests({ store, sid }: ContractContext): void {
  it('is null until written, then the last write wins', async () => {
    const stream = sid('meta');
    expect(await store().getStreamMetadata(stream)).toBeNull();
    await store().setStreamMetadata(stream, { owner: 'lab-1', limits: { blocks: 10 } });
    expect(await store().getStreamMetadata(stream)).toEqual({ owner: 'lab-1', limits: { blocks: 10 } });
    await store().setStreamMetadata(stream, { owner: 'lab-2' });
    expect(await store().getStreamMetadata(stream)).toEqual({ owner: 'lab-2' });
  });

  it('checks the expected revision of the metadata', async () => {
    const stream = sid('meta-expected');
    await store().setStreamMetadata(stream, { v: 1 }, { expectedRevision: 'no_stream' });
    await expectStoreError(
      () => store().setStreamMetadata(stream, { v: 2 }, { expectedRevision: 'no_stream' }),
      'STORE_CONFLICT',
    );
    await store().setStreamMetadata(stream, { v: 2 }, { expectedRevision: 0n });
    await expectStoreError(
      () => store().setStreamMetadata(stream, { v: 3 }, { expectedRevision: 0n }),
      'STORE_CONFLICT',
    );
    expect(await store().getStreamMetadata(stream)).toEqual({ v: 2 });
  });

  it('is not read as server settings: a key named maxCount leaves the events alone', async () => {
    const stream = sid('meta-maxcount');
    await store().append(stream, batchOf(5, 'x'), 'no_stream');
    await store().setStreamMetadata(stream, { maxCount: 1, truncateBefore: 4 });
    expect(await collect(store().readStream(stream))).toHaveLength(5);
    expect(await store().getStreamMetadata(stream)).toEqual({ maxCount: 1, truncateBefore: 4 });
  });

  it('refuses keys reserved by the server', async () => {
    await expectStoreError(
      () => store().setStreamMetadata(sid('meta-bad'), { $maxCount: 1 }),
      'STORE_INVALID_ARGUMENT',
    );
    await expectStoreError(() => store().setStreamMetadata(sid('meta-bad'), [] as never), 'STORE_INVALID_ARGUMENT');
  });
}

function checkpointTests({ store, sid }: ContractContext): void {
  const bytes = (length: number, seed: number): Uint8Array =>
    Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

  it('loads the newest checkpoint at or before a revision', async () => {
    const stream = sid('cp');
    await store().append(stream, batchOf(10, 'x'), 'no_stream');
    expect(await store().loadCheckpoint(stream, 9n)).toBeNull();
    expect(await store().checkpointStats(stream)).toEqual({ count: 0, bytes: 0 });
    await store().saveCheckpoint(stream, 3n, bytes(100, 3));
    await store().saveCheckpoint(stream, 7n, bytes(250, 7));
    await store().saveCheckpoint(stream, 1n, bytes(10, 1));
    expect(await store().loadCheckpoint(stream, 0n)).toBeNull();
    expect(await store().loadCheckpoint(stream, 1n)).toEqual({ revision: 1n, state: bytes(10, 1) });
    expect(await store().loadCheckpoint(stream, 2n)).toEqual({ revision: 1n, state: bytes(10, 1) });
    expect(await store().loadCheckpoint(stream, 6n)).toEqual({ revision: 3n, state: bytes(100, 3) });
    expect(await store().loadCheckpoint(stream, 7n)).toEqual({ revision: 7n, state: bytes(250, 7) });
    expect(await store().loadCheckpoint(stream, 1000n)).toEqual({ revision: 7n, state: bytes(250, 7) });
    expect(await store().checkpointStats(stream)).toEqual({ count: 3, bytes: 360 });
  });

  it('replaces a checkpoint saved again at the same revision', async () => {
    const stream = sid('cp-replace');
    await store().append(stream, batchOf(4, 'x'), 'no_stream');
    await store().saveCheckpoint(stream, 2n, bytes(50, 1));
    await store().saveCheckpoint(stream, 2n, bytes(20, 2));
    expect(await store().loadCheckpoint(stream, 3n)).toEqual({ revision: 2n, state: bytes(20, 2) });
    expect(await store().checkpointStats(stream)).toEqual({ count: 1, bytes: 20 });
  });

  it('keeps empty and large states byte for byte, and streams apart', async () => {
    const stream = sid('cp-sizes');
    const other = sid('cp-sizes-other');
    await store().append(stream, batchOf(3, 'x'), 'no_stream');
    await store().append(other, batchOf(3, 'x'), 'no_stream');
    const large = bytes(1_300_000, 5);
    await store().saveCheckpoint(stream, 0n, new Uint8Array(0));
    await store().saveCheckpoint(stream, 2n, large);
    await store().saveCheckpoint(other, 2n, bytes(7, 9));
    const loaded = await store().loadCheckpoint(stream, 2n);
    expect(loaded?.revision).toBe(2n);
    expect(loaded?.state.byteLength).toBe(large.byteLength);
    expect(Buffer.compare(Buffer.from(loaded!.state), Buffer.from(large))).toBe(0);
    expect(await store().loadCheckpoint(stream, 1n)).toEqual({ revision: 0n, state: new Uint8Array(0) });
    expect(await store().loadCheckpoint(other, 2n)).toEqual({ revision: 2n, state: bytes(7, 9) });
    expect(await store().checkpointStats(stream)).toEqual({ count: 2, bytes: large.byteLength });
    expect(await collect(store().readStream(stream))).toHaveLength(3);
  });

  it('refuses a checkpoint past the end of the stream', async () => {
    const stream = sid('cp-future');
    await expectStoreError(() => store().saveCheckpoint(stream, 0n, bytes(4, 0)), 'STORE_INVALID_ARGUMENT');
    await store().append(stream, batchOf(2, 'x'), 'no_stream');
    await expectStoreError(() => store().saveCheckpoint(stream, 2n, bytes(4, 0)), 'STORE_INVALID_ARGUMENT');
    expect(await store().checkpointStats(stream)).toEqual({ count: 0, bytes: 0 });
  });
}

function summaryTests({ store, sid }: ContractContext): void {
  const chunk = (first: bigint, count: number, data: string) => ({ firstRevision: first, count, data });

  it('keeps chunks in revision order, a merged chunk replacing the ones inside its range', async () => {
    const stream = sid('sum');
    await store().append(stream, batchOf(6, 'x'), 'no_stream');
    expect(await store().readSummaries(stream)).toEqual([]);
    await store().saveSummaries(stream, chunk(2n, 1, 'c'));
    await store().saveSummaries(stream, chunk(0n, 1, 'a'));
    await store().saveSummaries(stream, chunk(1n, 1, 'b'));
    await store().saveSummaries(stream, chunk(3n, 3, 'def'));
    expect(await store().readSummaries(stream)).toEqual([
      chunk(0n, 1, 'a'),
      chunk(1n, 1, 'b'),
      chunk(2n, 1, 'c'),
      chunk(3n, 3, 'def'),
    ]);
    expect(await store().readSummaries(stream, 2n)).toEqual([chunk(2n, 1, 'c'), chunk(3n, 3, 'def')]);
    await store().saveSummaries(stream, chunk(0n, 3, 'ABC'));
    expect(await store().readSummaries(stream)).toEqual([chunk(0n, 3, 'ABC'), chunk(3n, 3, 'def')]);
    // A chunk starting where another starts replaces it; streams keep their own.
    await store().saveSummaries(stream, chunk(3n, 2, 'DE'));
    expect(await store().readSummaries(stream)).toEqual([chunk(0n, 3, 'ABC'), chunk(3n, 2, 'DE')]);
    expect(await store().readSummaries(sid('sum-other'))).toEqual([]);
  });

  it('refuses summaries past the end of the stream and malformed chunks, keeping what it had', async () => {
    const stream = sid('sum-bad');
    await expectStoreError(() => store().saveSummaries(stream, chunk(0n, 1, 'a')), 'STORE_INVALID_ARGUMENT');
    await store().append(stream, batchOf(2, 'x'), 'no_stream');
    await store().saveSummaries(stream, chunk(0n, 2, 'ok'));
    await expectStoreError(() => store().saveSummaries(stream, chunk(1n, 2, 'b')), 'STORE_INVALID_ARGUMENT');
    await expectStoreError(() => store().saveSummaries(stream, chunk(0n, 0, 'b')), 'STORE_INVALID_ARGUMENT');
    await expectStoreError(
      () => store().saveSummaries(stream, { firstRevision: -1n, count: 1, data: 'b' }),
      'STORE_INVALID_ARGUMENT',
    );
    await expectStoreError(
      () => store().saveSummaries(stream, { firstRevision: 0n, count: 1, data: 5 } as never),
      'STORE_INVALID_ARGUMENT',
    );
    expect(await store().readSummaries(stream)).toEqual([chunk(0n, 2, 'ok')]);
  });
}

function badInputTests({ store, sid }: ContractContext): void {
  const good: NewEvent = { type: 'Ok', version: 1, data: {}, timeMs: 0 };
  const appendBad =
    (streamId: string, events: unknown, expected: unknown = 'any') =>
    () =>
      store().append(streamId, events as NewEvent[], expected as ExpectedRevision);

  it('refuses bad stream ids, reserved prefixes included', async () => {
    for (const id of ['', '$system', '$$meta', 'thinlab.streams', 'a\nb', 7 as unknown as string]) {
      await expectStoreError(appendBad(id, [good]), 'STORE_INVALID_ARGUMENT');
    }
    await expectStoreError(() => collect(store().readStream('')), 'STORE_INVALID_ARGUMENT');
    await expectStoreError(() => store().lastRevision('$x'), 'STORE_INVALID_ARGUMENT');
  });

  it('refuses bad batches and writes none of their events', async () => {
    const stream = sid('bad-batch');
    const cases: unknown[] = [
      [],
      'not an array',
      [good, { ...good, type: '' }],
      [good, { ...good, type: '$metadata' }],
      [good, { ...good, version: -1 }],
      [good, { ...good, version: 1.5 }],
      [good, { ...good, timeMs: Number.NaN }],
      [good, { ...good, timeMs: -1 }],
      [good, { ...good, data: undefined }],
      [good, { ...good, data: { big: 1n } }],
      [good, { ...good, metadata: ['not', 'an', 'object'] }],
      [good, null],
    ];
    for (const events of cases) await expectStoreError(appendBad(stream, events), 'STORE_INVALID_ARGUMENT');
    expect(await store().lastRevision(stream)).toBeNull();
  });

  it('refuses bad expected revisions and read options', async () => {
    const stream = sid('bad-options');
    for (const expected of [-1n, 'latest', 3, null])
      await expectStoreError(appendBad(stream, [good], expected), 'STORE_INVALID_ARGUMENT');
    await expectStoreError(() => collect(store().readStream(stream, { maxCount: -1 })), 'STORE_INVALID_ARGUMENT');
    await expectStoreError(() => collect(store().readStream(stream, { fromRevision: -2n })), 'STORE_INVALID_ARGUMENT');
    await expectStoreError(
      () => collect(store().readStream(stream, { direction: 'sideways' as never })),
      'STORE_INVALID_ARGUMENT',
    );
    await expectStoreError(() => store().saveCheckpoint(stream, 0n, 'bytes' as never), 'STORE_INVALID_ARGUMENT');
    await expectStoreError(() => store().loadCheckpoint(stream, -1n), 'STORE_INVALID_ARGUMENT');
  });
}

function closeTests({ store, sid }: ContractContext): void {
  it('refuses calls after close, and a second close is harmless', async () => {
    const stream = sid('closed');
    await store().append(stream, batchOf(1, 'x'), 'no_stream');
    await store().close();
    await store().close();
    await expectStoreError(() => store().append(stream, batchOf(1, 'y'), 'any'), 'STORE_CLOSED');
    await expectStoreError(() => collect(store().readStream(stream)), 'STORE_CLOSED');
    await expectStoreError(() => store().lastRevision(stream), 'STORE_CLOSED');
  });
}

/**
 * The pattern the lab's branch registry relies on (src/replay/branch-registry.ts): read the
 * stream, decide, append with the last revision read, and on a conflict read again. Racing
 * writers must neither lose an entry nor store one twice.
 */
function registryTests({ store, sid }: ContractContext): void {
  it("of five racing 'no_stream' appends exactly one creates the stream", async () => {
    const stream = sid('registry-create');
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c', 'd', 'e'].map((label) => store().append(stream, batchOf(1, label), 'no_stream')),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(isConcurrencyConflict(o.reason), String(o.reason)).toBe(true);
    expect(await collect(store().readStream(stream))).toHaveLength(1);
  });

  it('read-decide-append loops of three writers lose no entry and store none twice', async () => {
    const stream = sid('registry-names');
    let conflicts = 0;
    const register = async (name: string): Promise<void> => {
      for (;;) {
        const events = await collect(store().readStream(stream));
        const names = events.map((e) => (e.data as { label: string }).label);
        if (names.includes(name)) throw new Error(`${name} registered twice`);
        const last = events.at(-1)?.revision;
        try {
          await store().append(stream, batchOf(1, name), last === undefined ? 'no_stream' : last);
          return;
        } catch (error) {
          if (!isConcurrencyConflict(error)) throw error;
          conflicts++;
        }
      }
    };
    const writer = async (w: string): Promise<void> => {
      for (let i = 0; i < 10; i++) await register(`${w}-${i}`);
    };
    await Promise.all([writer('x'), writer('y'), writer('z')]);
    const labels = (await collect(store().readStream(stream))).map((e) => (e.data as { label: string }).label);
    expect(labels).toHaveLength(30);
    expect(new Set(labels).size).toBe(30);
    // The writers really raced: without conflicts this test would not test the retry.
    expect(conflicts).toBeGreaterThan(0);
  });
}
