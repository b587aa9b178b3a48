import {
  DestinationUnreachableError,
  FederationBadResponseError,
  FederationResponseTooLargeError,
  FederationTimeoutError,
  type FederationFileClient,
  type FederationFileResponse,
} from '../federation/federation-client.js';
import { ErrCode, MatrixError, notFound } from '../errors.js';
import type { Logger } from '../logger.js';
import { MultipartError, MULTIPART_OVERHEAD_BYTES, parseMediaMultipart } from './multipart.js';
import { fileNameOf, remoteContentType } from './remote-headers.js';
import type { ThumbnailRequest } from './thumbnail-size.js';

/**
 * Fetching one file of another server, in Synapse's order: the authenticated federation endpoint
 * (Matrix 1.11, multipart/mixed, maybe a `Location` to follow), and when the remote does not know
 * that endpoint (404/405 with M_UNRECOGNIZED or without a Matrix body), the legacy media
 * endpoint with `allow_remote=false` (so the remote never fetches on our behalf, no loops), v3
 * then r0. Outcomes as Synapse answers them: the remote's 404 → 404 M_NOT_FOUND; bigger than
 * max_upload_size → 502 M_TOO_LARGE (the spec's downloadTooLarge); the remote's 504
 * M_NOT_YET_UPLOADED is passed on; anything else (unreachable, timed out, malformed) → 502.
 */

export interface FetchedFile {
  readonly contentType: string | null;
  readonly uploadName: string | null;
  readonly bytes: Uint8Array;
}

/** The spec's errcode for content that is not uploaded yet (504); not in ErrCode as only media uses it. */
export const NOT_YET_UPLOADED = 'M_NOT_YET_UPLOADED';

/**
 * The remote may itself wait up to timeout_ms for an upload before it answers; we give it that
 * plus this to get its answer to us.
 */
const RESPONSE_GRACE_MS = 5_000;
/** How long the body may take once it started (the agent's idle timeout also applies). */
const TRANSFER_ALLOWANCE_MS = 5 * 60_000;

interface Attempt {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly multipart: boolean;
}

