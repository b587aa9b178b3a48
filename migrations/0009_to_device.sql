-- Send-to-device messaging: one inbox per device for messages from local and remote senders,
-- the client transaction IDs of PUT /sendToDevice, and the federation EDUs already delivered.

------------------------------------------------------------------------------------------
-- The inbox
------------------------------------------------------------------------------------------

-- stream_id is the message's position in the 'to_device' stream (stream_positions, allocated in
-- the writing transaction), so a sync reads a device's window (since, now] by index. A row stays
-- until the device syncs with a token at or past it (the acknowledgement), or the device goes.
-- '*' never reaches this table: it is expanded to the user's devices when the message arrives.
CREATE TABLE to_device_inbox (
  stream_id     INTEGER PRIMARY KEY,
  user_id       TEXT NOT NULL,
  device_id     TEXT NOT NULL,
  sender        TEXT NOT NULL,
  type          TEXT NOT NULL,
  content_json  TEXT NOT NULL,
  origin        TEXT,                         -- the sending server; NULL for a local sender
  received_ts   INTEGER NOT NULL
) STRICT;
CREATE INDEX to_device_inbox_target ON to_device_inbox(user_id, device_id, stream_id);

------------------------------------------------------------------------------------------
-- Idempotency
------------------------------------------------------------------------------------------

-- PUT /sendToDevice/{eventType}/{txnId}: a retry with the same (device, txn_id) sends nothing
-- again. Rows are pruned after a day.
CREATE TABLE to_device_txns (
  user_id        TEXT NOT NULL,
  device_id      TEXT NOT NULL,
  txn_id         TEXT NOT NULL,
  created_ts     INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX to_device_txns_ts ON to_device_txns(created_ts);

-- m.direct_to_device EDUs delivered, by (origin, message_id): a sender retrying under a new
-- transaction ID, even after the messages were read and deleted, delivers nothing twice.
-- Rows are pruned after a week.
CREATE TABLE to_device_federation_seen (
  origin         TEXT NOT NULL,
  message_id     TEXT NOT NULL,
  received_ts    INTEGER NOT NULL,
  PRIMARY KEY (origin, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX to_device_federation_seen_ts ON to_device_federation_seen(received_ts);

-- A deleted device's messages can never be read; a new device later given the same ID must not
-- inherit them. A trigger, so that no code path deleting devices has to remember.
CREATE TRIGGER to_device_forget_deleted_device AFTER DELETE ON devices
BEGIN
  DELETE FROM to_device_inbox WHERE user_id = OLD.user_id AND device_id = OLD.device_id;
  DELETE FROM to_device_txns WHERE user_id = OLD.user_id AND device_id = OLD.device_id;
END;

------------------------------------------------------------------------------------------
-- What 0006 stored from federation, delivered now
------------------------------------------------------------------------------------------

-- '*' becomes the user's current devices; a row for a device that no longer exists is dropped.
INSERT INTO to_device_inbox (stream_id, user_id, device_id, sender, type, content_json, origin, received_ts)
SELECT
  coalesce((SELECT position FROM stream_positions WHERE stream = 'to_device'), 0)
    + row_number() OVER (ORDER BY f.id, d.device_id),
  f.user_id, d.device_id, f.sender, f.type, f.content_json, f.origin, f.received_ts
FROM federation_inbox_to_device f
JOIN devices d ON d.user_id = f.user_id AND (f.device_id = '*' OR f.device_id = d.device_id);

INSERT INTO stream_positions (stream, position)
SELECT 'to_device', (SELECT max(stream_id) FROM to_device_inbox)
WHERE EXISTS (SELECT 1 FROM to_device_inbox)
ON CONFLICT (stream) DO UPDATE SET position = max(position, excluded.position);

INSERT OR IGNORE INTO to_device_federation_seen (origin, message_id, received_ts)
SELECT origin, message_id, min(received_ts) FROM federation_inbox_to_device GROUP BY origin, message_id;

DROP TABLE federation_inbox_to_device;
