/**
 * The KurrentDB adapter against the shared contract, through the real `@kurrent/kurrentdb-client`
 * (its gRPC appends and its Rust read bridge) talking to the loopback fake server.
 */
import { afterAll, beforeAll } from 'vitest';
import { runEventStoreContract } from '../event-store.contract.js';
import { startFakeKurrentServer } from './fake-server.js';
import type { FakeKurrentServer } from './fake-server.js';
import { openKurrentStore } from './kurrentdb-event-store.js';

let server: FakeKurrentServer;
let run = 0;

beforeAll(async () => {
  server = await startFakeKurrentServer();
});

afterAll(async () => {
  await server.close();
});

// One server for the file keeps it fast; each test still gets its own client and its own streams.
// A generous timeout: on a loaded machine a new client's first read can take seconds.
runEventStoreContract(
  'KurrentDB adapter via the loopback fake',
  async () => openKurrentStore(server.url, { timeoutMs: 15_000 }),
  () => undefined,
  {
    get streamPrefix() {
      return `fake-${run++}-`;
    },
  },
);
