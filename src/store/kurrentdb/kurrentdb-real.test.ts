/**
 * The KurrentDB adapter against a real server, only when KURRENTDB_URL names one, e.g.
 * `KURRENTDB_URL='kurrentdb://127.0.0.1:2113?tls=false' npx vitest run src/store`. Never runs in
 * CI here: no server can be installed. Streams get a per-run prefix because a real server keeps
 * them; nothing is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { runEventStoreContract } from '../event-store.contract.js';
import { openKurrentStore } from './kurrentdb-event-store.js';

const url = process.env.KURRENTDB_URL;
const runId = randomUUID().slice(0, 8);
let test = 0;

describe.skipIf(!url)('KurrentDB adapter against the real server at KURRENTDB_URL', () => {
  runEventStoreContract(
    'real KurrentDB',
    async () => openKurrentStore(url!, { timeoutMs: 10_000 }),
    () => undefined,
    {
      get streamPrefix() {
        return `thinlab-test-${runId}-${test++}-`;
      },
    },
  );
});
