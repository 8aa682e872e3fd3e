-- The event log. `position` is the rowid: rows are never deleted, so each insert takes
-- max(position) + 1 and positions only grow, across all streams.
CREATE TABLE events (
  position  INTEGER PRIMARY KEY,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL CHECK (revision >= 0),
  type      TEXT    NOT NULL,
  version   INTEGER NOT NULL CHECK (version >= 0),
  data      TEXT    NOT NULL,  -- JSON text of the payload
  metadata  TEXT,              -- JSON text of the caller's metadata, NULL when there is none
  time_ms   REAL    NOT NULL,  -- simulated time, from the lab's clock
  UNIQUE (stream_id, revision)
) STRICT;

-- One row per stream with events: the append's expected-revision check and listStreams read
-- this small table instead of scanning the log.
CREATE TABLE streams (
  stream_id     TEXT    PRIMARY KEY,
  last_revision INTEGER NOT NULL CHECK (last_revision >= 0)
) STRICT, WITHOUT ROWID;
