-- Sync and the read side of rooms: presence, content reports, and the indexes sync, /messages
-- and the ephemeral services query by. (account_data, receipts and stream_positions are in 0001.)

-- One row per user with a presence state; stream_id is its position in the 'presence' stream
-- (allocated from stream_positions), so an incremental sync reads only rows newer than its token.
CREATE TABLE presence (
  user_id           TEXT PRIMARY KEY,
  state             TEXT NOT NULL,              -- online | unavailable | offline
  status_msg        TEXT,
  last_active_ts    INTEGER NOT NULL,           -- last time the user did something (ms)
  currently_active  INTEGER NOT NULL DEFAULT 0,
  stream_id         INTEGER NOT NULL
) STRICT;
CREATE INDEX presence_stream ON presence(stream_id);

-- Reports of rooms, events and users (POST /rooms/{roomId}/report[/{eventId}], /users/{userId}/report),
-- kept for the server's administrators.
CREATE TABLE content_reports (
  id             INTEGER PRIMARY KEY,
  reporter       TEXT NOT NULL,
  kind           TEXT NOT NULL,                 -- room | event | user
  room_id        TEXT,
  event_id       TEXT,
  target_user_id TEXT,
  reason         TEXT,
  received_ts    INTEGER NOT NULL
) STRICT;
CREATE INDEX content_reports_ts ON content_reports(received_ts);

-- State events by key and position: "the state event for (type, state_key) at stream position X"
-- (history visibility at an event, prev_content) without reading a room's whole history.
CREATE INDEX events_state_at ON events(room_id, type, state_key, stream_ordering) WHERE state_key IS NOT NULL;

-- Receipts by stream position: an incremental sync finds the rooms with new receipts by reading
-- only its window of the stream.
CREATE INDEX receipts_by_stream ON receipts(stream_id);
