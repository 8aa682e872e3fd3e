/**
 * KurrentDB-only behaviour, checked through the real client against the loopback fake: the
 * failures a server or network can produce, the server's append limit, the fake's own bound,
 * and the client's Rust read bridge talking to the fake directly.
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { jsonEvent, KurrentDBClient } from '@kurrent/kurrentdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchOf, collect, expectStoreError } from '../event-store.contract.js';
import { startFakeKurrentServer } from './fake-server.js';
import type { FakeKurrentServer } from './fake-server.js';
import { openKurrentStore, STREAM_INDEX } from './kurrentdb-event-store.js';

let server: FakeKurrentServer;

beforeAll(async () => {
  server = await startFakeKurrentServer();
});

afterAll(async () => {
  await server.close();
});

async function listen(make: () => Server): Promise<{ port: number; close: () => Promise<void> }> {
  const tcp = make();
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as { port: number }).port;
  return { port, close: () => new Promise<void>((resolve) => tcp.close(() => resolve())) };
}

describe('KurrentDB adapter: unreachable servers', () => {
  it('fails fast with STORE_UNREACHABLE when nothing listens on the port', async () => {
    const stopped = await startFakeKurrentServer();
    const url = stopped.url;
    await stopped.close();
    const error = await expectStoreError(() => openKurrentStore(url), 'STORE_UNREACHABLE');
    expect(error.message).toContain(`127.0.0.1:${stopped.port}`);
  });

  it('gives up on a server that accepts connections but never answers, after the timeout', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = await listen(() => createServer((socket) => sockets.add(socket)));
    try {
      const error = await expectStoreError(
        () => openKurrentStore(`kurrentdb://127.0.0.1:${silent.port}?tls=false`, { timeoutMs: 400 }),
        'STORE_UNREACHABLE',
      );
      expect(error.message).toMatch(/did not answer within 400 ms|unreachable/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await silent.close();
    }
  });

  it('says so when the server speaks gRPC but is not KurrentDB', async () => {
    const other = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      other.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    try {
      const error = await expectStoreError(
        () => openKurrentStore(`kurrentdb://127.0.0.1:${port}?tls=false`),
        'STORE_UNREACHABLE',
      );
      expect(error.message).toMatch(/KurrentDB/);
    } finally {
      other.forceShutdown();
    }
  });

  it('reports appends to a server that went away as STORE_UNREACHABLE', async () => {
    const doomed = await startFakeKurrentServer();
    const store = await openKurrentStore(doomed.url, { timeoutMs: 1500 });
    try {
      await store.append('lab-gone', batchOf(1, 'x'), 'no_stream');
      await doomed.close();
      await expectStoreError(() => store.append('lab-gone', batchOf(1, 'y'), 0n), 'STORE_UNREACHABLE');
      await expectStoreError(() => collect(store.readStream('lab-gone')), 'STORE_UNREACHABLE');
    } finally {
      await store.close();
    }
  });
});

describe('KurrentDB adapter: limits', () => {
  it("maps the server's maximum append size to STORE_TOO_LARGE and writes nothing", async () => {
    const store = await openKurrentStore(server.url);
    try {
      const big = [{ type: 'Huge', version: 1, data: { blob: 'x'.repeat(1_100_000) }, timeMs: 0 }];
      await expectStoreError(() => store.append('lab-huge', big, 'any'), 'STORE_TOO_LARGE');
      expect(await store.lastRevision('lab-huge')).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('the fake refuses appends past its bound instead of growing without limit', async () => {
    const small = await startFakeKurrentServer({ maxEvents: 6 });
    const store = await openKurrentStore(small.url);
    try {
      await store.append('lab-small', batchOf(4, 'x'), 'no_stream'); // plus one index event: 5 held
      await expectStoreError(() => store.append('lab-small', batchOf(3, 'y'), 3n), 'STORE_BACKEND');
      expect(small.stats().events).toBe(5);
      expect(await store.lastRevision('lab-small')).toBe(3n);
    } finally {
      await store.close();
      await small.close();
    }
  });
});

describe('KurrentDB adapter: the stream index', () => {
  it('reports an append as done when only its index entry failed, and retries the entry before listing', async () => {
    // Room for the three lab events but not for the index event that follows them.
    const tight = await startFakeKurrentServer({ maxEvents: 3 });
    const store = await openKurrentStore(tight.url);
    try {
      const result = await store.append('lab-tight', batchOf(3, 'x'), 'no_stream');
      expect(result.nextExpectedRevision).toBe(2n);
      expect(tight.stats().events).toBe(3);
      // Listing must not pretend the stream is absent: it retries the entry and reports the failure.
      await expectStoreError(() => store.listStreams('lab-'), 'STORE_BACKEND');
    } finally {
      await store.close();
      await tight.close();
    }
  });
});

describe('KurrentDB adapter: wire format', () => {
  it('stores version and time in the event metadata envelope and indexes new streams', async () => {
    const store = await openKurrentStore(server.url);
    const client = KurrentDBClient.connectionString(server.url);
    try {
      await store.append(
        'lab-envelope',
        [{ type: 'T', version: 4, data: { a: 1 }, metadata: { cmd: 'c' }, timeMs: 42 }],
        'no_stream',
      );
      await store.append('lab-envelope', [{ type: 'T', version: 4, data: { a: 2 }, timeMs: 43 }], 0n);
      const raw = [];
      for await (const resolved of client.readStream('lab-envelope')) raw.push(resolved.event);
      expect(raw[0]?.metadata).toEqual({ thinlab: { version: 4, timeMs: 42 }, metadata: { cmd: 'c' } });
      expect(raw[1]?.metadata).toEqual({ thinlab: { version: 4, timeMs: 43 } });
      const index = [];
      for await (const resolved of client.readStream(STREAM_INDEX)) index.push(resolved.event?.data);
      // Created once, so indexed once, however many appends follow.
      expect(index.filter((d) => (d as { streamId: string }).streamId === 'lab-envelope')).toHaveLength(1);
    } finally {
      await client.dispose();
      await store.close();
    }
  });

  it('reports a foreign event in a lab stream as STORE_CORRUPT', async () => {
    const client = KurrentDBClient.connectionString(server.url);
    const store = await openKurrentStore(server.url);
    try {
      await client.appendToStream('lab-foreign', jsonEvent({ type: 'Alien', data: { x: 1 } }));
      await expectStoreError(() => collect(store.readStream('lab-foreign')), 'STORE_CORRUPT');
    } finally {
      await client.dispose();
      await store.close();
    }
  });

  it('answers reads made directly through the client’s Rust bridge, forwards and backwards', async () => {
    const client = KurrentDBClient.connectionString(`${server.url}&discoveryInterval=10`);
    try {
      await client.appendToStream(
        'bridge-direct',
        [1, 2, 3].map((n) => jsonEvent({ type: 'N', data: { n } })),
        { streamState: 'no_stream' },
      );
      // `rustClient` is the bridge that `readStream` uses; calling it directly rules out a silent
      // fallback to the gRPC-js read path.
      const bridge = (
        client as unknown as {
          rustClient: { readStream(s: string, o: object): AsyncIterable<Array<{ event?: { revision: bigint } }>> };
        }
      ).rustClient;
      const options = {
        direction: 'backwards',
        fromRevision: 'end',
        maxCount: 2n,
        requiresLeader: false,
        resolvesLink: false,
      };
      const revisions: bigint[] = [];
      for await (const batch of bridge.readStream('bridge-direct', options))
        for (const e of batch) revisions.push(e.event!.revision);
      expect(revisions).toEqual([2n, 1n]);
    } finally {
      await client.dispose();
    }
  });

  it('throws the client’s own WrongExpectedVersionError with the right states', async () => {
    const client = KurrentDBClient.connectionString(server.url);
    try {
      await client.appendToStream('wev', jsonEvent({ type: 'A', data: {} }), { streamState: 'no_stream' });
      const cases: Array<[string | bigint, string | bigint]> = [
        ['no_stream', 0n],
        [5n, 0n],
      ];
      for (const [expected, actual] of cases) {
        const error = await client
          .appendToStream('wev', jsonEvent({ type: 'A', data: {} }), { streamState: expected as never })
          .catch((e: unknown) => e);
        expect(error).toMatchObject({
          type: 'wrong-expected-version',
          streamName: 'wev',
          expectedState: expected,
          actualState: actual,
        });
      }
      const missing = await client
        .appendToStream('wev-missing', jsonEvent({ type: 'A', data: {} }), { streamState: 'stream_exists' })
        .catch((e: unknown) => e);
      expect(missing).toMatchObject({
        type: 'wrong-expected-version',
        expectedState: 'stream_exists',
        actualState: 'no_stream',
      });
    } finally {
      await client.dispose();
    }
  });
});
