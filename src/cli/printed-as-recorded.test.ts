/**
 * What `thinlab demo tour` prints is what it recorded, each piece once: the script's comments and
 * commands as traced, each followed by the output stored in its event. A tour once printed its
 * step 8/9 block twice while its log was right (issue 12); whatever would write a piece again
 * (a retried command, an output flushed twice, a second pass over the script) makes the printed
 * text differ from this reconstruction and fails here. (Between the process and the terminal,
 * node writes stdout synchronously on Linux to files, pipes and terminals alike, and
 * test/determinism.test.ts compares two whole runs through pipes byte for byte.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabShell } from '../lab/lab-shell.js';
import { scriptPieces } from '../lab/script-pieces.js';
import { History } from '../replay/history.js';
import { packagePath } from '../shared/package-root.js';
import { openSqliteStore } from '../store/sqlite/sqlite-event-store.js';
import { runCli } from './run-cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('demo tour prints what it recorded, once', () => {
  it("stdout is the traced script with each event's stored output, in order, nothing repeated", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thinlab-printed-'));
    dirs.push(dir);
    const db = join(dir, 'lab.db');
    const writes: string[] = [];
    let stderr = '';
    const status = await runCli(
      ['demo', 'tour'],
      { out: (t) => writes.push(t), err: (t) => (stderr += t), interactive: false },
      `sqlite:${db}`,
    );
    expect(status, stderr).toBe(0);

    const store = await openSqliteStore(db, { readOnly: true });
    try {
      const h = new History(store);
      const outputs: string[] = [];
      for await (const { event } of h.events('tour', 0, await h.length('tour')))
        outputs.push(event.type === 'ShellCommandRan' ? event.data.output : '');
      const script = readFileSync(packagePath('scenarios', 'tour.sh'), 'latin1');
      let expected = '';
      let i = 0;
      for (const piece of scriptPieces(new LabShell({ ramdiskKb: 1 }), script)) {
        if (piece.lead !== '') expected += `${piece.lead}\n`;
        if (piece.command === '') continue;
        expected += `$ ${piece.command}\n${outputs[i++]}`;
      }
      expect(i).toBe(outputs.length);
      expect(writes.join('')).toBe(expected);
      // The step-8 and step-9 comments that were seen twice: once each.
      for (const step of ['# 8. ', '# 9. ']) expect(writes.join('').split(step).length - 1, step).toBe(1);
    } finally {
      await store.close();
    }
  }, 300_000);
});
