import type { Db } from './database.js';

/** Metadata of local media and of the thumbnails made from it (the bytes are files under <data_dir>, see services/media.ts). */

export interface MediaRecord {
  readonly mediaId: string;
  readonly uploader: string;
  readonly contentType: string | null;
  readonly uploadName: string | null;
  readonly size: number;
  readonly createdTs: number;
  /** Unpadded hex SHA-256 of the bytes. */
  readonly sha256: string;
}

interface Row {
  media_id: string;
  uploader: string;
  content_type: string | null;
  upload_name: string | null;
  size: number;
  created_ts: number;
  sha256: string;
}

export class MediaRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly insertThumbStmt;
  private readonly getThumbStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO local_media (media_id, uploader, content_type, upload_name, size, created_ts, sha256)
       VALUES (@mediaId, @uploader, @contentType, @uploadName, @size, @createdTs, @sha256)`,
    );
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM local_media WHERE media_id = ?');
    this.insertThumbStmt = db.prepare(
      `INSERT INTO local_media_thumbnails (media_id, width, height, method, content_type, size, file_id, created_ts)
       VALUES (@mediaId, @width, @height, @method, @contentType, @size, @fileId, @createdTs)
       ON CONFLICT (media_id, width, height, method) DO UPDATE SET
         content_type = excluded.content_type, size = excluded.size, file_id = excluded.file_id, created_ts = excluded.created_ts`,
    );
    this.getThumbStmt = db.prepare<[string, number, number, string], ThumbnailRow>(
      'SELECT * FROM local_media_thumbnails WHERE media_id = ? AND width = ? AND height = ? AND method = ?',
    );
  }

  insert(record: MediaRecord): void {
    this.insertStmt.run(record);
  }

  get(mediaId: string): MediaRecord | undefined {
    const row = this.getStmt.get(mediaId);
    if (!row) return undefined;
    return {
      mediaId: row.media_id,
      uploader: row.uploader,
      contentType: row.content_type,
      uploadName: row.upload_name,
      size: row.size,
      createdTs: row.created_ts,
      sha256: row.sha256,
    };
  }

  /** Records a thumbnail's file; replaces an earlier row of that size (whose file went missing). */
  putThumbnail(mediaId: string, record: ThumbnailRecord): void {
    this.insertThumbStmt.run({ mediaId, ...record });
  }

  getThumbnail(mediaId: string, width: number, height: number, method: string): ThumbnailRecord | undefined {
    const row = this.getThumbStmt.get(mediaId, width, height, method);
    return row && thumbnailFromRow(row);
  }
}

/** A thumbnail generated from local media (the bytes are a file named by fileId). */
export interface ThumbnailRecord {
  readonly width: number;
  readonly height: number;
  readonly method: string;
  readonly contentType: string;
  readonly size: number;
  readonly fileId: string;
  readonly createdTs: number;
}

export interface ThumbnailRow {
  width: number;
  height: number;
  method: string;
  content_type: string;
  size: number;
  file_id: string;
  created_ts: number;
}

export function thumbnailFromRow(row: ThumbnailRow): ThumbnailRecord {
  return {
    width: row.width,
    height: row.height,
    method: row.method,
    contentType: row.content_type,
    size: row.size,
    fileId: row.file_id,
    createdTs: row.created_ts,
  };
}
