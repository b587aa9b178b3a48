import type { JsonObject } from '../../core/json.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';
import type { Storage } from '../../storage/storage.js';
import { invalidParam } from '../errors.js';
import type { ClientEventSerializer } from '../timeline/client-event.js';

/**
 * GET /notifications (spec "Listing Notifications"): the events the user's push rules notified
 * them of, newest first, paged by stream position (`next_token` is the position of the last
 * one returned), each marked read when the user's read receipt in its room is at or past it.
 */

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

export interface NotificationsQuery {
  readonly from?: string | undefined;
  readonly limit?: number | undefined;
  readonly only?: string | undefined;
}

export class NotificationsService {
  constructor(
    private readonly storage: Storage,
    private readonly serializer: ClientEventSerializer,
  ) {}

  list(userId: string, deviceId: string, query: NotificationsQuery): JsonObject {
    const before = query.from === undefined ? Number.MAX_SAFE_INTEGER : parseToken(query.from);
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const rows = this.storage.pushActions.list(userId, before, limit, query.only === 'highlight');
    const events = this.storage.timeline.getMany(rows.map((r) => r.eventId));
    const notifications: JsonObject[] = [];
    for (const row of rows) {
      const event: TimelineEvent | undefined = events.get(row.eventId);
      if (!event) continue;
      const [serialized] = this.serializer.serialize([event], { viewer: { userId, deviceId }, omitRoomId: true });
      if (!serialized) continue;
      notifications.push({ actions: row.actions, event: serialized, read: row.read, room_id: row.roomId, ts: row.ts });
    }
    const body: JsonObject = { notifications };
    const last = rows.at(-1);
    if (rows.length === limit && last) body['next_token'] = String(last.streamOrdering);
    return body;
  }
}

function parseToken(from: string): number {
  if (!/^-?[0-9]{1,16}$/.test(from)) throw invalidParam('Invalid from token');
  return Number(from);
}
