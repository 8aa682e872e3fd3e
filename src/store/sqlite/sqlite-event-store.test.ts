/**
 * The SQLite adapter against the shared contract, each test on a fresh file under the OS temp
 * directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEventStoreContract } from '../event-store.contract.js';
import { openSqliteStore } from './sqlite-event-store.js';

let dir: string | undefined;

runEventStoreContract(
  'SQLite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'thinlab-sqlite-contract-'));
    return openSqliteStore(join(dir, 'lab.db'));
  },
  () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
);
