// Bundles the compiled CLI (dist/src/cli/main.js) into one CommonJS file per command under
// dist/bundle/, and gives each a V8 code cache made by running it once (training runs below).
//
// Why: on node 20 most of a command's start-up is V8 reading and compiling the code it needs
// (docs/performance.md). A bundle per command means a command reads only its own code; CommonJS
// means bin/thinlab.js can compile it through vm.Script with the code cache, which node 20 offers
// for scripts but not for ES modules, so the functions the training run compiled are not compiled
// again. Each bundle holds run-cli.ts and only its own command: the other commands are stubs that
// fail loudly if reached, which bin/thinlab.js's routing (src/cli/command-route.ts) prevents.
//
// better-sqlite3's JavaScript is bundled too (requiring it from node_modules cost 14-17 ms of CPU
// a start); its compiled .node file is loaded by path (src/store/sqlite/open-database.ts). The
// optional KurrentDB client stays outside and is loaded from node_modules when used. esbuild
// comes with tsx (a dependency); without it the bundles are skipped and bin/thinlab.js runs
// dist/src/ as tsc wrote it, which works the same, only starts slower.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  process.stderr.write('scripts/bundle.mjs: esbuild not found; thinlab will run the unbundled dist/src\n');
  process.exit(0);
}

const { COMMANDS } = await import('../dist/src/cli/commands/index.js');
const { MAIN_BUNDLE, TOOLS_BUNDLE } = await import('../dist/src/cli/command-route.js');
const OUT = 'dist/bundle';
const BUNDLES = [...Object.keys(COMMANDS), TOOLS_BUNDLE, MAIN_BUNDLE];

/** Replaces every command module but `keep` (and the thin tools' module unless it is `tools`) by a stub. */
function onlyCommand(keep) {
  const stub = (what) => ({ path: what, namespace: 'thinlab-stub' });
  return {
    name: 'thinlab-only-command',
    setup(b) {
      // Usage and errors load nothing: every module the other bundles load on demand is left out.
      if (keep === MAIN_BUNDLE)
        b.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? stub(args.path) : undefined));
      b.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) => {
        if (/[\\/]cli[\\/]commands[\\/]index\.js$/.test(args.importer) && basename(args.path, '.js') !== keep)
          return stub(`command ${basename(args.path, '.js')}`);
        if (/[\\/]cli[\\/]run-cli\.js$/.test(args.importer) && args.path === './tool-command.js' && keep !== TOOLS_BUNDLE)
          return stub('the thin tools');
        return undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'thinlab-stub' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`dist/bundle/${keep}.cjs has no ${args.path}: bin/thinlab.js routes it to its own bundle (src/cli/command-route.ts)`)});`,
        loader: 'js',
      }));
    },
  };
}

// esbuild never removes old output: without this, every build would leave the last build's files.
rmSync(OUT, { recursive: true, force: true });

await Promise.all(
  BUNDLES.map((name) =>
    build({
      entryPoints: ['dist/src/cli/main.js'],
      outfile: join(OUT, `${name}.cjs`),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: ['@kurrent/*', '@grpc/*', 'tsx', 'tsx/*'],
      // A CommonJS bundle has no import.meta: the code asks it for its own file's place only.
      define: { 'import.meta.dirname': '__dirname', 'import.meta.url': '__thinlabModuleUrl' },
      banner: { js: "const __thinlabModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
      // Whitespace and comments out, identifiers kept: reading and decoding the file is part of
      // every start (a third less to read), and comments with non-ASCII characters made node decode
      // the whole file the slow way. Names stay as written, so errors read as in the source.
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'none',
      plugins: [onlyCommand(name)],
      logLevel: 'warning',
    }),
  ),
);

// bin/thinlab.js's route (src/cli/command-route.ts) as a small CommonJS file of its own: the
// command table's loaders are stubs there, only the names are used.
await build({
  entryPoints: ['dist/src/cli/command-route.js'],
  outfile: join(OUT, 'route.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  plugins: [onlyCommand(MAIN_BUNDLE)],
  logLevel: 'warning',
});

// The training runs: each bundle runs once, in a scratch directory on a scratch database, and
// bin/thinlab.js writes the code V8 compiled for it (THINLAB_WRITE_CODE_CACHE). A command whose
// training is `--help` still gets the cache of everything it loads to parse its arguments.
const TRAINING_SCRIPT = [
  'dmsetup create pool --table "0 20480 thin-pool /dev/ram0 /dev/ram1 128 0"',
  'dmsetup message pool 0 "create_thin 0"',
  'dmsetup create thin --table "0 262144 thin /dev/mapper/pool 0"',
  'dd if=/dev/urandom of=/dev/mapper/thin bs=64k count=4 oflag=direct 2>/dev/null',
  'dmsetup status pool',
  'dmsetup message pool 0 "create_snap 1 0"',
  'dd if=/dev/zero of=/dev/mapper/thin bs=64k count=1 seek=2 oflag=direct 2>/dev/null',
  'dmsetup status',
];
const TRAINING = {
  sh: ['sh', 'script.sh'],
  log: ['log'],
  at: ['at', '5'],
  diff: ['diff', '3', '8'],
  branches: ['branches'],
  explain: ['explain', 'device-mapper: thin: 253:0: switching pool to fail mode'],
  [TOOLS_BUNDLE]: ['thin_metadata_size', '-b', '64k', '-s', '1g', '-m', '10'],
  [MAIN_BUNDLE]: ['--help'],
};

const scratch = mkdtempSync(join(tmpdir(), 'thinlab-bundle-'));
try {
  writeFileSync(join(scratch, 'script.sh'), `${TRAINING_SCRIPT.join('\n')}\n`);
  // sh first: the others read the history it records.
  for (const name of ['sh', ...BUNDLES.filter((b) => b !== 'sh')]) {
    const args = TRAINING[name] ?? [name, '--help'];
    const r = spawnSync(process.execPath, [resolve('bin/thinlab.js'), ...args], {
      cwd: scratch,
      env: { ...process.env, THINLAB_STORE: `sqlite:${join(scratch, 'lab.db')}`, THINLAB_WRITE_CODE_CACHE: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    // A training run that fails still writes what it compiled before it ended, so the bundle
    // still starts from a cache, a smaller one: say so, loudly, rather than fail the install.
    if (r.status !== 0)
      process.stderr.write(
        `scripts/bundle.mjs: training run \`thinlab ${args.join(' ')}\` exited ${r.status}; ${name}.cjs.cache holds only what it compiled before that\n${r.stderr}`,
      );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
