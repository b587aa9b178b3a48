import { queryParam, endpoint } from '../define.js';
import { ok } from '../endpoint.js';
import { download, mediaConfig, thumbnail } from './media-common.js';

/**
 * The content repository (client-server content-repo.yaml): upload, and the legacy
 * unauthenticated downloads under /_matrix/media/v3 (the authenticated ones are in
 * authed-content-repo.ts). Remote media is fetched over federation and cached unless the request
 * says `allow_remote=false` (what servers send us, so a fetch never bounces between servers).
 */

export const uploadContent = endpoint({
  id: 'uploadContent',
  method: 'POST',
  path: '/_matrix/media/v3/upload',
  aliases: ['/_matrix/media/r0/upload'],
  auth: 'user',
  rateLimit: 'general',
  rawBody: true,
  async handler({ services, requester, body, query, contentType }) {
    const contentUri = await services.media.upload(requester.userId, body, contentType, queryParam(query, 'filename'));
    return ok({ content_uri: contentUri });
  },
});

// The spec's two download operations (with and without a file name to serve the content
// under) are one endpoint: the file name, when the path has it, is only a header.
export const getContent = endpoint({
  id: 'getContent',
  method: 'GET',
  path: '/_matrix/media/v3/download/{serverName}/{mediaId}',
  aliases: [
    '/_matrix/media/r0/download/{serverName}/{mediaId}',
    '/_matrix/media/v3/download/{serverName}/{mediaId}/{fileName}',
    '/_matrix/media/r0/download/{serverName}/{mediaId}/{fileName}',
  ],
  auth: 'none',
  rateLimit: 'none',
  async handler({ services, params, query }) {
    return download(services, params, query, 'legacy');
  },
});

export const getContentThumbnail = endpoint({
  id: 'getContentThumbnail',
  method: 'GET',
  path: '/_matrix/media/v3/thumbnail/{serverName}/{mediaId}',
  aliases: ['/_matrix/media/r0/thumbnail/{serverName}/{mediaId}'],
  auth: 'none',
  rateLimit: 'none',
  async handler({ services, params, query }) {
    return thumbnail(services, params, query, 'legacy');
  },
});

export const getConfig = endpoint({
  id: 'getConfig',
  method: 'GET',
  path: '/_matrix/media/v3/config',
  aliases: ['/_matrix/media/r0/config'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services }) {
    return mediaConfig(services);
  },
});

export const contentRepoEndpoints = [uploadContent, getContent, getContentThumbnail, getConfig];
