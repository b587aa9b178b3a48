-- Federation, membership side: OpenID tokens that other servers (and integration managers)
-- exchange through GET /_matrix/federation/v1/openid/userinfo to learn who a user is.

-- The token is a bearer secret: only its SHA-256 is stored, as for access tokens.
CREATE TABLE openid_tokens (
  token_hash  BLOB PRIMARY KEY,
  user_id     TEXT NOT NULL,
  expires_ts  INTEGER NOT NULL
) STRICT;
CREATE INDEX openid_tokens_expiry ON openid_tokens(expires_ts);
