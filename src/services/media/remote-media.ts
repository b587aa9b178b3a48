import { createHash } from 'node:crypto';
import path from 'node:path';
import type { RemoteMediaRecord } from '../../storage/remote-media-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import { MatrixError, notFound, ErrCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { FileStore, newFileId } from './file-store.js';
import type { RemoteMediaFetcher } from './remote-fetch.js';
import type { ThumbnailRequest } from './thumbnail-size.js';
import { sniffFormat } from './thumbnailer.js';

/**
 * The remote media cache: media (and thumbnails) of other servers, fetched once over federation
 * and served from <data_dir>/remote_media afterwards, also while the origin is down. A fetch
 * is stored like an upload (file written, fsynced and renamed, then the row), and concurrent
 * requests for the same item share one fetch. Cache files are named by a local random ID, never
 * by anything the remote chose.
 */

export interface RemoteFile {
  readonly contentType: string | null;
  readonly uploadName: string | null;
  readonly bytes: Uint8Array;
}

export interface RemoteThumbnail {
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export interface FetchPolicy {
  /** false: serve only what is cached (legacy `allow_remote=false`). */
  readonly allowRemote: boolean;
  /** The client's timeout_ms, bounded. */
  readonly waitMs: number;
}

/** Access times are refreshed at most this often per item (each refresh is a write). */
const TOUCH_INTERVAL_MS = 10 * 60_000;

export class RemoteMediaCache {
  private readonly content: FileStore;
  private readonly thumbnails: FileStore;
  private readonly inflight = new Map<string, Promise<RemoteFile>>();
  private readonly inflightThumbnails = new Map<string, Promise<RemoteThumbnail>>();

  constructor(
    dataDir: string,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly fetcher: RemoteMediaFetcher,
  ) {
    this.content = new FileStore(path.join(dataDir, 'remote_media', 'content'));
    this.thumbnails = new FileStore(path.join(dataDir, 'remote_media', 'thumbnails'));
  }

  async get(origin: string, mediaId: string, policy: FetchPolicy): Promise<RemoteFile> {
    const cached = await this.cached(origin, mediaId);
    if (cached) return cached;
    if (!policy.allowRemote) throw notFound('Remote media is not cached and allow_remote is false');
    const key = JSON.stringify([origin, mediaId]);
    return shared(this.inflight, key, () => this.fetchAndStore(origin, mediaId, policy.waitMs));
  }

  async thumbnail(origin: string, mediaId: string, request: ThumbnailRequest, policy: FetchPolicy): Promise<RemoteThumbnail> {
    const { width, height, method } = request;
    const row = this.storage.remoteMedia.getThumbnail(origin, mediaId, width, height, method);
    if (row) {
      const bytes = await this.thumbnails.read(row.fileId).catch(() => undefined);
      if (bytes) {
        if (this.clock.now() - row.lastAccessTs > TOUCH_INTERVAL_MS) this.storage.remoteMedia.touchThumbnail(origin, mediaId, width, height, method, this.clock.now());
        return { contentType: row.contentType, bytes };
      }
      this.log.warn({ origin, mediaId, fileId: row.fileId }, 'cached remote thumbnail file is missing; fetching again');
      this.storage.remoteMedia.removeThumbnail(origin, mediaId, width, height, method);
    }
    if (!policy.allowRemote) throw notFound('Remote thumbnail is not cached and allow_remote is false');
    const key = JSON.stringify([origin, mediaId, width, height, method]);
    return shared(this.inflightThumbnails, key, () => this.fetchThumbnail(origin, mediaId, request, policy.waitMs));
  }

  private async cached(origin: string, mediaId: string): Promise<RemoteFile | undefined> {
    const record = this.storage.remoteMedia.get(origin, mediaId);
    if (!record) return undefined;
    const bytes = await this.content.read(record.fileId).catch(() => undefined);
    if (!bytes) {
      this.log.warn({ origin, mediaId, fileId: record.fileId }, 'cached remote media file is missing; fetching again');
      this.storage.remoteMedia.remove(origin, mediaId);
      return undefined;
    }
    const now = this.clock.now();
    if (now - record.lastAccessTs > TOUCH_INTERVAL_MS) this.storage.remoteMedia.touch(origin, mediaId, now);
    return { contentType: record.contentType, uploadName: record.uploadName, bytes };
  }

  private async fetchAndStore(origin: string, mediaId: string, waitMs: number): Promise<RemoteFile> {
    const fetched = await this.fetcher.download(origin, mediaId, waitMs);
    const fileId = newFileId();
    await this.content.write(fileId, fetched.bytes);
    const now = this.clock.now();
    const record: RemoteMediaRecord = {
      origin,
      mediaId,
      contentType: fetched.contentType,
      uploadName: fetched.uploadName,
      size: fetched.bytes.byteLength,
      sha256: createHash('sha256').update(fetched.bytes).digest('hex'),
      fileId,
      createdTs: now,
      lastAccessTs: now,
    };
    if (!this.insertOrDiscard(() => this.storage.remoteMedia.insert(record), () => this.content.remove(fileId))) {
      return (await this.cached(origin, mediaId)) ?? fetched;
    }
    this.log.debug({ origin, mediaId, size: record.size }, 'remote media cached');
    return fetched;
  }

  private async fetchThumbnail(origin: string, mediaId: string, request: ThumbnailRequest, waitMs: number): Promise<RemoteThumbnail> {
    const fetched = await this.fetcher.thumbnail(origin, mediaId, request, waitMs);
    // The type comes from the bytes: a thumbnail is served inline, so it must really be an image.
    const format = sniffFormat(fetched.bytes);
    if (!format) throw new MatrixError(502, ErrCode.UNKNOWN, "The remote server's thumbnail is not a PNG, JPEG, GIF or WebP image");
    const thumbnail: RemoteThumbnail = { contentType: `image/${format}`, bytes: fetched.bytes };
    const fileId = newFileId();
    await this.thumbnails.write(fileId, fetched.bytes);
    const { width, height, method } = request;
    const record = { width, height, method, contentType: thumbnail.contentType, size: fetched.bytes.byteLength, fileId, createdTs: this.clock.now() };
    this.insertOrDiscard(() => this.storage.remoteMedia.insertThumbnail(origin, mediaId, record), () => this.thumbnails.remove(fileId));
    return thumbnail;
  }

  /** Inserts the row for a file just written; when the row cannot be added the file goes. */
  private insertOrDiscard(insert: () => boolean, discard: () => Promise<void>): boolean {
    let inserted: boolean;
    try {
      inserted = insert();
    } catch (err) {
      void discard().catch(() => undefined);
      throw err;
    }
    if (!inserted) void discard().catch(() => undefined);
    return inserted;
  }
}

/** Runs `work` once per key at a time: callers arriving while it runs share its outcome. */
function shared<T>(inflight: Map<string, Promise<T>>, key: string, work: () => Promise<T>): Promise<T> {
  const running = inflight.get(key);
  if (running) return running;
  const promise = work().finally(() => inflight.delete(key));
  inflight.set(key, promise);
  return promise;
}
