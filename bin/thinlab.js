#!/usr/bin/env node
// Runs the compiled CLI that `npm ci` builds (its `prepare` script, `npm run build`): tsc writes
// dist/src/, and esbuild bundles it into dist/bundle/ (one chunk per command), so that a command
// starts in about the time node itself takes. Without a build (a checkout where nothing was built
// yet) it compiles the TypeScript on the fly through tsx, which costs seconds per command, and
// says so. THINLAB_FROM_SOURCE=1 asks for the sources even when a build exists: the tests use it,
// so that they run the code as it is now, not as last built.
import { existsSync } from 'node:fs';

const builds = ['../dist/bundle/main.js', '../dist/src/cli/main.js'].map((p) => new URL(p, import.meta.url));
const built = process.env.THINLAB_FROM_SOURCE === '1' ? undefined : builds.find((u) => existsSync(u));
if (built !== undefined) {
  await import(built.href);
} else {
  if (process.env.THINLAB_FROM_SOURCE !== '1')
    process.stderr.write(
      'thinlab: no compiled dist/ (run `npm run build`); running the TypeScript through tsx, which is slower\n',
    );
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
