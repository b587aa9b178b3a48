import { randomBytes } from 'node:crypto';
import type { EndpointResponse } from '../endpoint.js';
import { contentDisposition, servedContentType, thumbnailDisposition } from '../../services/media.js';
import { endpoint } from '../define.js';
import { thumbnailRequest } from '../client/media-common.js';

/**
 * Authenticated federation media (server-server content_repository.yaml): our local media (never
 * what we cached of others), as multipart/mixed with a JSON metadata part (`{}`) and the file
 * part. Thumbnails are made as for our own clients (services/media/local-thumbnails.ts).
 */

const encoder = new TextEncoder();

function multipart(contentType: string, disposition: string, bytes: Uint8Array): EndpointResponse {
  const boundary = randomBytes(16).toString('hex');
  const head = encoder.encode(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Disposition: ${disposition}\r\n\r\n`,
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
    const { info, bytes } = await services.media.getLocal(params['mediaId']!);
    return multipart(servedContentType(info), contentDisposition(info), bytes);
  },
});

export const getContentThumbnail = endpoint({
  id: 'getContentThumbnail',
  method: 'GET',
  path: '/_matrix/federation/v1/media/thumbnail/{mediaId}',
  auth: 'server',
  rateLimit: 'general',
  async handler({ services, params, query }) {
    const thumbnail = await services.media.localThumbnail(params['mediaId']!, thumbnailRequest(query));
    return multipart(thumbnail.contentType, thumbnailDisposition(thumbnail.contentType), thumbnail.bytes);
  },
});

export const mediaEndpoints = [getContent, getContentThumbnail];
