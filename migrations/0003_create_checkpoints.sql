-- Checkpoints: the whole lab state as opaque bytes at a stream revision, so a replay can start
-- from the nearest one instead of revision 0. A rowid table, because states are large blobs.
CREATE TABLE checkpoints (
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL CHECK (revision >= 0),
  state     BLOB    NOT NULL,
  PRIMARY KEY (stream_id, revision)
) STRICT;
