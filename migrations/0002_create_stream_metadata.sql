-- Stream metadata, like KurrentDB's $$stream metadata: one JSON object per stream, replaced on
-- each write. `revision` counts the writes from 0 so a caller can set it with an expected revision.
CREATE TABLE stream_metadata (
  stream_id TEXT    PRIMARY KEY,
  revision  INTEGER NOT NULL CHECK (revision >= 0),
  metadata  TEXT    NOT NULL  -- JSON object
) STRICT, WITHOUT ROWID;
