-- Lattice schema, version 1. Applied once, inside a transaction, by src/storage/migrations.ts.
-- Later changes go in new numbered files; never edit an applied one.
-- Times are milliseconds since the Unix epoch. STRICT tables: SQLite enforces column types.

------------------------------------------------------------------------------------------
-- Accounts, devices, sessions
------------------------------------------------------------------------------------------

CREATE TABLE accounts (
  user_id        TEXT PRIMARY KEY,           -- @localpart:server_name
  password_hash  TEXT,                       -- PHC string ($scrypt$...); NULL: no password login
  is_admin       INTEGER NOT NULL DEFAULT 0,
  is_guest       INTEGER NOT NULL DEFAULT 0,
  user_type      TEXT,                       -- Synapse's user_type (e.g. 'bot'); NULL: ordinary
  deactivated    INTEGER NOT NULL DEFAULT 0,
  created_ts     INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
  user_id        TEXT NOT NULL REFERENCES accounts(user_id) ON DELETE CASCADE,
  device_id      TEXT NOT NULL,
  display_name   TEXT,
  last_seen_ts   INTEGER,
  last_seen_ip   TEXT,
  created_ts     INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
) STRICT;

-- Tokens are stored as SHA-256 hashes: a copy of the database does not hand out sessions.
-- A refresh token's successor (next_token_id) is issued by /refresh; the old token keeps working
-- until the successor (or an access token paired with it) is first used, then it is deleted.
CREATE TABLE refresh_tokens (
  id             INTEGER PRIMARY KEY,
  token_hash     BLOB NOT NULL UNIQUE,
  user_id        TEXT NOT NULL,
  device_id      TEXT NOT NULL,
  next_token_id  INTEGER REFERENCES refresh_tokens(id) ON DELETE SET NULL,
  created_ts     INTEGER NOT NULL,
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX refresh_tokens_next ON refresh_tokens(next_token_id);
CREATE INDEX refresh_tokens_device ON refresh_tokens(user_id, device_id);

CREATE TABLE access_tokens (
  id                INTEGER PRIMARY KEY,
  token_hash        BLOB NOT NULL UNIQUE,
  user_id           TEXT NOT NULL,
  device_id         TEXT NOT NULL,
  refresh_token_id  INTEGER REFERENCES refresh_tokens(id) ON DELETE CASCADE,
  used              INTEGER NOT NULL DEFAULT 0,  -- set on first use (retires the previous refresh token)
  created_ts        INTEGER NOT NULL,
  expires_ts        INTEGER,                     -- NULL: never expires
  FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX access_tokens_device ON access_tokens(user_id, device_id);
CREATE INDEX access_tokens_refresh ON access_tokens(refresh_token_id);

-- Tokens for m.login.registration_token. Config tokens are inserted on start.
CREATE TABLE registration_tokens (
  token          TEXT PRIMARY KEY,
  uses_allowed   INTEGER,                    -- NULL: unlimited
  completed      INTEGER NOT NULL DEFAULT 0, -- registrations that used it
  expiry_ts      INTEGER                     -- NULL: never expires
) STRICT;

CREATE TABLE profiles (
  user_id        TEXT PRIMARY KEY REFERENCES accounts(user_id) ON DELETE CASCADE,
  displayname    TEXT,
  avatar_url     TEXT,
  extra_fields   TEXT NOT NULL DEFAULT '{}'  -- other profile keys (m.tz, custom), a JSON object
) STRICT;

CREATE TABLE filters (
  user_id        TEXT NOT NULL,
  filter_id      INTEGER NOT NULL,
  filter_json    TEXT NOT NULL,              -- canonical JSON, so equal filters share one id
  PRIMARY KEY (user_id, filter_id),
  UNIQUE (user_id, filter_json)
) STRICT;

------------------------------------------------------------------------------------------
-- Rooms and the event DAG (used by the room/timeline/sync services)
------------------------------------------------------------------------------------------

CREATE TABLE rooms (
  room_id        TEXT PRIMARY KEY,
  room_version   TEXT NOT NULL,
  creator        TEXT,
  is_public      INTEGER NOT NULL DEFAULT 0,  -- published in the room directory
  created_ts     INTEGER NOT NULL,
  -- The state group whose state is current_state (the resolution of the forward extremities'
  -- states): local events are built on it without loading any state.
  current_state_group INTEGER
) STRICT;

-- Every event we know, local or remote. stream_ordering is THE position sync tokens point into:
-- AUTOINCREMENT so a position is never reused even after deletes; backfilled (historical)
-- events take negative orderings so they never appear "new" to an incremental sync.
-- depth is the topological ordering used by /messages.
CREATE TABLE events (
  stream_ordering  INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id         TEXT NOT NULL UNIQUE,
  room_id          TEXT NOT NULL,
  type             TEXT NOT NULL,
  state_key        TEXT,                    -- NULL for message (non-state) events
  sender           TEXT NOT NULL,
  origin_server_ts INTEGER NOT NULL,
  depth            INTEGER NOT NULL,
  json             TEXT NOT NULL,           -- the full PDU (canonical JSON)
  outlier          INTEGER NOT NULL DEFAULT 0,  -- known but not part of the room's timeline yet
  rejected_reason  TEXT,                    -- NULL unless the event failed authorization
  soft_failed      INTEGER NOT NULL DEFAULT 0,  -- accepted into the DAG but hidden from clients
  redacted_by      TEXT,                    -- event_id of the redaction that applies, if any
  state_group      INTEGER,                 -- state AFTER this event (see state_groups)
  sender_device_id TEXT,                    -- local events: the device that sent it
  txn_id           TEXT,                    -- local events: the client's transaction id
  replaces_state   TEXT                     -- state events: the event this replaced in the state before it
) STRICT;
-- Clients see an event only when it is in the timeline and accepted:
--   outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0
-- (rejected events are kept so they are not fetched again; their state_group is the state
-- before them, which is also the state after them.)
CREATE INDEX events_room_stream ON events(room_id, stream_ordering);
CREATE INDEX events_room_topo ON events(room_id, depth, stream_ordering);
CREATE INDEX events_room_ts ON events(room_id, origin_server_ts);  -- timestamp_to_event

CREATE TABLE event_edges (
  event_id       TEXT NOT NULL,
  prev_event_id  TEXT NOT NULL,
  PRIMARY KEY (event_id, prev_event_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX event_edges_prev ON event_edges(prev_event_id);

CREATE TABLE event_auth_edges (
  event_id       TEXT NOT NULL,
  auth_event_id  TEXT NOT NULL,
  PRIMARY KEY (event_id, auth_event_id)
) STRICT, WITHOUT ROWID;

-- The DAG's current leaves per room: the prev_events of the next event we create.
CREATE TABLE event_forward_extremities (
  room_id        TEXT NOT NULL,
  event_id       TEXT NOT NULL,
  PRIMARY KEY (room_id, event_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE redactions (
  event_id       TEXT PRIMARY KEY,            -- the m.room.redaction event
  redacts        TEXT NOT NULL
) STRICT;
CREATE INDEX redactions_redacts ON redactions(redacts);

-- Room state as deltas (Synapse's state groups): a group is its prev_group's state plus the
-- rows in state_groups_state (event_id NULL = the key was removed). A group with no prev_group
-- is a full snapshot; writers start a new snapshot when a delta chain gets long, so "state at
-- event X" is a short chain walk from events.state_group.
CREATE TABLE state_groups (
  id             INTEGER PRIMARY KEY,
  room_id        TEXT NOT NULL,
  event_id       TEXT,                        -- the event whose state-after this group is
  prev_group     INTEGER REFERENCES state_groups(id),
  chain_length   INTEGER NOT NULL DEFAULT 0   -- deltas between this group and its snapshot
) STRICT;
CREATE INDEX state_groups_room ON state_groups(room_id);

CREATE TABLE state_groups_state (
  state_group    INTEGER NOT NULL REFERENCES state_groups(id),
  type           TEXT NOT NULL,
  state_key      TEXT NOT NULL,
  event_id       TEXT,                        -- NULL: removed relative to prev_group
  PRIMARY KEY (state_group, type, state_key)
) STRICT, WITHOUT ROWID;

-- The resolved state now, one row per (type, state_key); membership is denormalised so
-- "rooms this user is joined to" and "members of this room" are index lookups.
CREATE TABLE current_state (
  room_id        TEXT NOT NULL,
  type           TEXT NOT NULL,
  state_key      TEXT NOT NULL,
  event_id       TEXT NOT NULL,
  membership     TEXT,                        -- for m.room.member rows
  PRIMARY KEY (room_id, type, state_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX current_state_members ON current_state(state_key, membership) WHERE type = 'm.room.member';

-- Every membership event, for history queries (/members?at=, left rooms in sync).
CREATE TABLE room_memberships (
  event_id         TEXT PRIMARY KEY,
  room_id          TEXT NOT NULL,
  user_id          TEXT NOT NULL,
  sender           TEXT NOT NULL,
  membership       TEXT NOT NULL,
  stream_ordering  INTEGER NOT NULL,
  displayname      TEXT,
  avatar_url       TEXT
) STRICT;
CREATE INDEX room_memberships_user ON room_memberships(user_id, room_id, stream_ordering);
CREATE INDEX room_memberships_room ON room_memberships(room_id, stream_ordering);

-- Rooms a user has forgotten (kept out of sync's leave section).
CREATE TABLE forgotten_rooms (
  user_id        TEXT NOT NULL,
  room_id        TEXT NOT NULL,
  PRIMARY KEY (user_id, room_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE room_aliases (
  room_alias     TEXT PRIMARY KEY,
  room_id        TEXT NOT NULL,
  creator        TEXT NOT NULL,
  created_ts     INTEGER NOT NULL
) STRICT;
CREATE INDEX room_aliases_room ON room_aliases(room_id);

-- Idempotent sends: the same (user, device, txn_id) returns the first event_id.
CREATE TABLE txn_ids (
  user_id        TEXT NOT NULL,
  device_id      TEXT NOT NULL,
  txn_id         TEXT NOT NULL,
  event_id       TEXT NOT NULL,
  created_ts     INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id)
) STRICT, WITHOUT ROWID;

------------------------------------------------------------------------------------------
-- Non-event streams (account data, receipts, ...). Each has its own monotonic position,
-- allocated from stream_positions inside the writing transaction; a sync token is the small
-- vector of these positions plus events.stream_ordering.
------------------------------------------------------------------------------------------

CREATE TABLE stream_positions (
  stream         TEXT PRIMARY KEY,            -- 'account_data', 'receipts', 'to_device', ...
  position       INTEGER NOT NULL
) STRICT;

CREATE TABLE account_data (
  user_id        TEXT NOT NULL,
  room_id        TEXT NOT NULL DEFAULT '',    -- '' for global account data
  type           TEXT NOT NULL,
  content        TEXT NOT NULL,               -- JSON object
  stream_id      INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id, type)
) STRICT;
CREATE INDEX account_data_stream ON account_data(user_id, stream_id);

CREATE TABLE receipts (
  room_id        TEXT NOT NULL,
  receipt_type   TEXT NOT NULL,               -- m.read, m.read.private
  user_id        TEXT NOT NULL,
  thread_id      TEXT NOT NULL DEFAULT '',    -- '' for unthreaded receipts
  event_id       TEXT NOT NULL,
  data           TEXT NOT NULL,               -- JSON object ({ts: ...})
  stream_id      INTEGER NOT NULL,
  PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
) STRICT;
CREATE INDEX receipts_stream ON receipts(room_id, stream_id);
