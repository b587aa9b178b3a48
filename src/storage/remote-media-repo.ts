import type { Db } from './database.js';
import { thumbnailFromRow, type ThumbnailRecord, type ThumbnailRow } from './media-repo.js';

/**
 * The remote media cache (services/media/remote-media.ts): media of other servers and the
 * thumbnails they made, each a file under <data_dir>/remote_media named by a local file_id.
 */

export interface RemoteMediaRecord {
  readonly origin: string;
  readonly mediaId: string;
  readonly contentType: string | null;
  readonly uploadName: string | null;
  readonly size: number;
  /** Unpadded hex SHA-256 of the bytes. */
  readonly sha256: string;
  readonly fileId: string;
  readonly createdTs: number;
  readonly lastAccessTs: number;
}

interface Row {
  origin: string;
  media_id: string;
  content_type: string | null;
  upload_name: string | null;
  size: number;
  sha256: string;
  file_id: string;
  created_ts: number;
  last_access_ts: number;
}

export class RemoteMediaRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly touchStmt;
  private readonly insertThumbStmt;
  private readonly getThumbStmt;
  private readonly touchThumbStmt;
  private readonly removeStmt;
  private readonly removeThumbStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO remote_media (origin, media_id, content_type, upload_name, size, sha256, file_id, created_ts, last_access_ts)
       VALUES (@origin, @mediaId, @contentType, @uploadName, @size, @sha256, @fileId, @createdTs, @lastAccessTs)
       ON CONFLICT DO NOTHING`,
    );
    this.getStmt = db.prepare<[string, string], Row>('SELECT * FROM remote_media WHERE origin = ? AND media_id = ?');
    this.touchStmt = db.prepare<[number, string, string]>('UPDATE remote_media SET last_access_ts = ? WHERE origin = ? AND media_id = ?');
    this.insertThumbStmt = db.prepare(
      `INSERT INTO remote_media_thumbnails (origin, media_id, width, height, method, content_type, size, file_id, created_ts, last_access_ts)
       VALUES (@origin, @mediaId, @width, @height, @method, @contentType, @size, @fileId, @createdTs, @createdTs)
       ON CONFLICT DO NOTHING`,
    );
    this.removeStmt = db.prepare<[string, string]>('DELETE FROM remote_media WHERE origin = ? AND media_id = ?');
    this.removeThumbStmt = db.prepare<[string, string, number, number, string]>(
      'DELETE FROM remote_media_thumbnails WHERE origin = ? AND media_id = ? AND width = ? AND height = ? AND method = ?',
    );
    this.getThumbStmt = db.prepare<[string, string, number, number, string], ThumbnailRow & { last_access_ts: number }>(
      'SELECT * FROM remote_media_thumbnails WHERE origin = ? AND media_id = ? AND width = ? AND height = ? AND method = ?',
    );
    this.touchThumbStmt = db.prepare<[number, string, string, number, number, string]>(
      'UPDATE remote_media_thumbnails SET last_access_ts = ? WHERE origin = ? AND media_id = ? AND width = ? AND height = ? AND method = ?',
    );
  }

  /** False when the media was already cached (the caller's file is then surplus). */
  insert(record: RemoteMediaRecord): boolean {
    return this.insertStmt.run(record).changes === 1;
  }

  get(origin: string, mediaId: string): RemoteMediaRecord | undefined {
    const row = this.getStmt.get(origin, mediaId);
    if (!row) return undefined;
    return {
      origin: row.origin,
      mediaId: row.media_id,
      contentType: row.content_type,
      uploadName: row.upload_name,
      size: row.size,
      sha256: row.sha256,
      fileId: row.file_id,
      createdTs: row.created_ts,
      lastAccessTs: row.last_access_ts,
    };
  }

  touch(origin: string, mediaId: string, ts: number): void {
    this.touchStmt.run(ts, origin, mediaId);
  }

  insertThumbnail(origin: string, mediaId: string, record: ThumbnailRecord): boolean {
    return this.insertThumbStmt.run({ origin, mediaId, ...record }).changes === 1;
  }

  getThumbnail(origin: string, mediaId: string, width: number, height: number, method: string): (ThumbnailRecord & { readonly lastAccessTs: number }) | undefined {
    const row = this.getThumbStmt.get(origin, mediaId, width, height, method);
    return row && { ...thumbnailFromRow(row), lastAccessTs: row.last_access_ts };
  }

  /** Forgets an entry whose file went missing, so it can be fetched again. */
  remove(origin: string, mediaId: string): void {
    this.removeStmt.run(origin, mediaId);
  }

  removeThumbnail(origin: string, mediaId: string, width: number, height: number, method: string): void {
    this.removeThumbStmt.run(origin, mediaId, width, height, method);
  }

  touchThumbnail(origin: string, mediaId: string, width: number, height: number, method: string, ts: number): void {
    this.touchThumbStmt.run(ts, origin, mediaId, width, height, method);
  }
}
