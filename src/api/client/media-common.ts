import type { EndpointResponse } from '../endpoint.js';
import type { Services } from '../../services/services.js';
import { ErrCode, MatrixError, notFound } from '../../services/errors.js';
import { isThumbnailable, mediaHeaders } from '../../services/media.js';
import { queryParam } from '../define.js';

/**
 * What the legacy (content-repo.yaml) and authenticated (authed-content-repo.yaml) media
 * endpoints share: the handlers differ only in path and auth.
 */

export async function download(services: Services, params: Readonly<Record<string, string>>): Promise<EndpointResponse> {
  const { record, bytes } = await services.media.get(params['serverName']!, params['mediaId']!);
  return { status: 200, body: bytes, headers: mediaHeaders(record, params['fileName']) };
}

export function dimension(query: URLSearchParams, name: string): number {
  const raw = queryParam(query, name);
  if (raw === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, `Missing ${name}`);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid ${name}`);
  return n;
}

/**
 * Thumbnails without an image library: a raster image is served as its own thumbnail (the spec
 * lets a server answer with a larger image than asked for); anything else has none (404).
 */
export async function thumbnail(services: Services, params: Readonly<Record<string, string>>, query: URLSearchParams): Promise<EndpointResponse> {
  dimension(query, 'width');
  dimension(query, 'height');
  const { record, bytes } = await services.media.get(params['serverName']!, params['mediaId']!);
  if (!isThumbnailable(record)) throw notFound('No thumbnail is available for this media');
  return { status: 200, body: bytes, headers: mediaHeaders(record) };
}

export function mediaConfig(services: Services): EndpointResponse {
  return { status: 200, body: { 'm.upload.size': services.media.maxUploadSize } };
}
