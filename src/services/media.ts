import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HomeserverConfig } from '../config.js';
import type { MediaRecord } from '../storage/media-repo.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import { notFound, tooLarge } from './errors.js';
import type { Logger } from './logger.js';

/**
 * The local media repository: bytes in `<data_dir>/media/<first 2 chars>/<media id>`, metadata in
 * SQLite (local_media). An upload writes a temporary file, fsyncs it, renames it into place, and
 * only then inserts the row, so every row has its complete file; a crash in between leaves at
 * most an orphan file, never a row pointing at nothing.
 *
 * Remote media is not fetched: the federation client speaks JSON only, and the authenticated
 * federation download answers multipart/mixed, so remote media IDs answer 404 M_NOT_FOUND.
 */

const MEDIA_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MEDIA_ID_LENGTH = 24;
/** What our IDs look like; anything else is unknown (and never reaches the file system). */
const MEDIA_ID_RE = /^[A-Za-z0-9_-]{1,255}$/;

export interface StoredMedia {
  readonly record: MediaRecord;
  readonly bytes: Uint8Array;
}

export class MediaService {
  private readonly root: string;

  constructor(
    private readonly config: HomeserverConfig,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.root = path.join(config.dataDir, 'media');
  }

  get maxUploadSize(): number {
    return this.config.maxUploadSize;
  }

  /** Stores an upload; returns its mxc:// URI. */
  async upload(uploader: string, bytes: Uint8Array, contentType: string | undefined, uploadName: string | undefined): Promise<string> {
    if (bytes.byteLength > this.config.maxUploadSize) throw tooLarge('Upload is too large');
    const mediaId = newMediaId();
    const file = this.fileOf(mediaId);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await handle.close();
    await fs.rename(tmp, file);
    await syncDir(path.dirname(file));
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
      await fs.rm(file, { force: true });
      throw err;
    }
    this.log.debug({ mediaId, size: bytes.byteLength }, 'media uploaded');
    return `mxc://${this.config.serverName}/${mediaId}`;
  }

  /** Local media by ID, or 404 M_NOT_FOUND. */
  async getLocal(mediaId: string): Promise<StoredMedia> {
    const record = MEDIA_ID_RE.test(mediaId) ? this.storage.media.get(mediaId) : undefined;
    if (!record) throw notFound('Media not found');
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.fileOf(mediaId));
    } catch (err) {
      this.log.error({ err, mediaId }, 'media file missing for a stored row');
      throw notFound('Media not found');
    }
    return { record, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  /** Media named by a client: ours is served, remote media is not fetched (see above). */
  async get(serverName: string, mediaId: string): Promise<StoredMedia> {
    if (serverName !== this.config.serverName) throw notFound('Remote media is not available from this server');
    return this.getLocal(mediaId);
  }

  private fileOf(mediaId: string): string {
    return path.join(this.root, mediaId.slice(0, 2), mediaId);
  }
}

function newMediaId(): string {
  // Bytes >= 208 (4 × 52) are skipped so every letter is equally likely.
  let id = '';
  while (id.length < MEDIA_ID_LENGTH) {
    for (const b of randomBytes(MEDIA_ID_LENGTH)) {
      if (b < 208 && id.length < MEDIA_ID_LENGTH) id += MEDIA_ID_ALPHABET[b % 52];
    }
  }
  return id;
}

/** fsync a directory so a rename into it survives a crash (not supported everywhere: best effort). */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms cannot open or fsync directories.
  } finally {
    await handle?.close().catch(() => undefined);
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

/** Raster images we would thumbnail if we could: served as their own thumbnail. */
const THUMBNAILABLE = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/apng', 'image/avif']);

function baseType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isThumbnailable(record: MediaRecord): boolean {
  return THUMBNAILABLE.has(baseType(record.contentType));
}

/** The served Content-Type: as uploaded (text/* gets charset=utf-8 if it has none), else octet-stream. */
export function servedContentType(record: MediaRecord): string {
  const type = record.contentType ?? 'application/octet-stream';
  if (baseType(type).startsWith('text/') && !/;\s*charset=/i.test(type)) return `${type}; charset=utf-8`;
  return type;
}

/** Content-Disposition per the spec: inline only for safe types, with the filename (RFC 6266). */
export function contentDisposition(record: MediaRecord, fileName?: string): string {
  const kind = INLINE_CONTENT_TYPES.has(baseType(record.contentType)) ? 'inline' : 'attachment';
  const name = fileName ?? record.uploadName ?? undefined;
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
export function mediaHeaders(record: MediaRecord, fileName?: string): Record<string, string> {
  return {
    ...MEDIA_SECURITY_HEADERS,
    'Content-Type': servedContentType(record),
    'Content-Disposition': contentDisposition(record, fileName),
    'Cache-Control': 'public, max-age=86400, immutable',
  };
}
