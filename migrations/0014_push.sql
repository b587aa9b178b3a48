-- Push notifications: users' push rules, the notifications events produced for local users
-- (unread counts, /notifications), and pushers.

-- A user's own push rules. position orders the rules of one kind (lower = more important);
-- conditions (override/underride) and pattern (content) as the client gave them.
CREATE TABLE push_rules (
  user_id     TEXT NOT NULL,
  kind        TEXT NOT NULL,                 -- override | content | room | sender | underride
  rule_id     TEXT NOT NULL,
  position    INTEGER NOT NULL,
  conditions  TEXT,                          -- JSON array
  pattern     TEXT,
  actions     TEXT NOT NULL,                 -- JSON array
  enabled     INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (user_id, kind, rule_id)
) STRICT, WITHOUT ROWID;

-- A user's changes to server-default rules (.m.rule.*): NULL keeps the default.
CREATE TABLE push_rule_defaults (
  user_id     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  rule_id     TEXT NOT NULL,
  enabled     INTEGER,
  actions     TEXT,                          -- JSON array
  PRIMARY KEY (user_id, kind, rule_id)
) STRICT, WITHOUT ROWID;

-- One row per (local user, event) the user's push rules said to notify about, written in the
-- event's own transaction. Keyed by (room, stream_ordering, user): one event's rows sit together,
-- so a message in a room of N local members dirties a page or two rather than N pages spread
-- over the table (which, at a 4 KiB WAL frame per dirty page, made every send several times
-- dearer). /notifications reads it per room of the user.
CREATE TABLE event_push_actions (
  room_id          TEXT NOT NULL,
  stream_ordering  INTEGER NOT NULL,
  user_id          TEXT NOT NULL,
  event_id         TEXT NOT NULL,
  actions          TEXT NOT NULL,            -- JSON array: the matching rule's actions
  highlight        INTEGER NOT NULL,
  ts               INTEGER NOT NULL,         -- when the notification was produced (ms)
  PRIMARY KEY (room_id, stream_ordering, user_id)
) STRICT, WITHOUT ROWID;

-- Unread counts per (room, local user): the notifying events after read_stream. Incremented with
-- each row above, settled when the user's read receipt moves (the rows it passed are subtracted
-- and read_stream moves to it), so /sync reads one row per room instead of counting.
CREATE TABLE push_unread (
  room_id        TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  read_stream    INTEGER NOT NULL,
  notifications  INTEGER NOT NULL,
  highlights     INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX push_unread_user ON push_unread(user_id);

-- Pushers (POST /pushers/set). Tied to the device that set them: deleting the device (logout,
-- DELETE /devices) deletes its pushers, as Synapse does with the access token.
CREATE TABLE pushers (
  user_id              TEXT NOT NULL,
  app_id               TEXT NOT NULL,
  pushkey              TEXT NOT NULL,
  device_id            TEXT NOT NULL,
  kind                 TEXT NOT NULL,
  app_display_name     TEXT NOT NULL,
  device_display_name  TEXT NOT NULL,
  profile_tag          TEXT,
  lang                 TEXT NOT NULL,
  data                 TEXT NOT NULL,        -- JSON object
  created_ts           INTEGER NOT NULL,
  PRIMARY KEY (user_id, app_id, pushkey),
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX pushers_key ON pushers(app_id, pushkey);
CREATE INDEX pushers_device ON pushers(user_id, device_id);
