/**
 * Child process for the multi-process race test: appends `count` events to one stream with an
 * exact expected revision each time, retrying on conflict, then prints a JSON summary. It pauses
 * a millisecond between reading the revision and appending, like a command handler deciding, so
 * that the other worker often appends in between and the conflict path really runs.
 * Usage: node --import tsx race-worker.ts DB_PATH STREAM WORKER_ID COUNT
 * It waits for a line on stdin before starting, so that every worker starts at once.
 */
import { createInterface } from 'node:readline';
import { isConcurrencyConflict } from '../../errors.js';
import { openSqliteStore } from '../sqlite-event-store.js';

const [path, stream, worker, countText] = process.argv.slice(2);
if (path === undefined || stream === undefined || worker === undefined || countText === undefined) {
  throw new Error('usage: race-worker.ts DB_PATH STREAM WORKER_ID COUNT');
}
const count = Number(countText);
const store = await openSqliteStore(path);
process.stdout.write('ready\n');
const input = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => input.once('line', () => resolve()));
input.close(); // An open stdin would keep the process alive after the last append.

let conflicts = 0;
for (let i = 0; i < count; ) {
  const last = await store.lastRevision(stream);
  await new Promise((resolve) => setTimeout(resolve, 1));
  try {
    await store.append(stream, [{ type: 'Raced', version: 1, data: { worker, i }, timeMs: i }], last ?? 'no_stream');
    i++;
  } catch (error) {
    if (!isConcurrencyConflict(error)) throw error;
    conflicts++;
  }
}
await store.close();
process.stdout.write(`${JSON.stringify({ worker, conflicts })}\n`);
