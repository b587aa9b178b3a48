import { createHash } from 'node:crypto';
import path from 'node:path';
import type { HomeserverConfig } from '../config.js';
import { parseServerName } from '../core/server-name.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import { notFound, tooLarge } from './errors.js';
import type { FederationFileClient } from './federation/federation-client.js';
import type { Logger } from './logger.js';
import { FileStore, newFileId } from './media/file-store.js';
import { LocalThumbnails, type Thumbnail } from './media/local-thumbnails.js';
import { RemoteMediaFetcher } from './media/remote-fetch.js';
import { RemoteMediaCache, type FetchPolicy } from './media/remote-media.js';
import { snapThumbnail, type ThumbnailRequest } from './media/thumbnail-size.js';
import { Thumbnailer } from './media/thumbnailer.js';

/**
 * The media repository. Local media: bytes in `<data_dir>/media/<first 2 chars>/<media id>`,
 * metadata in SQLite (local_media); an upload writes a temporary file, fsyncs it, renames it into
 * place, and only then inserts the row, so every row has its complete file. Remote media is
 * fetched over federation and cached (media/remote-media.ts); thumbnails are made from our own
 * images (media/local-thumbnails.ts) and asked of the origin for remote ones.
 */

/** What our IDs look like, and what we accept of other servers' (the spec's media-id grammar). */
const MEDIA_ID_RE = /^[A-Za-z0-9_-]{1,255}$/;

/** What the served headers are built from, for local and remote media alike. */
export interface MediaInfo {
  readonly contentType: string | null;
  readonly uploadName: string | null;
}

export interface StoredMedia {
  readonly info: MediaInfo;
  readonly bytes: Uint8Array;
}

export type { FetchPolicy, Thumbnail, ThumbnailRequest };

export class MediaService {
  private readonly files: FileStore;
  private readonly remote: RemoteMediaCache;
  private readonly thumbnails: LocalThumbnails;

  constructor(
    private readonly config: HomeserverConfig,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly log: Logger,
    federation: FederationFileClient,
  ) {
    this.files = new FileStore(path.join(config.dataDir, 'media'));
    const fetcher = new RemoteMediaFetcher(federation, config.maxUploadSize, log);
    this.remote = new RemoteMediaCache(config.dataDir, storage, clock, log, fetcher);
    this.thumbnails = new LocalThumbnails(config.dataDir, storage, clock, log, new Thumbnailer(log));
  }

  get maxUploadSize(): number {
    return this.config.maxUploadSize;
  }

