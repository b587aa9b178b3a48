import path from 'node:path';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import { ErrCode, MatrixError, notFound } from '../errors.js';
import type { Logger } from '../logger.js';
import { FileStore, newFileId } from './file-store.js';
import type { ThumbnailRequest } from './thumbnail-size.js';
import { sniffFormat, type Thumbnailer } from './thumbnailer.js';

/**
 * Thumbnails of our own uploads: made on first request for a (snapped) size and method, stored
 * under <data_dir>/media_thumbnails like an upload (file first, then the row), served from there
 * afterwards. An image already no larger than asked is served as it is, and is not copied.
 */

export interface Thumbnail {
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export class LocalThumbnails {
  private readonly files: FileStore;
  private readonly inflight = new Map<string, Promise<Thumbnail>>();

  constructor(
    dataDir: string,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly thumbnailer: Thumbnailer,
  ) {
    this.files = new FileStore(path.join(dataDir, 'media_thumbnails'));
  }

  /** The thumbnail of local media `mediaId` (a size already snapped); `original` reads its bytes. */
  async get(mediaId: string, original: () => Promise<Uint8Array>, request: ThumbnailRequest): Promise<Thumbnail> {
    const { width, height, method } = request;
    const row = this.storage.media.getThumbnail(mediaId, width, height, method);
    if (row) {
      const bytes = await this.files.read(row.fileId).catch(() => undefined);
      if (bytes) return { contentType: row.contentType, bytes };
      this.log.warn({ mediaId, fileId: row.fileId }, 'thumbnail file is missing; making it again');
    }
    const key = JSON.stringify([mediaId, width, height, method, request.animated ?? null]);
    const running = this.inflight.get(key);
    if (running) return running;
    const work = this.make(mediaId, original, request).finally(() => this.inflight.delete(key));
    this.inflight.set(key, work);
    return work;
  }

  private async make(mediaId: string, loadOriginal: () => Promise<Uint8Array>, request: ThumbnailRequest): Promise<Thumbnail> {
    const original = await loadOriginal();
    const outcome = await this.thumbnailer.make(original, request);
    switch (outcome.kind) {
      case 'unsupported':
        throw notFound('No thumbnail is available for this media');
      case 'too-large':
        throw new MatrixError(413, ErrCode.TOO_LARGE, 'Content is too large to thumbnail');
      case 'original':
        // The type is the one the bytes have (sniffFormat vouched for them in make()).
        return { contentType: `image/${sniffFormat(original)!}`, bytes: original };
      case 'made':
        break;
    }
    const fileId = newFileId();
    await this.files.write(fileId, outcome.bytes);
    const { width, height, method } = request;
    try {
      this.storage.media.putThumbnail(mediaId, {
        width,
        height,
        method,
        contentType: outcome.contentType,
        size: outcome.bytes.byteLength,
        fileId,
        createdTs: this.clock.now(),
      });
    } catch (err) {
      await this.files.remove(fileId).catch(() => undefined);
      throw err;
    }
    this.log.debug({ mediaId, width: outcome.width, height: outcome.height, method }, 'thumbnail made');
    return { contentType: outcome.contentType, bytes: outcome.bytes };
  }
}
