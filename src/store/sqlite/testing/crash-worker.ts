/**
 * Child process for the kill -9 test: appends big batches to one stream forever. Each event
 * carries its batch number and the batch size, so a reader can tell a whole batch from a torn one.
 * It prints `appending N` just before a batch and `committed N` after it; stdout is a pipe, which
 * Node writes synchronously on Linux, so the parent sees each line before the next step runs.
 * Usage: node --import tsx crash-worker.ts DB_PATH STREAM BATCH_SIZE
 */
import { openSqliteStore } from '../sqlite-event-store.js';

const [path, stream, sizeText] = process.argv.slice(2);
if (path === undefined || stream === undefined || sizeText === undefined)
  throw new Error('usage: crash-worker.ts DB_PATH STREAM BATCH_SIZE');
const size = Number(sizeText);
const store = await openSqliteStore(path);
let last = await store.lastRevision(stream);
let batch = last === null ? 0 : Number(last + 1n) / size;
for (;;) {
  const events = Array.from({ length: size }, (_, i) => ({
    type: 'Filler',
    version: 1,
    data: { batch, size, i, pad: 'x'.repeat(64) },
    timeMs: batch,
  }));
  process.stdout.write(`appending ${batch}\n`);
  last = store.appendSync(stream, events, last ?? 'no_stream').nextExpectedRevision;
  process.stdout.write(`committed ${batch}\n`);
  batch++;
}
