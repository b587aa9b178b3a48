-- Event relationships (spec "Forming relationships between events"): one row per accepted timeline
-- event whose content declares `m.relates_to` {rel_type, event_id}. Serves /relations, /threads
-- and the bundled aggregations (unsigned["m.relations"]). Only events clients may see get a row
-- (not outliers, rejected or soft-failed events); a redaction deletes the row, since the
-- redacted content no longer declares the relation.
CREATE TABLE event_relations (
  event_id         TEXT PRIMARY KEY,        -- the child
  room_id          TEXT NOT NULL,
  relates_to_id    TEXT NOT NULL,           -- the parent (may be an event we do not have)
  rel_type         TEXT NOT NULL,
  event_type       TEXT NOT NULL,           -- the child's type (the /relations eventType filter)
  sender           TEXT NOT NULL,
  depth            INTEGER NOT NULL,        -- topological position, as in events: pagination order
  stream_ordering  INTEGER NOT NULL
) STRICT;

-- A parent's children by relation type and event type: /relations and the aggregations.
CREATE INDEX event_relations_parent ON event_relations(relates_to_id, rel_type, event_type);
-- A room's threads with their latest reply: /threads.
CREATE INDEX event_relations_threads ON event_relations(room_id, rel_type, relates_to_id, depth, stream_ordering);

-- Relations of the events stored before this table existed (same conditions as the writer).
INSERT OR IGNORE INTO event_relations (event_id, room_id, relates_to_id, rel_type, event_type, sender, depth, stream_ordering)
SELECT event_id, room_id, json_extract(json, '$.content."m.relates_to".event_id'),
       json_extract(json, '$.content."m.relates_to".rel_type'), type, sender, depth, stream_ordering
FROM events
WHERE outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0 AND redacted_by IS NULL
  AND json_type(json, '$.content."m.relates_to".rel_type') = 'text'
  AND json_type(json, '$.content."m.relates_to".event_id') = 'text'
  AND length(json_extract(json, '$.content."m.relates_to".rel_type')) BETWEEN 1 AND 255
  AND length(json_extract(json, '$.content."m.relates_to".event_id')) BETWEEN 1 AND 255;
