/**
 * The branch registry on both adapters: SQLite (several connections to one file, as several
 * processes would have) and the KurrentDB adapter against a fresh loopback fake server per test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { type FakeKurrentServer, startFakeKurrentServer } from '../src/store/kurrentdb/fake-server.js';
import { openKurrentStore } from '../src/store/kurrentdb/kurrentdb-event-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-event-store.js';
import { runBranchRegistrySuite } from './branch-registry-suite.js';

let dir = '';
let server: FakeKurrentServer | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-registry-'));
  server = await startFakeKurrentServer();
});

afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

runBranchRegistrySuite('SQLite', () => openSqliteStore(join(dir, 'lab.db')));
runBranchRegistrySuite('KurrentDB adapter via the loopback fake', () =>
  openKurrentStore(server!.url, { timeoutMs: 15_000 }),
);
