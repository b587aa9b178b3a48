import type { Db } from './database.js';

/** Metadata of local media (the bytes are files under <data_dir>/media, see services/media.ts). */

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

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO local_media (media_id, uploader, content_type, upload_name, size, created_ts, sha256)
       VALUES (@mediaId, @uploader, @contentType, @uploadName, @size, @createdTs, @sha256)`,
    );
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM local_media WHERE media_id = ?');
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
}
