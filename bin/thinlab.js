#!/usr/bin/env node
// Runs the compiled CLI that `npm ci` builds (its `prepare` script, `npm run build`): tsc writes
// dist/src/, and esbuild bundles it into dist/bundle/, one CommonJS file per command with a V8 code
// cache beside it (scripts/bundle.mjs), so that a command starts in about the time node itself
// takes. Without a build (a checkout where nothing was built yet) it compiles the TypeScript on the
// fly through tsx, which costs seconds per command, and says so. THINLAB_FROM_SOURCE=1 asks for
// the sources even when a build exists: the tests use it, so that they run the code as it is now,
// not as last built.
//
// This file is CommonJS (bin/package.json says so): an ES module entry that imports node:fs makes
// node build the ES module facades of its builtins, which loads fs/promises, readline and the
// streams, 12-24 ms of CPU a start that a command never uses.
'use strict';
const { existsSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const dist = join(__dirname, '..', 'dist');
const fromSource = process.env.THINLAB_FROM_SOURCE === '1';

/**
 * Runs one bundle as node would run a CommonJS module, but compiled through vm.Script so that V8
 * takes the code it compiled in the build's training run (FILE.cache) instead of compiling it
 * again. A cache older than its bundle, or one V8 rejects (another node), is not used: the bundle
 * then compiles as usual. With THINLAB_WRITE_CODE_CACHE=1 (the build's training runs) the code
 * compiled by the time the process exits is written as the cache.
 */
function runBundle(file) {
  const cacheFile = `${file}.cache`;
  let cachedData;
  try {
    if (statSync(cacheFile).mtimeMs >= statSync(file).mtimeMs) cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = readFileSync(file, 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  if (process.env.THINLAB_WRITE_CODE_CACHE === '1')
    process.on('exit', () => {
      writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
      renameSync(`${cacheFile}.tmp`, cacheFile);
    });
  const cjsModule = { exports: {} };
  script.runInThisContext()(cjsModule.exports, createRequire(file), cjsModule, file, dirname(file));
}

/** The TypeScript through tsx: a checkout with nothing built, or THINLAB_FROM_SOURCE=1. */
async function runSources() {
  if (!fromSource)
    process.stderr.write(
      'thinlab: no compiled dist/ (run `npm run build`); running the TypeScript through tsx, which is slower\n',
    );
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(__dirname, '..', 'src', 'cli', 'main.ts')).href);
}

const bundles = join(dist, 'bundle');
if (!fromSource && existsSync(join(bundles, 'main.cjs'))) {
  // The route is a bundle of its own: command-route.ts as esbuild wrote it, without its ES module.
  const { bundleFor } = require(join(bundles, 'route.cjs'));
  runBundle(join(bundles, `${bundleFor(process.argv.slice(2))}.cjs`));
} else if (!fromSource && existsSync(join(dist, 'src', 'cli', 'main.js'))) {
  import(pathToFileURL(join(dist, 'src', 'cli', 'main.js')).href);
} else {
  runSources();
}
