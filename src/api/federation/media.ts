import { randomBytes } from 'node:crypto';
import type { EndpointResponse } from '../endpoint.js';
import { contentDisposition, isThumbnailable, servedContentType, type StoredMedia } from '../../services/media.js';
import { notFound } from '../../services/errors.js';
import { endpoint } from '../define.js';
import { dimension } from '../client/media-common.js';

/**
 * Authenticated federation media (server-server content_repository.yaml): our local media, as
 * multipart/mixed with a JSON metadata part (`{}`) and the file part. Thumbnails are the
 * original bytes of raster images (no resizing library), 404 otherwise.
 */

const encoder = new TextEncoder();

function multipart({ record, bytes }: StoredMedia): EndpointResponse {
  const boundary = randomBytes(16).toString('hex');
  const head = encoder.encode(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${servedContentType(record)}\r\nContent-Disposition: ${contentDisposition(record)}\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.byteLength + bytes.byteLength + tail.byteLength);
  body.set(head, 0);
  body.set(bytes, head.byteLength);
  body.set(tail, head.byteLength + bytes.byteLength);
  return { status: 200, body, headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}` } };
}

export const getContent = endpoint({
  id: 'getContent',
  method: 'GET',
  path: '/_matrix/federation/v1/media/download/{mediaId}',
  auth: 'server',
  rateLimit: 'general',
  async handler({ services, params }) {
    return multipart(await services.media.getLocal(params['mediaId']!));
  },
});

export const getContentThumbnail = endpoint({
  id: 'getContentThumbnail',
  method: 'GET',
  path: '/_matrix/federation/v1/media/thumbnail/{mediaId}',
  auth: 'server',
  rateLimit: 'general',
  async handler({ services, params, query }) {
    dimension(query, 'width');
    dimension(query, 'height');
    const media = await services.media.getLocal(params['mediaId']!);
    if (!isThumbnailable(media.record)) throw notFound('No thumbnail is available for this media');
    return multipart(media);
  },
});

export const mediaEndpoints = [getContent, getContentThumbnail];
