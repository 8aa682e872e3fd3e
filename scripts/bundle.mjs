// Bundles the compiled CLI (dist/src/cli/main.js) into a few files under dist/bundle/, one chunk
// per dynamically imported command, so that starting a command reads a handful of files instead
// of hundreds: on node 20, resolving and loading the modules is most of a command's start-up.
// Native and optional packages stay outside the bundle and are loaded from node_modules.
// esbuild comes with tsx (a dependency); without it the bundle is skipped and bin/thinlab.js runs
// dist/src/ as tsc wrote it, which works the same, only starts slower.
let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  process.stderr.write('scripts/bundle.mjs: esbuild not found; thinlab will run the unbundled dist/src\n');
  process.exit(0);
}

// esbuild names chunks by content and never removes old ones: without this, every build would
// leave the previous build's chunks beside the new ones.
const { rmSync } = await import('node:fs');
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', '@kurrent/*', '@grpc/*', 'tsx', 'tsx/*'],
  // Bundled CommonJS packages (ajv, yaml) call require(); ESM has none, so one is made here.
  banner: { js: "import { createRequire as __thinlabRequire } from 'node:module'; const require = __thinlabRequire(import.meta.url);" },
  logLevel: 'warning',
});
