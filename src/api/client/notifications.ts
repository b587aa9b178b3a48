import { countParam } from './message_pagination.js';
import { endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

/** GET /notifications (spec "Listing Notifications"): from, limit, only=highlight. */

export const getNotifications = endpoint({
  id: 'getNotifications',
  method: 'GET',
  path: '/_matrix/client/v3/notifications',
  aliases: ['/_matrix/client/r0/notifications'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, query }) {
    return ok(
      services.push.notifications.list(requester.userId, requester.deviceId, {
        from: queryParam(query, 'from'),
        limit: countParam(queryParam(query, 'limit'), 'limit'),
        only: queryParam(query, 'only'),
      }),
    );
  },
});

export const notificationsEndpoints = [getNotifications];
