-- Local media repository (services/media.ts): the bytes live in <data_dir>/media/<id[0:2]>/<id>,
-- written and fsynced before this row is inserted, so a row always has its file.
CREATE TABLE local_media (
  media_id TEXT PRIMARY KEY,
  uploader TEXT NOT NULL,
  content_type TEXT,
  upload_name TEXT,
  size INTEGER NOT NULL,
  created_ts INTEGER NOT NULL,
  sha256 TEXT NOT NULL
) STRICT;
