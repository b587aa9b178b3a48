-- Sensor credentials: OSCORE security contexts (RFC 8613), one per sensor device.
-- The sensor proves who it is by holding the Master Secret: every request it sends is
-- encrypted and authenticated with keys derived from it, so no access token crosses the network.
-- Deleting the device (DELETE /devices, logout, deactivation) deletes its context (cascade).

CREATE TABLE oscore_contexts (
  id                   INTEGER PRIMARY KEY,
  user_id              TEXT NOT NULL,
  device_id            TEXT NOT NULL,
  -- The sensor's Sender ID = the kid in its requests = our Recipient ID (unique: the lookup key).
  recipient_id         BLOB NOT NULL,
  -- Our Sender ID (the sensor's Recipient ID).
  sender_id            BLOB NOT NULL,
  -- Symmetric secrets: unlike access tokens they cannot be stored hashed (both ends derive keys).
  master_secret        BLOB NOT NULL,
  master_salt          BLOB NOT NULL,
  room_id              TEXT,                       -- the room the sensor was issued for, if any
  created_ts           INTEGER NOT NULL,
  -- Replay window (RFC 8613 §7.4), written on every accepted request so a restart never
  -- accepts a replay (Appendix B.1.2).
  replay_highest       INTEGER NOT NULL DEFAULT -1,
  replay_bitmap        INTEGER NOT NULL DEFAULT 0,
  -- Our Sender Sequence Numbers below this may have been used; after a restart we start here
  -- (Appendix B.1.1: reserved in blocks, so not every message costs a write).
  sender_seq_reserved  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (recipient_id),
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX oscore_contexts_device ON oscore_contexts(user_id, device_id);
