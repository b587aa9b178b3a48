-- Federation groundwork: remote server keys and the persistent outbound transaction queue.

------------------------------------------------------------------------------------------
-- Remote server signing keys (our own key lives in the key file, never here)
------------------------------------------------------------------------------------------

-- One row per (server, key id). valid_until_ts is what the key may vouch for under room v5+
-- rules (published valid_until_ts capped at fetch + 7 days; expired_ts for old keys).
-- response_json is the origin-signed key response the key came from, passed on unchanged
-- (apart from our signature) when we act as a notary.
CREATE TABLE server_keys (
  server_name     TEXT NOT NULL,
  key_id          TEXT NOT NULL,
  public_key      BLOB NOT NULL,
  valid_until_ts  INTEGER NOT NULL,
  expired         INTEGER NOT NULL DEFAULT 0,      -- listed under old_verify_keys
  fetched_ts      INTEGER NOT NULL,
  response_json   TEXT NOT NULL,
  PRIMARY KEY (server_name, key_id)
) STRICT;

------------------------------------------------------------------------------------------
-- Outbound federation: what each destination still has to receive, in order
------------------------------------------------------------------------------------------

-- AUTOINCREMENT: ids are never reused, so an id names one item forever and transaction ids
-- built from them stay unique across restarts.
CREATE TABLE federation_outbox (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  destination  TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('pdu', 'edu')),
  json         TEXT NOT NULL,
  enqueued_ts  INTEGER NOT NULL
) STRICT;
CREATE INDEX federation_outbox_destination ON federation_outbox(destination, id);

-- Backoff state per destination that has failed; a row is removed on the next success.
CREATE TABLE federation_destinations (
  destination      TEXT PRIMARY KEY,
  failure_count    INTEGER NOT NULL,
  retry_at_ts      INTEGER NOT NULL,
  last_failure_ts  INTEGER NOT NULL,
  last_error       TEXT
) STRICT;