export class RemoteMediaFetcher {
  constructor(
    private readonly client: FederationFileClient,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /** The media itself; `waitMs` is the client's timeout_ms (already bounded). */
  download(origin: string, mediaId: string, waitMs: number): Promise<FetchedFile> {
    const id = encodeURIComponent(mediaId);
    const server = encodeURIComponent(origin);
    const wait = String(waitMs);
    return this.fetch(origin, mediaId, waitMs, [
      { path: `/_matrix/federation/v1/media/download/${id}`, query: { timeout_ms: wait }, multipart: true },
      { path: `/_matrix/media/v3/download/${server}/${id}`, query: { allow_remote: 'false', timeout_ms: wait, allow_redirect: 'true' }, multipart: false },
      { path: `/_matrix/media/r0/download/${server}/${id}`, query: { allow_remote: 'false', timeout_ms: wait }, multipart: false },
    ]);
  }

  /** A thumbnail the remote makes (of the size given, already snapped). */
  thumbnail(origin: string, mediaId: string, request: ThumbnailRequest, waitMs: number): Promise<FetchedFile> {
    const id = encodeURIComponent(mediaId);
    const server = encodeURIComponent(origin);
    const size = { width: String(request.width), height: String(request.height), method: request.method };
    const wait = String(waitMs);
    return this.fetch(origin, mediaId, waitMs, [
      { path: `/_matrix/federation/v1/media/thumbnail/${id}`, query: { ...size, timeout_ms: wait }, multipart: true },
      { path: `/_matrix/media/v3/thumbnail/${server}/${id}`, query: { ...size, allow_remote: 'false', timeout_ms: wait, allow_redirect: 'true' }, multipart: false },
      { path: `/_matrix/media/r0/thumbnail/${server}/${id}`, query: { ...size, allow_remote: 'false', timeout_ms: wait }, multipart: false },
    ]);
  }

  private async fetch(origin: string, mediaId: string, waitMs: number, attempts: readonly Attempt[]): Promise<FetchedFile> {
    const headersTimeoutMs = waitMs + RESPONSE_GRACE_MS;
    const timing = { headersTimeoutMs, timeoutMs: headersTimeoutMs + TRANSFER_ALLOWANCE_MS };
    try {
      for (const [i, attempt] of attempts.entries()) {
        const maxBytes = attempt.multipart ? this.maxBytes + MULTIPART_OVERHEAD_BYTES : this.maxBytes;
        const response = await this.client.getFile(origin, { path: attempt.path, query: attempt.query, maxBytes, ...timing });
        if (i < attempts.length - 1 && isUnknownEndpoint(response)) {
          this.log.debug({ origin, mediaId, path: attempt.path, status: response.status }, 'remote media endpoint unknown, falling back');
          continue;
        }
        return await this.interpret(origin, attempt, response, timing);
      }
      throw new Error('unreachable: the last attempt always returns or throws');
    } catch (err) {
      throw this.failure(origin, mediaId, err);
    }
  }

  private async interpret(origin: string, attempt: Attempt, response: FederationFileResponse, timing: { headersTimeoutMs: number; timeoutMs: number }): Promise<FetchedFile> {
    if (response.status === 200 && attempt.multipart) {
      const { media } = parseMediaMultipart(response.headers['content-type'], response.body);
      if (media.kind === 'location') return this.followRedirect(origin, media.location, timing);
      return this.checked({ contentType: remoteContentType(media.contentType), uploadName: fileNameOf(media.contentDisposition), bytes: media.bytes });
    }
    if (response.status === 200) return this.checked(fromHeaders(response));
    const location = response.headers['location'];
    if (!attempt.multipart && (response.status === 307 || response.status === 308) && location !== undefined) {
      return this.followRedirect(origin, location, timing);
    }
    throw remoteError(response);
  }

  /** A `Location` answer: fetched once, unsigned, never cached as a URL (the spec says it may expire). */
  private async followRedirect(origin: string, location: string, timing: { headersTimeoutMs: number; timeoutMs: number }): Promise<FetchedFile> {
    const response = await this.client.getRedirect(origin, location, { maxBytes: this.maxBytes, ...timing });
    if (response.status !== 200) throw new MatrixError(502, ErrCode.UNKNOWN, `The remote server's redirect answered HTTP ${response.status}`);
    return this.checked(fromHeaders(response));
  }

  private checked(file: FetchedFile): FetchedFile {
    if (file.bytes.byteLength > this.maxBytes) throw tooLargeRemote(this.maxBytes);
    return file;
  }

  private failure(origin: string, mediaId: string, err: unknown): unknown {
    if (err instanceof MatrixError) return err;
    if (err instanceof FederationResponseTooLargeError) return tooLargeRemote(this.maxBytes);
    if (err instanceof DestinationUnreachableError || err instanceof FederationTimeoutError || err instanceof FederationBadResponseError || err instanceof MultipartError) {
      this.log.info({ origin, mediaId, err: err.message }, 'failed to fetch remote media');
      return new MatrixError(502, ErrCode.UNKNOWN, 'Failed to fetch remote media');
    }
    return err;
  }
}

function fromHeaders(response: FederationFileResponse): FetchedFile {
  return {
    contentType: remoteContentType(response.headers['content-type']),
    uploadName: fileNameOf(response.headers['content-disposition']),
    bytes: response.body,
  };
}

function tooLargeRemote(maxBytes: number): MatrixError {
  return new MatrixError(502, ErrCode.TOO_LARGE, `Remote media is larger than this server's limit of ${maxBytes} bytes`);
}

/** The Matrix error body of a non-2xx answer, if it has one. */
function errcodeOf(response: FederationFileResponse): string | undefined {
  const text = Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString('utf8').trimStart();
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const errcode = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['errcode'] : undefined;
    return typeof errcode === 'string' ? errcode : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A server without this endpoint (Matrix 1.6: 404 or 405 with M_UNRECOGNIZED; older ones with
 * an empty or non-JSON body). A 404 with any other Matrix error is a real answer.
 */
export function isUnknownEndpoint(response: FederationFileResponse): boolean {
  if (response.status !== 404 && response.status !== 405) return false;
  const text = Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString('utf8').trimStart();
  return !text.startsWith('{') || errcodeOf(response) === ErrCode.UNRECOGNIZED;
}

function remoteError(response: FederationFileResponse): MatrixError {
  const errcode = errcodeOf(response);
  if (response.status === 404) return notFound('Remote media not found');
  if (response.status === 504 && errcode === NOT_YET_UPLOADED) return new MatrixError(504, NOT_YET_UPLOADED, 'The remote media has not been uploaded yet');
  if (response.status === 502 && errcode === ErrCode.TOO_LARGE) return new MatrixError(502, ErrCode.TOO_LARGE, 'Remote media is too large');
  return new MatrixError(502, ErrCode.UNKNOWN, `Failed to fetch remote media (HTTP ${response.status})`);
}
