-- Remote media cache and generated thumbnails (services/media/). Bytes are files named by a
-- local random file_id (never by the remote's names), written and fsynced before the row is
-- inserted, so every row has its complete file.

-- Media of other servers, fetched over federation once and served from here afterwards.
CREATE TABLE remote_media (
  origin TEXT NOT NULL,
  media_id TEXT NOT NULL,
  content_type TEXT,
  upload_name TEXT,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  file_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  last_access_ts INTEGER NOT NULL,
  PRIMARY KEY (origin, media_id)
) STRICT;

-- Thumbnails the remote made for us, per (snapped) size and method; cached apart from the media
-- itself, which we may never have fetched.
CREATE TABLE remote_media_thumbnails (
  origin TEXT NOT NULL,
  media_id TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  method TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  file_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  last_access_ts INTEGER NOT NULL,
  PRIMARY KEY (origin, media_id, width, height, method)
) STRICT;

-- Thumbnails we generated from our own uploads, per (snapped) size and method.
CREATE TABLE local_media_thumbnails (
  media_id TEXT NOT NULL REFERENCES local_media (media_id),
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  method TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  file_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (media_id, width, height, method)
) STRICT;
