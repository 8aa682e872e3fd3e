#!/usr/bin/env node
// Runs the compiled CLI that `npm ci` builds (its `prepare` script: tsc -p tsconfig.build.json ->
// dist/), so that a command starts in about the time node itself takes. Without dist/ (a checkout
// where nothing was built yet) it compiles the TypeScript on the fly through tsx, which costs a
// few seconds per command, and says so. THINLAB_FROM_SOURCE=1 asks for the sources even when
// dist/ exists: the tests use it, so that they run the code as it is now, not as last built.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (process.env.THINLAB_FROM_SOURCE !== '1' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  if (process.env.THINLAB_FROM_SOURCE !== '1')
    process.stderr.write(
      'thinlab: no compiled dist/ (run `npm run build`); running the TypeScript through tsx, which is slower\n',
    );
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
