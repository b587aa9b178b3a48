import { notFound } from '../../services/errors.js';
import { endpoint } from '../define.js';

/**
 * Authenticated federation media (server-server content_repository.yaml). Lattice has no media
 * repository yet, so no media ID is ours to serve: 404 M_NOT_FOUND, which is what the spec says
 * for unknown media. The media work replaces these handlers.
 */

export const getContent = endpoint({
  id: 'getContent',
  method: 'GET',
  path: '/_matrix/federation/v1/media/download/{mediaId}',
  auth: 'server',
  rateLimit: 'general',
  async handler() {
    throw notFound('Media not found');
  },
});

export const getContentThumbnail = endpoint({
  id: 'getContentThumbnail',
  method: 'GET',
  path: '/_matrix/federation/v1/media/thumbnail/{mediaId}',
  auth: 'server',
  rateLimit: 'general',
  async handler() {
    throw notFound('Media not found');
  },
});

export const mediaEndpoints = [getContent, getContentThumbnail];
