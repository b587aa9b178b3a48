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
-- event's own transaction. Unread counts are the rows after the user's read receipt.
CREATE TABLE event_push_actions (
  user_id          TEXT NOT NULL,
  event_id         TEXT NOT NULL,
  room_id          TEXT NOT NULL,
  stream_ordering  INTEGER NOT NULL,
  actions          TEXT NOT NULL,            -- JSON array: the matching rule's actions
  highlight        INTEGER NOT NULL,
  ts               INTEGER NOT NULL,         -- when the notification was produced (ms)
  PRIMARY KEY (user_id, event_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX event_push_actions_room ON event_push_actions(user_id, room_id, stream_ordering);
CREATE INDEX event_push_actions_user ON event_push_actions(user_id, stream_ordering);

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