  /** Stores an upload; returns its mxc:// URI. */
  async upload(uploader: string, bytes: Uint8Array, contentType: string | undefined, uploadName: string | undefined): Promise<string> {
    if (bytes.byteLength > this.config.maxUploadSize) throw tooLarge('Upload is too large');
    const mediaId = newFileId();
    await this.files.write(mediaId, bytes);
    try {
      this.storage.media.insert({
        mediaId,
        uploader,
        contentType: contentType ?? null,
        uploadName: uploadName ?? null,
        size: bytes.byteLength,
        createdTs: this.clock.now(),
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    } catch (err) {
      await this.files.remove(mediaId);
      throw err;
    }
    this.log.debug({ mediaId, size: bytes.byteLength }, 'media uploaded');
    return `mxc://${this.config.serverName}/${mediaId}`;
  }

  /** Local media by ID, or 404 M_NOT_FOUND (what the federation endpoints serve). */
  async getLocal(mediaId: string): Promise<StoredMedia> {
    const record = MEDIA_ID_RE.test(mediaId) ? this.storage.media.get(mediaId) : undefined;
    if (!record) throw notFound('Media not found');
    let bytes: Uint8Array;
    try {
      bytes = await this.files.read(mediaId);
    } catch (err) {
      this.log.error({ err, mediaId }, 'media file missing for a stored row');
      throw notFound('Media not found');
    }
    return { info: record, bytes };
  }

  /** Media named by a client: ours, or another server's through the cache. */
  async download(serverName: string, mediaId: string, policy: FetchPolicy): Promise<StoredMedia> {
    if (serverName === this.config.serverName) return this.getLocal(mediaId);
    this.checkRemote(serverName, mediaId);
    const { contentType, uploadName, bytes } = await this.remote.get(serverName, mediaId, policy);
    return { info: { contentType, uploadName }, bytes };
  }

  /** A thumbnail of local or remote media, at least as large as asked where the image allows. */
  async thumbnail(serverName: string, mediaId: string, request: ThumbnailRequest, policy: FetchPolicy): Promise<Thumbnail> {
    if (serverName === this.config.serverName) return this.localThumbnail(mediaId, request);
    this.checkRemote(serverName, mediaId);
    return this.remote.thumbnail(serverName, mediaId, snapThumbnail(request), policy);
  }

  /** A thumbnail of our own media (also what the federation thumbnail endpoint serves). */
  async localThumbnail(mediaId: string, request: ThumbnailRequest): Promise<Thumbnail> {
    const record = MEDIA_ID_RE.test(mediaId) ? this.storage.media.get(mediaId) : undefined;
    if (!record) throw notFound('Media not found');
    if (!isThumbnailable(record)) throw notFound('No thumbnail is available for this media');
    // The original is read only when a thumbnail has to be made.
    return this.thumbnails.get(mediaId, async () => (await this.getLocal(mediaId)).bytes, snapThumbnail(request));
  }

  /** Names that cannot be an mxc:// URI's are never looked up, let alone fetched. */
  private checkRemote(serverName: string, mediaId: string): void {
    if (!MEDIA_ID_RE.test(mediaId) || !parseServerName(serverName)) throw notFound('Media not found');
  }
}

// ---- HTTP presentation (shared by the client and federation endpoints) ----

/** Types a browser may render inline (Synapse's INLINE_CONTENT_TYPES); everything else is an attachment. */
const INLINE_CONTENT_TYPES = new Set([
  'text/css',
  'text/plain',
  'text/csv',
  'application/json',
  'application/ld+json',
  'image/jpeg',
  'image/gif',
  'image/png',
  'image/apng',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mp4',
  'audio/webm',
  'audio/aac',
  'audio/mpeg',
  'audio/ogg',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/flac',
  'audio/x-flac',
]);

/** Declared types worth handing to the thumbnailer (which then checks the bytes themselves). */
const THUMBNAILABLE = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/apng']);

function baseType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isThumbnailable(info: MediaInfo): boolean {
  return THUMBNAILABLE.has(baseType(info.contentType));
}

/** The served Content-Type: as uploaded (text/* gets charset=utf-8 if it has none), else octet-stream. */
export function servedContentType(info: MediaInfo): string {
  const type = info.contentType ?? 'application/octet-stream';
  if (baseType(type).startsWith('text/') && !/;\s*charset=/i.test(type)) return `${type}; charset=utf-8`;
  return type;
}

/** Content-Disposition per the spec: inline only for safe types, with the filename (RFC 6266). */
export function contentDisposition(info: MediaInfo, fileName?: string): string {
  const kind = INLINE_CONTENT_TYPES.has(baseType(info.contentType)) ? 'inline' : 'attachment';
  const name = fileName ?? info.uploadName ?? undefined;
  if (name === undefined || name === '') return kind;
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name)) return `${kind}; filename="${name}"`;
  return `${kind}; filename*=utf-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())}`;
}

/** Headers Synapse sends with media so a browser never runs it as an active document. */
export const MEDIA_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
  'X-Content-Security-Policy': 'sandbox;',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'X-Content-Type-Options': 'nosniff',
};

/** The headers of a media download. */
export function mediaHeaders(info: MediaInfo, fileName?: string): Record<string, string> {
  return {
    ...MEDIA_SECURITY_HEADERS,
    'Content-Type': servedContentType(info),
    'Content-Disposition': contentDisposition(info, fileName),
    'Cache-Control': 'public, max-age=86400, immutable',
  };
}

/** The Content-Disposition of a thumbnail: always inline (spec 1.12), named after its type. */
export function thumbnailDisposition(contentType: string): string {
  const ext = baseType(contentType).replace(/^image\//, '').replace(/[^a-z0-9]/g, '') || 'bin';
  return `inline; filename="thumbnail.${ext === 'jpeg' ? 'jpg' : ext}"`;
}

/** The headers of a thumbnail. */
export function thumbnailHeaders(thumbnail: { readonly contentType: string }): Record<string, string> {
  return {
    ...MEDIA_SECURITY_HEADERS,
    'Content-Type': thumbnail.contentType,
    'Content-Disposition': thumbnailDisposition(thumbnail.contentType),
    'Cache-Control': 'public, max-age=86400, immutable',
  };
}
