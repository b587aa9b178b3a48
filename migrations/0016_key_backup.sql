-- Server-side key backups (client-server "Server-side key backups", /room_keys/*): each user's
-- backup versions and the encrypted megolm session keys stored in them. The server never sees a
-- key in the clear: session_data and auth_data are the client's opaque JSON.

-- One row per version a user created. Versions are numbered per user and never reused, so a
-- deleted version stays as a tombstone (deleted = 1): deleting it again succeeds, as the spec
-- asks, and a client still writing to it learns it is not current. The current version is the
-- highest one not deleted.
-- etag counts the changes to the version's keys; key_count is kept in the same transactions as
-- the keys so version answers need not count rows.
CREATE TABLE e2e_room_key_backup_versions (
  user_id      TEXT NOT NULL,
  version      INTEGER NOT NULL,
  algorithm    TEXT NOT NULL,
  auth_data    TEXT NOT NULL,
  etag         INTEGER NOT NULL DEFAULT 0,
  key_count    INTEGER NOT NULL DEFAULT 0,
  deleted      INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  PRIMARY KEY (user_id, version)
) STRICT, WITHOUT ROWID;

-- The best key the user's clients have backed up for each megolm session (the spec's replace
-- rule decides which one is kept).
CREATE TABLE e2e_room_key_backup_keys (
  user_id              TEXT NOT NULL,
  version              INTEGER NOT NULL,
  room_id              TEXT NOT NULL,
  session_id           TEXT NOT NULL,
  first_message_index  INTEGER NOT NULL,
  forwarded_count      INTEGER NOT NULL,
  is_verified          INTEGER NOT NULL CHECK (is_verified IN (0, 1)),
  session_data         TEXT NOT NULL,
  PRIMARY KEY (user_id, version, room_id, session_id)
) STRICT, WITHOUT ROWID;
