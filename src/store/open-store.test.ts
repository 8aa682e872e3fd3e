/**
 * Store URLs: which adapter a URL picks, and which URLs are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectStoreError } from './event-store.contract.js';
import { isStoreError } from './errors.js';
import { startFakeKurrentServer } from './kurrentdb/fake-server.js';
import { KurrentEventStore } from './kurrentdb/kurrentdb-event-store.js';
import { openStore, parseStoreUrl } from './open-store.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';

describe('parseStoreUrl', () => {
  it.each([
    ['sqlite:lab.db', 'lab.db'],
    ['sqlite:/var/lib/thinlab/lab.db', '/var/lib/thinlab/lab.db'],
    ['sqlite://relative/lab.db', 'relative/lab.db'],
    ['sqlite:///abs/lab.db', '/abs/lab.db'],
    ['SQLITE:lab.db', 'lab.db'],
    ['/tmp/lab.db', '/tmp/lab.db'],
    ['./lab.db', './lab.db'],
    ['lab.db', 'lab.db'],
    ['C:\\labs\\lab.db', 'C:\\labs\\lab.db'],
  ])('%s is the SQLite file %s', (url, path) => {
    expect(parseStoreUrl(url)).toEqual({ kind: 'sqlite', path });
  });

  it.each([
    'kurrentdb://127.0.0.1:2113?tls=false',
    'esdb://localhost:2113',
    'esdb+discover://cluster.local',
    'kdb://admin:changeit@h:1',
  ])('%s is KurrentDB', (url) => {
    expect(parseStoreUrl(url)).toEqual({ kind: 'kurrentdb', url });
  });

  it.each(['', '   ', 'sqlite:', 'sqlite://', 'postgres://db/lab', 'http://localhost:2113', 'mysql:lab'])(
    'refuses %j',
    (url) => {
      let caught: unknown;
      try {
        parseStoreUrl(url);
      } catch (error) {
        caught = error;
      }
      expect(isStoreError(caught, 'STORE_BAD_URL')).toBe(true);
    },
  );

  it('keeps passwords out of its messages', () => {
    let caught: unknown;
    try {
      parseStoreUrl('postgres://admin:hunter2@db/lab');
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).not.toContain('hunter2');
  });
});

describe('openStore', () => {
  it('opens a SQLite store from sqlite: and from a plain path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thinlab-open-store-'));
    try {
      for (const url of [`sqlite:${join(dir, 'a.db')}`, join(dir, 'b.db')]) {
        const store = await openStore(url);
        expect(store).toBeInstanceOf(SqliteEventStore);
        await store.append('lab', [{ type: 'A', version: 1, data: {}, timeMs: 0 }], 'no_stream');
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens a KurrentDB store from kurrentdb:// and the older esdb://', async () => {
    const server = await startFakeKurrentServer();
    try {
      for (const url of [server.url, server.url.replace('kurrentdb://', 'esdb://')]) {
        const store = await openStore(url);
        expect(store).toBeInstanceOf(KurrentEventStore);
        expect(await store.lastRevision('lab')).toBeNull();
        await store.close();
      }
    } finally {
      await server.close();
    }
  });

  it('refuses unknown schemes and KurrentDB URLs without a host', async () => {
    await expectStoreError(() => openStore('redis://localhost/0'), 'STORE_BAD_URL');
    await expectStoreError(() => openStore('kurrentdb://'), 'STORE_BAD_URL');
  });
});
