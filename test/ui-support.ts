/**
 * For the `thinlab ui` tests: a recorded demo history in a fresh directory, and `thinlab ui` on it
 * as a user starts it (bin/thinlab.js in a child process, on a free port), with the address it
 * printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { ROOT, runThinlab } from './thinlab-process.js';

export interface DemoDb {
  readonly dir: string;
  readonly db: string;
}

/** `thinlab demo` into a new database: branch docker-demo and docker-demo-before-full. */
export function recordDemo(prefix: string): DemoDb {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const r = runThinlab(['demo', '--db', 'lab.db'], dir);
  if (r.status !== 0) throw new Error(`thinlab demo failed: ${r.stderr}`);
  return { dir, db: join(dir, 'lab.db') };
}

export interface RunningUi {
  /** The server's root, `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The whole address it printed (with `?branch=B&pos=N` when started with --branch/--at). */
  readonly address: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** `fromBuild`: the compiled bundle `npm ci` makes (what `npx thinlab ui` runs), not the sources. */
export async function startUi(
  db: DemoDb,
  options: { fromBuild?: boolean; args?: readonly string[] } = {},
): Promise<RunningUi> {
  const argv = [join(ROOT, 'bin', 'thinlab.js'), 'ui', '--db', db.db, '--port', '0', ...(options.args ?? [])];
  const child = spawn(process.execPath, argv, {
    cwd: db.dir,
    env: { ...process.env, THINLAB_STORE: '', THINLAB_FROM_SOURCE: options.fromBuild === true ? '' : '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  let errors = '';
  child.stderr!.on('data', (b: Buffer) => (errors += b.toString()));
  const [url, address] = await new Promise<[string, string]>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      printed += b.toString();
      const m = /thinlab ui: ((http:\/\/127\.0\.0\.1:[0-9]+\/)\S*)/.exec(printed);
      if (m !== null) resolve([m[2]!, m[1]!]);
    });
    child.once('exit', (code) =>
      reject(new Error(`thinlab ui exited (${code}) before printing its address: ${errors}`)),
    );
  });
  return {
    url,
    address,
    port: Number(new URL(url).port),
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A raw request, so that the Host header and the path are exactly what the test says. */
export function rawRequest(
  port: number,
  options: { path: string; host?: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** sha256 of the database and its write-ahead log: equal before and after means nothing was written. */
export function databaseHash(db: string): string {
  const h = createHash('sha256');
  for (const f of [db, `${db}-wal`]) if (existsSync(f)) h.update(readFileSync(f));
  return h.digest('hex');
}

/**
 * How much a PNG shows: the number of distinct colours of its pixels (8-bit RGB or RGBA, not
 * interlaced, as Chromium writes screenshots). A blank screenshot has one or two.
 */
export function pngColourCount(png: Buffer): number {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const channels = png[25] === 6 ? 4 : 3;
  if (png[24] !== 8 || (png[25] !== 2 && png[25] !== 6) || png[28] !== 0)
    throw new Error('not an 8-bit RGB(A) non-interlaced PNG');
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const prev = Buffer.alloc(stride);
  const line = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? line[x - channels]! : 0;
      const b = prev[x]!;
      const c = x >= channels ? prev[x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter]!;
      line[x] = (v + predicted) & 0xff;
    }
    for (let x = 0; x < stride; x += channels) colours.add(line.readUIntBE(x, 3));
    line.copy(prev);
  }
  return colours.size;
}
