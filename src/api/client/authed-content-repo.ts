import { endpoint } from '../define.js';
import { download, mediaConfig, thumbnail } from './media-common.js';

/**
 * Authenticated media (client-server authed-content-repo.yaml, Matrix 1.11): the downloads of
 * content-repo.ts behind an access token. URL previews are not offered.
 */

// With or without a file name to serve the content under: one endpoint (see content-repo.ts).
export const getContentAuthed = endpoint({
  id: 'getContentAuthed',
  method: 'GET',
  path: '/_matrix/client/v1/media/download/{serverName}/{mediaId}',
  aliases: ['/_matrix/client/v1/media/download/{serverName}/{mediaId}/{fileName}'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, params, query }) {
    return download(services, params, query, 'authenticated');
  },
});

export const getContentThumbnailAuthed = endpoint({
  id: 'getContentThumbnailAuthed',
  method: 'GET',
  path: '/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}',
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, params, query }) {
    return thumbnail(services, params, query, 'authenticated');
  },
});

export const getConfigAuthed = endpoint({
  id: 'getConfigAuthed',
  method: 'GET',
  path: '/_matrix/client/v1/media/config',
  auth: 'user',
  rateLimit: 'none',
  async handler({ services }) {
    return mediaConfig(services);
  },
});

export const authedContentRepoEndpoints = [getContentAuthed, getContentThumbnailAuthed, getConfigAuthed];
