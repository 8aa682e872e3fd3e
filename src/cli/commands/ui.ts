/**
 * `thinlab ui [--db PATH | --store URL] [--port N]`: the local web page over the recorded
 * histories (src/ui, docs/ui.md). It parses its own options, like `prop`, so that hooking it into
 * the command line is one line; it runs until interrupted, then closes the store.
 */

import { History } from '../../replay/history.js';
import { openStore } from '../../store/open-store.js';
import { uiPath } from '../../shared/ui-link.js';
import { startUiServer } from '../../ui/server.js';
import type { CommandSpec } from '../command-spec.js';
import { type Output, UsageError } from '../output.js';

export const UI_USAGE = `usage: thinlab ui [--db PATH | --store URL] [--port N] [--branch NAME] [--at POS]
  serves a page over the recorded histories on http://127.0.0.1:PORT/ (default port 4780; 0 picks
  a free one): usage over time, the device tree and block map at any position, what changed
  between two, "branch here" and whatif. Read-only except for those two actions.
  --branch NAME, --at POS: the address printed opens the page there (the head branch and its end
  by default; thinlab run, bisect and whatif print the command for their failing position).
example:
  thinlab ui --port 0
  thinlab ui --branch pool-full --at 12
`;

export const DEFAULT_UI_PORT = 4780;

interface UiOptions {
  readonly storeUrl: string;
  readonly port: number;
  readonly branch?: string;
  readonly at?: number;
}

const FLAGS = ['--db', '--store', '--port', '--branch', '--at'];

export function parseUiArgs(argv: readonly string[], env: NodeJS.ProcessEnv): UiOptions {
  let db: string | undefined;
  let store: string | undefined;
  let port = DEFAULT_UI_PORT;
  let branch: string | undefined;
  let at: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!FLAGS.includes(flag)) throw new UsageError(`ui: unknown option '${flag}'`);
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--db') db = value;
    else if (flag === '--store') store = value;
    else if (flag === '--branch') branch = value;
    else if (flag === '--at') {
      if (!/^[0-9]{1,12}$/.test(value)) throw new UsageError(`--at needs a position (0, 1, 2, ...), got '${value}'`);
      at = Number(value);
    } else {
      if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535)
        throw new UsageError(`--port needs a port number (0 to 65535), got '${value}'`);
      port = Number(value);
    }
  }
  if (db !== undefined && store !== undefined) throw new UsageError('ui: give --db or --store, not both');
  const storeUrl =
    store ?? (db !== undefined ? `sqlite:${db}` : undefined) ?? (env.THINLAB_STORE || 'sqlite:thinlab.db');
  return { storeUrl, port, ...(branch === undefined ? {} : { branch }), ...(at === undefined ? {} : { at }) };
}

/**
 * The path the printed address ends with: `/` or the page at a branch and position, which must
 * be there (a wrong name or position is refused before the server starts, with what there is).
 */
async function startPath(h: History, options: UiOptions): Promise<string> {
  if (options.branch === undefined && options.at === undefined) return '/';
  const branch = options.branch ?? (await h.head());
  if (branch === null) throw new UsageError('ui: --at needs a recorded branch, and the database has none yet');
  const length = await h.length(branch);
  if (options.at !== undefined && options.at > length)
    throw new UsageError(`ui: position ${options.at} is outside branch '${branch}' (0..${length})`);
  return uiPath(branch, options.at ?? length);
}

export async function uiCommand(argv: readonly string[], io: Output): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(UI_USAGE);
    return 0;
  }
  const options = parseUiArgs(argv, process.env);
  const store = await openStore(options.storeUrl);
  const history = new History(store);
  const path = await startPath(history, options).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  const server = await startUiServer(history, options.port).catch(async (e: unknown) => {
    await store.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${options.port} is in use: try --port 0 for any free port`);
    throw e;
  });
  io.out(
    `thinlab ui: ${server.url.replace(/\/$/, '')}${path}  (${options.storeUrl.replace(/^sqlite:/, '')}; Ctrl-C stops it)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await store.close();
  return 0;
}

/** `ui` parses its own options (--db, --store, --port, --branch, --at) and runs until interrupted. */
export const command: CommandSpec = {
  name: 'ui',
  help: UI_USAGE,
  options: {},
  maxPositionals: Number.POSITIVE_INFINITY,
  run: (ctx) => uiCommand(ctx.positionals, ctx.io),
};
