import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLibrary } from '../src/cli/scenario-files.js';
import { loadLibraryIndexed, writeLibraryIndex } from '../src/cli/scenario-index.js';
import { libraryFileNames } from '../src/cli/scenario-library.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'thinlab-index-'));
  dirs.push(d);
  return d;
}

const LIBRARY = 'scenarios';

describe('the scenario library index (explain reads it instead of parsing)', () => {
  it('gives exactly what parsing the library gives', async () => {
    const index = join(tempDir(), 'index.json');
    const parsed = loadLibrary(LIBRARY);
    expect(await writeLibraryIndex(LIBRARY, index)).toBe(parsed.scenarios.length);
    expect(await loadLibraryIndexed(LIBRARY, index)).toEqual(parsed);
  });

  it('reads unchanged files from the index, parses changed, new and invalid ones', async () => {
    const lib = tempDir();
    const names = (libraryFileNames(LIBRARY) as { names: string[] }).names.filter((n) => n.endsWith('.yaml'));
    const [a, b] = [names[0]!, names[1]!];
    for (const n of [a, b]) copyFileSync(join(LIBRARY, n), join(lib, n));
    const index = join(tempDir(), 'index.json');
    await writeLibraryIndex(lib, index);

    // An unchanged file is taken from the index: a title planted there shows that it was read.
    const planted = JSON.parse(readFileSync(index, 'utf8'));
    planted.entries[a].scenario.title = 'planted in the index';
    writeFileSync(index, JSON.stringify(planted));
    const fromIndex = await loadLibraryIndexed(lib, index);
    expect(fromIndex.scenarios.map((s) => s.title)[0]).toBe('planted in the index');
    expect(fromIndex.scenarios[0]!.file).toBe(join(lib, a));

    // A changed file (its stamp differs) is parsed again, and a new invalid file reports its problem.
    const text = readFileSync(join(lib, a), 'latin1').replace(/^title: .*$/m, 'title: changed on disk');
    writeFileSync(join(lib, a), text);
    utimesSync(join(lib, a), new Date(2001, 1, 1), new Date(2001, 1, 1));
    writeFileSync(join(lib, 'zz-broken.yaml'), 'title: broken\nsteps: 7\n');
    const after = await loadLibraryIndexed(lib, index);
    expect(after.scenarios.map((s) => s.title)).toEqual(['changed on disk', loadLibrary(lib).scenarios[1]!.title]);
    expect(after.problems).toEqual(loadLibrary(lib).problems);
    expect(after.problems.length).toBeGreaterThan(0);
  });

  it('parses everything when the index is missing or not an index', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'garbage.json'), '{"format": 99}');
    const parsed = loadLibrary(LIBRARY);
    expect(await loadLibraryIndexed(LIBRARY, join(dir, 'absent.json'))).toEqual(parsed);
    expect(await loadLibraryIndexed(LIBRARY, join(dir, 'garbage.json'))).toEqual(parsed);
  });

  it('says why a library directory cannot be read', async () => {
    const r = await loadLibraryIndexed(join(tempDir(), 'nope'), undefined);
    expect(r.scenarios).toEqual([]);
    expect(r.problems[0]).toMatch(/^cannot read the scenario library .*nope: ENOENT$/);
  });
});
