import type { Storage } from '../../storage/storage.js';
import type { AccountDataService } from '../account-data.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RoomServices } from '../rooms/index.js';
import { ClientEventSerializer } from '../timeline/client-event.js';
import { NotificationsService } from './notifications.js';
import { PushActionRecorder } from './push-actions.js';
import { PushRulesService } from './push-rules.js';
import { PusherService } from './pushers.js';

/**
 * Push, wired: users' push rules, the notifications each accepted event produces for local
 * members (recorded in the event's transaction through the persister's hook), /notifications,
 * and pushers. Nothing is sent to push gateways yet.
 */
export interface PushServices {
  readonly rules: PushRulesService;
  readonly notifications: NotificationsService;
  readonly pushers: PusherService;
}

export interface PushServiceDeps {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly serverName: string;
  readonly rooms: RoomServices;
  readonly accountData: AccountDataService;
}

export function createPushServices({ storage, clock, log, serverName, rooms, accountData }: PushServiceDeps): PushServices {
  const rules = new PushRulesService(storage, accountData);
  const recorder = new PushActionRecorder(storage, rooms.state, rules, clock, log, serverName);
  rooms.persister.onTimelineEvent((event, version, streamOrdering) => recorder.record(event, version, streamOrdering));
  return {
    rules,
    notifications: new NotificationsService(storage, new ClientEventSerializer(storage, clock)),
    pushers: new PusherService(storage, clock),
  };
}
