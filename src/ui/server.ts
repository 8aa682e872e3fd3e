/**
 * `thinlab ui`'s web server: node:http on 127.0.0.1 only. It answers a request only when its Host
 * header names this server (127.0.0.1 or localhost with its port), which keeps other web pages
 * from reaching it through DNS rebinding; it serves its own three assets by exact name and no
 * other file; and the only requests that write are the two POST actions, which must come from
 * the page itself (JSON body, no foreign Origin).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { packagePath } from '../shared/package-root.js';
import type { History } from '../replay/history.js';
import { isExpectedFailure, parsePosition, UiApi, UiRequestError } from './api.js';

export const UI_HOST = '127.0.0.1';
const MAX_BODY_BYTES = 64 * 1024;

/** The page's files, by the exact path they are served at: nothing else on disk is reachable. */
const ASSETS: ReadonlyMap<string, { file: string; type: string }> = new Map([
  ['/', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/assets/app.js', { file: 'app.js', type: 'text/javascript; charset=utf-8' }],
  ['/assets/app.css', { file: 'app.css', type: 'text/css; charset=utf-8' }],
]);

/**
 * The assets are read from the package (src/ui/assets), not beside this module: the module may run
 * from src/ (tsx), from dist/src/ or from the esbuild bundle in dist/bundle/, and only the package
 * root is the same for all three.
 */
function readAsset(file: string): Buffer {
  return readFileSync(packagePath('src', 'ui', 'assets', file));
}

export interface UiServer {
  readonly url: string;
  readonly port: number;
  readonly api: UiApi;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; img-src 'self' data:; connect-src 'self'",
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown): void =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

function allowedHost(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `${UI_HOST}:${port}` || host === `localhost:${port}`;
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    throw new UiRequestError('an action needs a JSON body (content-type: application/json)');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new UiRequestError(`the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new UiRequestError('the request body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new UiRequestError('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

async function answerGet(api: UiApi, url: URL): Promise<unknown> {
  const q = url.searchParams;
  const branch = (): string => {
    const b = q.get('branch');
    if (b === null || b === '') throw new UiRequestError("'branch' is missing");
    return b;
  };
  switch (url.pathname) {
    case '/api/branches':
      return api.branches();
    case '/api/timeline':
      return api.timeline(branch());
    case '/api/events':
      return api.events(branch(), parsePosition(q.get('from') ?? '0', 'from'), parsePosition(q.get('to'), 'to'));
    case '/api/at':
      return api.at(branch(), parsePosition(q.get('pos'), 'pos'));
    case '/api/diff':
      return api.diff(q.get('a'), q.get('b'));
    default:
      return undefined;
  }
}

async function answerPost(api: UiApi, req: IncomingMessage, url: URL, port: number): Promise<unknown> {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${UI_HOST}:${port}` && origin !== `http://localhost:${port}`)
    throw new UiRequestError(`actions are taken from the page only, not from ${origin}`);
  if (url.pathname === '/api/branch') return api.branchHere(await readJsonBody(req));
  if (url.pathname === '/api/whatif') return api.runWhatIf(await readJsonBody(req));
  return undefined;
}

async function handle(api: UiApi, req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
  if (!allowedHost(req, port)) {
    send(res, 421, 'text/plain; charset=utf-8', `thinlab ui answers only to ${UI_HOST}:${port}\n`);
    return;
  }
  const url = new URL(req.url ?? '/', `http://${UI_HOST}:${port}`);
  if (url.pathname === '/favicon.ico') {
    // Browsers ask for it on their own; the page has none, and saying so quietly keeps its console clean.
    res.writeHead(204).end();
    return;
  }
  const asset = ASSETS.get(url.pathname);
  try {
    if (req.method === 'GET' && asset !== undefined) {
      send(res, 200, asset.type, readAsset(asset.file));
      return;
    }
    let value: unknown;
    if (req.method === 'GET') value = await answerGet(api, url);
    else if (req.method === 'POST') value = await answerPost(api, req, url, port);
    else {
      send(res, 405, 'text/plain; charset=utf-8', `${req.method ?? ''} is not answered here\n`);
      return;
    }
    if (value === undefined) send(res, 404, 'text/plain; charset=utf-8', `no such page: ${url.pathname}\n`);
    else sendJson(res, 200, value);
  } catch (e) {
    if (!isExpectedFailure(e)) {
      sendJson(res, 500, { error: `internal error: ${(e as Error).message}`, code: 'INTERNAL' });
      throw e;
    }
    sendJson(res, 400, { error: e.message, code: e.code });
  }
}

/** Starts the server on 127.0.0.1 (port 0: any free port) and resolves once it listens. */
export async function startUiServer(history: History, port: number): Promise<UiServer> {
  const api = new UiApi(history);
  let bound = port;
  const server: Server = createServer((req, res) => {
    handle(api, req, res, bound).catch((e: unknown) => {
      // A broken invariant: the answer is already sent as 500; say it loudly where the server runs.
      process.stderr.write(`thinlab ui: ${(e as Error).stack ?? String(e)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, UI_HOST, () => resolve());
  });
  bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${UI_HOST}:${bound}/`,
    port: bound,
    api,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A browser keeps its connections open; closing must not wait for it to hang up.
        server.closeAllConnections();
      }),
  };
}
