import type { EndpointResponse } from '../endpoint.js';
import type { Services } from '../../services/services.js';
import { ErrCode, MatrixError } from '../../services/errors.js';
import { mediaHeaders, thumbnailHeaders, type FetchPolicy, type ThumbnailRequest } from '../../services/media.js';
import { queryParam } from '../define.js';

/**
 * What the legacy (content-repo.yaml) and authenticated (authed-content-repo.yaml) media
 * endpoints share: the handlers differ only in path, auth, and `allow_remote` (legacy only; the
 * authenticated endpoints always fetch remote media).
 */

/** The spec's default for timeout_ms. */
const DEFAULT_TIMEOUT_MS = 20_000;
/** The spec asks for a maximum; a client cannot hold a request (and a fetch) open longer. */
const MAX_TIMEOUT_MS = 60_000;

export type MediaApi = 'legacy' | 'authenticated';

export async function download(services: Services, params: Readonly<Record<string, string>>, query: URLSearchParams, api: MediaApi): Promise<EndpointResponse> {
  const { info, bytes } = await services.media.download(params['serverName']!, params['mediaId']!, fetchPolicy(query, api));
  return { status: 200, body: bytes, headers: mediaHeaders(info, params['fileName']) };
}

export async function thumbnail(services: Services, params: Readonly<Record<string, string>>, query: URLSearchParams, api: MediaApi): Promise<EndpointResponse> {
  const request = thumbnailRequest(query);
  const thumb = await services.media.thumbnail(params['serverName']!, params['mediaId']!, request, fetchPolicy(query, api));
  return { status: 200, body: thumb.bytes, headers: thumbnailHeaders(thumb) };
}

export function mediaConfig(services: Services): EndpointResponse {
  return { status: 200, body: { 'm.upload.size': services.media.maxUploadSize } };
}

/** width, height (positive integers), method (crop | scale, default scale as in Synapse) and animated. */
export function thumbnailRequest(query: URLSearchParams): ThumbnailRequest {
  const method = queryParam(query, 'method') ?? 'scale';
  if (method !== 'crop' && method !== 'scale') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'method must be crop or scale');
  const animated = booleanParam(query, 'animated');
  return { width: dimension(query, 'width'), height: dimension(query, 'height'), method, animated };
}

function dimension(query: URLSearchParams, name: string): number {
  const raw = queryParam(query, name);
  if (raw === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, `Missing ${name}`);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid ${name}`);
  return n;
}

function fetchPolicy(query: URLSearchParams, api: MediaApi): FetchPolicy {
  const allowRemote = api === 'legacy' ? (booleanParam(query, 'allow_remote') ?? true) : true;
  const raw = queryParam(query, 'timeout_ms');
  let waitMs = DEFAULT_TIMEOUT_MS;
  if (raw !== undefined) {
    if (!/^\d{1,15}$/.test(raw)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'timeout_ms must be a non-negative integer');
    waitMs = Math.min(Number(raw), MAX_TIMEOUT_MS);
  }
  return { allowRemote, waitMs };
}

function booleanParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = queryParam(query, name);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new MatrixError(400, ErrCode.INVALID_PARAM, `${name} must be true or false`);
}
