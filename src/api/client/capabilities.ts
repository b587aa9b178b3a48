import { DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS } from '../../core/room-versions.js';
import type { JsonObject } from '../../core/json.js';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

export const getCapabilities = endpoint({
  id: 'getCapabilities',
  method: 'GET',
  path: '/_matrix/client/v3/capabilities',
  aliases: ['/_matrix/client/r0/capabilities'],
  auth: 'user',
  rateLimit: 'general',
  async handler() {
    const available: JsonObject = {};
    for (const v of SUPPORTED_ROOM_VERSIONS) available[v] = 'stable';
    return ok({
      capabilities: {
        'm.change_password': { enabled: true },
        'm.room_versions': { default: DEFAULT_ROOM_VERSION, available },
        'm.set_displayname': { enabled: true },
        'm.set_avatar_url': { enabled: true },
        'm.3pid_changes': { enabled: false },
        'm.get_login_token': { enabled: false },
        'm.profile_fields': { enabled: true },
      },
    });
  },
});

export const capabilitiesEndpoints = [getCapabilities];
