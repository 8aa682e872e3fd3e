-- Per-event summaries (what the usage plot needs of each event: pool usage, mode, thresholds,
-- markers), written when the events are recorded so that a view reads them instead of replaying
-- the log. A cache beside the log, never part of an event: a chunk covers `count` consecutive
-- revisions from `first_revision`, and several small chunks are merged into one by replacing them.
CREATE TABLE event_summaries (
  stream_id      TEXT    NOT NULL,
  first_revision INTEGER NOT NULL CHECK (first_revision >= 0),
  count          INTEGER NOT NULL CHECK (count > 0),
  data           TEXT    NOT NULL,
  PRIMARY KEY (stream_id, first_revision)
) STRICT;
