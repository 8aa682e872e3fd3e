// Writes dist/scenario-index.json, the index of the packaged scenario library that `thinlab
// explain` reads instead of parsing every file on every run (src/cli/scenario-index.ts). Run by
// `npm run build` after tsc, with the parser tsc just compiled, so the index and the code that
// trusts it come from the same build.
const { writeLibraryIndex } = await import('../dist/src/cli/scenario-index.js');
const count = await writeLibraryIndex('scenarios', 'dist/scenario-index.json');
process.stdout.write(`scripts/write-scenario-index.mjs: ${count} scenarios indexed\n`);
