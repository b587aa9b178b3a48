-- Inbound federation: transactions already answered, and what EDUs leave for later (E2EE).

------------------------------------------------------------------------------------------
-- PUT /send/{txnId}: the answer given per (origin, transaction id)
------------------------------------------------------------------------------------------

-- A sender retries a transaction until it hears 200; a retry gets the first answer back without
-- the PDUs and EDUs being processed twice. Rows older than a day are pruned.
CREATE TABLE federation_inbound_txns (
  origin         TEXT NOT NULL,
  txn_id         TEXT NOT NULL,
  response_json  TEXT NOT NULL,
  received_ts    INTEGER NOT NULL,
  PRIMARY KEY (origin, txn_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX federation_inbound_txns_ts ON federation_inbound_txns(received_ts);

------------------------------------------------------------------------------------------
-- EDUs kept for end-to-end encryption (not built yet): stored as received, deduplicated
------------------------------------------------------------------------------------------

-- m.direct_to_device for our users' devices (device_id '*' = every device of the user).
CREATE TABLE federation_inbox_to_device (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  origin        TEXT NOT NULL,
  message_id    TEXT NOT NULL,
  sender        TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  device_id     TEXT NOT NULL,
  type          TEXT NOT NULL,
  content_json  TEXT NOT NULL,
  received_ts   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX federation_inbox_to_device_dedup ON federation_inbox_to_device(origin, message_id, user_id, device_id);
CREATE INDEX federation_inbox_to_device_target ON federation_inbox_to_device(user_id, device_id, id);

-- m.device_list_update: the latest we heard of each device of a remote user.
CREATE TABLE remote_device_lists (
  user_id        TEXT NOT NULL,
  device_id      TEXT NOT NULL,
  stream_id      INTEGER NOT NULL,
  deleted        INTEGER NOT NULL DEFAULT 0,
  display_name   TEXT,
  keys_json      TEXT,
  updated_ts     INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
) STRICT, WITHOUT ROWID;

-- m.signing_key_update: a remote user's cross-signing keys (each replaced when sent again).
CREATE TABLE remote_cross_signing_keys (
  user_id                 TEXT PRIMARY KEY,
  master_key_json         TEXT,
  self_signing_key_json   TEXT,
  updated_ts              INTEGER NOT NULL
) STRICT;
