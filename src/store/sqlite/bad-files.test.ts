/**
 * Damaged and unusable database files: each must fail with a clear store error, and a damaged
 * file must keep its bytes (no WAL switch, no migrations, no side files left behind).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchOf, collect, expectStoreError } from '../event-store.contract.js';
import { openSqliteStore } from './sqlite-event-store.js';

let dir: string;
let dbPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinlab-badfile-'));
  dbPath = join(dir, 'lab.db');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A real store file with enough events to span many pages, closed cleanly (WAL folded back). */
async function makeStore(): Promise<Buffer> {
  const store = await openSqliteStore(dbPath);
  for (let b = 0; b < 20; b++)
    await store.append('lab-1', batchOf(200, `b${b}`), b === 0 ? 'no_stream' : BigInt(b * 200 - 1));
  await store.close();
  expect(existsSync(`${dbPath}-wal`)).toBe(false);
  return readFileSync(dbPath);
}

/** Opening must fail with STORE_CORRUPT and leave the file exactly as it was. */
async function expectCorruptAndUntouched(): Promise<Error> {
  const before = readFileSync(dbPath);
  const error = await expectStoreError(() => openSqliteStore(dbPath), 'STORE_CORRUPT');
  expect(error.message).toContain(dbPath);
  expect(readFileSync(dbPath).equals(before)).toBe(true);
  expect(existsSync(`${dbPath}-wal`)).toBe(false);
  expect(existsSync(`${dbPath}-shm`)).toBe(false);
  return error;
}

describe('SQLite store on bad files', () => {
  it('refuses a file of random bytes', async () => {
    // A fixed pseudo-random pattern: the test must not depend on luck.
    let x = 12345;
    writeFileSync(
      dbPath,
      Uint8Array.from({ length: 64 * 1024 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff),
    );
    const error = await expectCorruptAndUntouched();
    expect(error.message).toMatch(/not a SQLite database/);
  });

  it('refuses a file shorter than a SQLite header', async () => {
    writeFileSync(dbPath, 'SQLite format 3\u0000 but short');
    await expectCorruptAndUntouched();
  });

  it('refuses a database truncated in the middle of a page', async () => {
    const whole = await makeStore();
    truncateSync(dbPath, Math.floor(whole.length / 2) + 100);
    const error = await expectCorruptAndUntouched();
    expect(error.message).toMatch(/truncated/);
  });

  it('refuses a database truncated on a page boundary', async () => {
    const whole = await makeStore();
    const pageSize = whole.readUInt16BE(16);
    truncateSync(dbPath, pageSize * Math.floor(whole.length / pageSize / 2));
    const error = await expectCorruptAndUntouched();
    expect(error.message).toMatch(/truncated/);
  });

  it('reports damage inside the file that the header does not show', async () => {
    const whole = await makeStore();
    const pageSize = whole.readUInt16BE(16);
    // Overwrite every page after the first three with garbage: the header still looks fine.
    const damaged = Buffer.from(whole);
    for (let offset = 3 * pageSize; offset < damaged.length; offset++) damaged[offset] = 0xa5;
    writeFileSync(dbPath, damaged);
    let caught: unknown;
    try {
      const store = await openSqliteStore(dbPath);
      try {
        await collect(store.readStream('lab-1'));
      } finally {
        await store.close();
      }
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string } | undefined)?.code).toBe('STORE_CORRUPT');
  });

  it('treats an empty file as a new database', async () => {
    writeFileSync(dbPath, '');
    const store = await openSqliteStore(dbPath);
    expect(await store.listStreams('')).toEqual([]);
    await store.close();
  });

  it('reports a missing directory or a directory in place of the file as unreachable', async () => {
    await expectStoreError(() => openSqliteStore(join(dir, 'no-such-dir', 'lab.db')), 'STORE_UNREACHABLE');
    mkdirSync(join(dir, 'a-directory'));
    await expectStoreError(() => openSqliteStore(join(dir, 'a-directory')), 'STORE_UNREACHABLE');
  });

  it('refuses an empty path and the in-memory database', async () => {
    await expectStoreError(() => openSqliteStore(''), 'STORE_INVALID_ARGUMENT');
    await expectStoreError(() => openSqliteStore(':memory:'), 'STORE_INVALID_ARGUMENT');
  });
});
