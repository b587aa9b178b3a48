-- End-to-end encryption: device keys, one-time and fallback keys, cross-signing keys and their
-- signatures, the device-list change stream (local and remote users), and what we know of remote
-- users' device lists.

------------------------------------------------------------------------------------------
-- Keys of our users' devices (POST /keys/upload)
------------------------------------------------------------------------------------------

-- The device_keys object as the device uploaded it (canonical JSON). Signatures others add
-- through /keys/signatures/upload live in e2e_cross_signing_signatures and are merged in on read.
CREATE TABLE e2e_device_keys (
  user_id      TEXT NOT NULL,
  device_id    TEXT NOT NULL,
  keys_json    TEXT NOT NULL,
  updated_ts   INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
) STRICT, WITHOUT ROWID;

-- Unclaimed one-time keys; claiming one deletes it. id is the upload order: keys are handed out
-- oldest first, as the spec asks.
CREATE TABLE e2e_one_time_keys (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id      TEXT NOT NULL,
  device_id    TEXT NOT NULL,
  algorithm    TEXT NOT NULL,
  key_id       TEXT NOT NULL,
  key_json     TEXT NOT NULL,
  UNIQUE (user_id, device_id, algorithm, key_id)
) STRICT;
CREATE INDEX e2e_one_time_keys_claim ON e2e_one_time_keys(user_id, device_id, algorithm, id);

-- One fallback key per device and algorithm, handed out when the one-time keys run out (and then
-- marked used, which /sync reports) until the device replaces it.
CREATE TABLE e2e_fallback_keys (
  user_id      TEXT NOT NULL,
  device_id    TEXT NOT NULL,
  algorithm    TEXT NOT NULL,
  key_id       TEXT NOT NULL,
  key_json     TEXT NOT NULL,
  used         INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, device_id, algorithm)
) STRICT, WITHOUT ROWID;

------------------------------------------------------------------------------------------
-- Cross-signing
------------------------------------------------------------------------------------------

-- Our users' master, self-signing and user-signing keys, and the master and self-signing keys of
-- remote users (from m.signing_key_update, user/devices and user/keys/query answers).
-- public_key is the unpadded base64 key (the key ID is "ed25519:" || public_key).
CREATE TABLE e2e_cross_signing_keys (
  user_id      TEXT NOT NULL,
  key_type     TEXT NOT NULL CHECK (key_type IN ('master', 'self_signing', 'user_signing')),
  public_key   TEXT NOT NULL,
  key_json     TEXT NOT NULL,
  updated_ts   INTEGER NOT NULL,
  PRIMARY KEY (user_id, key_type)
) STRICT, WITHOUT ROWID;

-- Signatures uploaded with POST /keys/signatures/upload: a device signed by its owner's
-- self-signing key, a master key signed by one of its owner's devices, or another user's master
-- key signed by the signer's user-signing key (seen by the signer only). target_key_id is a
-- device ID or a master key's public key.
CREATE TABLE e2e_cross_signing_signatures (
  target_user_id  TEXT NOT NULL,
  target_key_id   TEXT NOT NULL,
  signer_user_id  TEXT NOT NULL,
  signer_key_id   TEXT NOT NULL,
  signature       TEXT NOT NULL,
  PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
) STRICT, WITHOUT ROWID;

-- 0006 kept m.signing_key_update contents unchecked; the well-formed ones move over.
INSERT OR IGNORE INTO e2e_cross_signing_keys (user_id, key_type, public_key, key_json, updated_ts)
SELECT k.user_id, k.key_type, e.value, k.key_json, k.updated_ts
FROM (
  SELECT user_id, 'master' AS key_type, master_key_json AS key_json, updated_ts
  FROM remote_cross_signing_keys WHERE json_valid(master_key_json)
  UNION ALL
  SELECT user_id, 'self_signing', self_signing_key_json, updated_ts
  FROM remote_cross_signing_keys WHERE json_valid(self_signing_key_json)
) k, json_each(k.key_json, '$.keys') e
WHERE json_extract(k.key_json, '$.user_id') = k.user_id
  AND e.key = 'ed25519:' || e.value
  AND (SELECT count(*) FROM json_each(k.key_json, '$.keys')) = 1
  AND EXISTS (SELECT 1 FROM json_each(k.key_json, '$.usage') u WHERE u.value = k.key_type);
DROP TABLE remote_cross_signing_keys;

------------------------------------------------------------------------------------------
-- Device-list changes
------------------------------------------------------------------------------------------

-- One row per change of a user's device list or cross-signing keys, local or remote. stream_id
-- is the position in the 'device_lists' stream (stream_positions, allocated in the writing
-- transaction), so /sync and /keys/changes read the window (since, now].
-- device_id: the local device an m.device_list_update went out for (its stream_id; the user's
-- previous such row is its prev_id); NULL for cross-signing changes and remote users.
-- observer_id: NULL when every user sharing a room with user_id is to hear of it; otherwise the
-- one local user who is (a change of their own user-signing key, their signatures of others).
CREATE TABLE device_list_changes (
  stream_id    INTEGER PRIMARY KEY,
  user_id      TEXT NOT NULL,
  device_id    TEXT,
  observer_id  TEXT
) STRICT;
CREATE INDEX device_list_changes_user ON device_list_changes(user_id, stream_id);
CREATE INDEX device_list_changes_observer ON device_list_changes(observer_id, stream_id) WHERE observer_id IS NOT NULL;

------------------------------------------------------------------------------------------
-- Remote users' device lists (remote_device_lists, from 0006, holds the devices)
------------------------------------------------------------------------------------------

-- stream_id: the origin's stream position we are up to for the user (what the next
-- m.device_list_update's prev_id must name), NULL when unknown. complete: remote_device_lists
-- holds every device of the user (after a resync or a full key query), so key queries can be
-- answered from here while the user shares a room with one of ours.
CREATE TABLE remote_device_list_users (
  user_id      TEXT PRIMARY KEY,
  stream_id    INTEGER,
  complete     INTEGER NOT NULL,
  updated_ts   INTEGER NOT NULL
) STRICT;

------------------------------------------------------------------------------------------
-- A deleted device takes its keys along
------------------------------------------------------------------------------------------

-- A trigger, so that no code path deleting devices (logout, deletion, deactivation) has to
-- remember; a device later created with the same ID starts without keys.
CREATE TRIGGER e2e_forget_deleted_device AFTER DELETE ON devices
BEGIN
  DELETE FROM e2e_device_keys WHERE user_id = OLD.user_id AND device_id = OLD.device_id;
  DELETE FROM e2e_one_time_keys WHERE user_id = OLD.user_id AND device_id = OLD.device_id;
  DELETE FROM e2e_fallback_keys WHERE user_id = OLD.user_id AND device_id = OLD.device_id;
  DELETE FROM e2e_cross_signing_signatures WHERE target_user_id = OLD.user_id AND target_key_id = OLD.device_id;
END;
