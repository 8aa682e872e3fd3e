/**
 * The structure check every open runs after the migrations: the tables have the columns the
 * adapter's statements use, and the `streams` table (which the expected-revision check reads)
 * agrees with the events. A damaged schema would otherwise surface as `no such column` on the
 * first query, and a missing `streams` row as `UNIQUE constraint failed` on the next append; both
 * are damage, reported as STORE_CORRUPT with what is wrong.
 *
 * The checks use indexes only (the events' `UNIQUE(stream_id, revision)` index answers "the
 * highest revision of each stream" with one seek per stream), so they cost the same for a
 * thousand events as for a million.
 */
import type { Database as Db } from 'better-sqlite3';
import { StoreError } from '../errors.js';

/** The columns each table must have, in order (from migrations/). */
const EXPECTED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  events: ['position', 'stream_id', 'revision', 'type', 'version', 'data', 'metadata', 'time_ms'],
  streams: ['stream_id', 'last_revision'],
  stream_metadata: ['stream_id', 'revision', 'metadata'],
  checkpoints: ['stream_id', 'revision', 'state'],
};

/** How many problems a report names before it stops listing. */
const MAX_NAMED = 3;

export function checkStoreStructure(db: Db, path: string): void {
  const problems = [...schemaProblems(db), ...streamProblems(db)];
  if (problems.length > 0) {
    const more = problems.length > MAX_NAMED ? ` (and ${problems.length - MAX_NAMED} more)` : '';
    throw new StoreError(
      'STORE_CORRUPT',
      `database ${path} is damaged: ${problems.slice(0, MAX_NAMED).join('; ')}${more}`,
    );
  }
}

/** Whether migration 0004's checksum column is there (a read-only open may lack it). */
export function hasChecksumColumn(db: Db): boolean {
  return columnsOf(db, 'events').at(-1) === 'checksum';
}

/** Whether migration 0006's summary table is there (a read-only open may lack it). */
export function hasSummaryTable(db: Db): boolean {
  return columnsOf(db, 'event_summaries').length > 0;
}

const columnsOf = (db: Db, table: string): string[] =>
  db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];

function schemaProblems(db: Db): string[] {
  const problems: string[] = [];
  for (const [table, base] of Object.entries(EXPECTED_COLUMNS)) {
    const columns = columnsOf(db, table);
    const expected = table === 'events' && hasChecksumColumn(db) ? [...base, 'checksum'] : base;
    if (columns.length === 0) problems.push(`table '${table}' is missing`);
    else if (columns.join(',') !== expected.join(','))
      problems.push(`table '${table}' has columns (${columns.join(', ')}) where (${expected.join(', ')}) belong`);
  }
  return problems;
}

function streamProblems(db: Db): string[] {
  if (schemaProblems(db).length > 0) return [];
  const problems: string[] = [];
  // Every `streams` row must name the stream's real first and last revisions (a gap inside a
  // stream is found by the reader, which checks that revisions follow each other).
  const rows = db
    .prepare(
      `SELECT s.stream_id, s.last_revision, (SELECT MAX(revision) FROM events e WHERE e.stream_id = s.stream_id) AS max_revision,
              (SELECT MIN(revision) FROM events e WHERE e.stream_id = s.stream_id) AS min_revision
         FROM streams s`,
    )
    .all() as { stream_id: string; last_revision: number; max_revision: number | null; min_revision: number | null }[];
  for (const r of rows) {
    if (r.max_revision !== r.last_revision)
      problems.push(
        `stream '${r.stream_id}' records last revision ${r.last_revision} but its events end at ${r.max_revision ?? 'none'}`,
      );
    else if (r.min_revision !== 0)
      problems.push(`stream '${r.stream_id}' has lost its first events (it starts at revision ${r.min_revision})`);
  }
  // Every stream with events must have a `streams` row: a skip-scan over the index, one seek per stream.
  const orphans = db
    .prepare(
      `WITH RECURSIVE ids(id) AS (
         SELECT (SELECT MIN(stream_id) FROM events)
         UNION ALL
         SELECT (SELECT MIN(stream_id) FROM events WHERE stream_id > ids.id) FROM ids WHERE ids.id IS NOT NULL)
       SELECT id FROM ids WHERE id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM streams WHERE stream_id = ids.id)`,
    )
    .pluck()
    .all() as string[];
  for (const id of orphans) problems.push(`stream '${id}' has events but no row in 'streams'`);
  return problems;
}
