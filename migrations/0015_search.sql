-- Server-side search (client-server "Server Side Search", POST /search): a full-text index over
-- the searchable keys of accepted timeline events — content.body of m.room.message,
-- content.name of m.room.name, content.topic of m.room.topic.
--
-- One row per event, and its rowid IS the event's stream_ordering (unique, negative for
-- backfilled history): the room, sender, type and topological position are read from events by
-- primary key, so they are stored once, and "most recent first" pages walk the index by rowid.
-- Only events clients may see get a row (not outliers, rejected or soft-failed events); a
-- redaction deletes the row, since the redacted content no longer holds the text.
--
-- unicode61 folds case and (remove_diacritics 2) accents, so "Café" is found by "cafe".
CREATE VIRTUAL TABLE event_search USING fts5(
  value,                 -- the searchable text
  key UNINDEXED,         -- 'content.body' | 'content.name' | 'content.topic' (the request's `keys`)
  tokenize = 'unicode61 remove_diacritics 2'
);

-- The events stored before this table existed (same conditions as the writer).
INSERT INTO event_search (rowid, value, key)
SELECT stream_ordering, json_extract(json, '$.content.' || substr(k.key, 9)), k.key
FROM events
JOIN (SELECT 'm.room.message' AS type, 'content.body' AS key
      UNION ALL SELECT 'm.room.name', 'content.name'
      UNION ALL SELECT 'm.room.topic', 'content.topic') k ON k.type = events.type
WHERE outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0 AND redacted_by IS NULL
  AND json_type(json, '$.content.' || substr(k.key, 9)) = 'text';
