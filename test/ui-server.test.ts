/**
 * `thinlab ui`'s server safety, over real HTTP: it answers only to its own host, serves its three
 * assets and no other file, refuses actions from other pages and bad input with a clear error, and
 * browsing never writes the database.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runThinlab } from './thinlab-process.js';
import { type DemoDb, databaseHash, type RunningUi, rawRequest, recordDemo, startUi } from './ui-support.js';

let db: DemoDb;
let ui: RunningUi;

beforeAll(async () => {
  db = recordDemo('thinlab-ui-server-');
  ui = await startUi(db);
});

afterAll(async () => {
  await ui?.stop();
  if (db !== undefined) rmSync(db.dir, { recursive: true, force: true });
});

describe('thinlab ui, the server', () => {
  it('prints an address on 127.0.0.1 and serves the page there', async () => {
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+\/$/);
    const page = await rawRequest(ui.port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/assets/app.js">');
    for (const asset of ['/assets/app.js', '/assets/app.css'])
      expect((await rawRequest(ui.port, { path: asset })).status).toBe(200);
    expect((await rawRequest(ui.port, { path: '/', host: `localhost:${ui.port}` })).status).toBe(200);
  });

  it('refuses other Host headers (DNS rebinding), pages and API alike', async () => {
    for (const host of ['evil.example', `evil.example:${ui.port}`, `127.0.0.1:${ui.port + 1}`, `0.0.0.0:${ui.port}`]) {
      for (const path of ['/', '/api/branches']) {
        const r = await rawRequest(ui.port, { path, host });
        expect(r.status, `${host}${path}`).toBe(421);
        expect(r.body).toBe(`thinlab ui answers only to 127.0.0.1:${ui.port}\n`);
      }
    }
  });

  it('serves no file outside its assets', async () => {
    const tries = [
      '/../package.json',
      '/assets/../../package.json',
      '/assets/%2e%2e/server.ts',
      '/assets/..%2f..%2fpackage.json',
      '/assets/server.ts',
      '/assets/index.html/../../api.ts',
      '/src/ui/server.ts',
      '/lab.db',
      '/assets/',
      '//etc/passwd',
    ];
    for (const path of tries) {
      const r = await rawRequest(ui.port, { path });
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toMatch(/"name": "thinlab"|import |root:|SQLite/);
    }
    expect((await rawRequest(ui.port, { path: '/', method: 'DELETE' })).status).toBe(405);
  });

  it('answers bad input with the reason, and never writes while browsing', async () => {
    const before = databaseHash(db.db);
    const bad: Array<[string, RegExp]> = [
      ['/api/at?branch=docker-demo&pos=abc', /^pos must be a position/],
      ['/api/at?branch=docker-demo&pos=99999', /^position 99999 is outside branch 'docker-demo' \(0\.\.32\)$/],
      ['/api/at?pos=1', /^'branch' is missing$/],
      ['/api/timeline?branch=nope', /^no branch 'nope' \(branches: docker-demo, docker-demo-before-full\)$/],
      ['/api/diff?a=docker-demo&b=docker-demo@1', /^a moment is BRANCH@POS, got 'docker-demo'$/],
      ['/api/events?branch=docker-demo&from=-1&to=3', /^from must be a position/],
    ];
    for (const [path, message] of bad) {
      const r = await rawRequest(ui.port, { path });
      expect(r.status, path).toBe(400);
      expect(JSON.parse(r.body).error, path).toMatch(message);
    }
    for (const path of [
      '/api/branches',
      '/api/timeline?branch=docker-demo',
      '/api/timeline?branch=docker-demo-before-full',
      '/api/events?branch=docker-demo&from=0&to=40',
      '/api/at?branch=docker-demo&pos=20',
      '/api/at?branch=docker-demo-before-full&pos=22',
      '/api/diff?a=docker-demo@19&b=docker-demo-before-full@22',
    ])
      expect((await rawRequest(ui.port, { path })).status, path).toBe(200);
    expect(databaseHash(db.db)).toBe(before);
  });

  it('takes actions only from its own page, as JSON, and refuses bad ones without writing', async () => {
    const before = databaseHash(db.db);
    const body = JSON.stringify({ branch: 'docker-demo', position: 5, name: 'from-elsewhere' });
    const json = { 'content-type': 'application/json' };
    const refused: Array<[Record<string, string>, string, RegExp]> = [
      [{ ...json, origin: 'http://evil.example' }, body, /^actions are taken from the page only/],
      [{ 'content-type': 'text/plain' }, body, /^an action needs a JSON body/],
      [json, '{"branch":', /^the request body is not JSON$/],
      [json, JSON.stringify({ branch: 'docker-demo', position: 99, name: 'x' }), /^position 99 is outside/],
      [json, JSON.stringify({ branch: 'docker-demo', position: 3, name: 'no/slash' }), /^bad branch name/],
      [json, JSON.stringify({ branch: 'docker-demo', position: 3, name: 'docker-demo' }), /already exists/],
    ];
    for (const [headers, payload, message] of refused) {
      const r = await rawRequest(ui.port, { path: '/api/branch', method: 'POST', headers, body: payload });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).error).toMatch(message);
    }
    const whatif = await rawRequest(ui.port, {
      path: '/api/whatif',
      method: 'POST',
      headers: json,
      body: JSON.stringify({ branch: 'docker-demo', at: 3, inject: 'fault bogus' }),
    });
    expect(whatif.status).toBe(400);
    expect(JSON.parse(whatif.body).error).toMatch(/^inject: /);
    expect(databaseHash(db.db)).toBe(before);
    expect(runThinlab(['branches', '--db', db.db], db.dir).stdout).not.toContain('from-elsewhere');
  });

  it('writes through an action, which the database hash sees (so the checks above can fail)', async () => {
    const before = databaseHash(db.db);
    const r = await rawRequest(ui.port, {
      path: '/api/branch',
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ui.url.replace(/\/$/, '') },
      body: JSON.stringify({ branch: 'docker-demo', position: 5, name: 'from-the-page' }),
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).text).toBe(
      'branch from-the-page starts at docker-demo@5; it is now the head (nothing was deleted: docker-demo keeps all 32 events)',
    );
    expect(databaseHash(db.db)).not.toBe(before);
    expect(runThinlab(['branches', '--db', db.db], db.dir).stdout).toMatch(
      /^\* from-the-page +5 events {2}debian12 {2}from docker-demo@5$/m,
    );
  });
});
