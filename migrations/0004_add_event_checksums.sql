-- A CRC-32 of each event's stored text (type, version, data, metadata, time), written with the
-- event, so that damage inside an event's text is reported as damage rather than as a replay
-- that diverges. Events written before this migration have NULL and are not checked.
ALTER TABLE events ADD COLUMN checksum INTEGER;
