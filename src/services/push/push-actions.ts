import { parsePowerLevels, userPowerLevel } from '../../core/auth/index.js';
import type { JsonObject } from '../../core/json.js';
import { PushEvaluator } from '../../core/push-rules/evaluator.js';
import type { RoomEvent } from '../../core/events/room-event.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { PushRecipientOutcome } from '../../storage/push-actions-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { StateReader } from '../rooms/state-reader.js';
import type { PushRulesService } from './push-rules.js';

/**
 * Notifications for local users (spec "Server behaviour": push rules are processed for each
 * local user in the room, except the sender). Called inside the transaction that accepts an
 * event into a room's timeline, so the new count is in the same /sync as the event. Only local
 * joined members (and a local invitee, for .m.rule.invite_for_me) are evaluated; rulesets come
 * from the per-user cache and room facts are read once per event.
 */

/** Synapse's default when power levels do not name a notification level. */
const DEFAULT_NOTIFICATION_LEVEL = 50;
/** Compiled glob patterns kept across events; cleared when it grows past this. */
const PATTERN_CACHE_SIZE = 5_000;

export class PushActionRecorder {
  private readonly localSuffix: string;
  private readonly patterns = new Map<string, RegExp>();

  constructor(
    private readonly storage: Storage,
    private readonly state: StateReader,
    private readonly rules: PushRulesService,
    private readonly clock: Clock,
    private readonly log: Logger,
    serverName: string,
  ) {
    this.localSuffix = `:${serverName}`;
  }

  /**
   * Evaluates and records. Never throws: a notification is not worth losing the event over, so
   * a failure is logged and the event still commits.
   */
  record(event: RoomEvent, version: RoomVersion, streamOrdering: number): void {
    try {
      this.evaluate(event, version, streamOrdering);
    } catch (err) {
      this.log.error({ err, eventId: event.event_id }, 'push rule evaluation failed');
    }
  }

  private evaluate(event: RoomEvent, version: RoomVersion, streamOrdering: number): void {
    // Joins, leaves and profile changes notify nobody on the default rules (only invites do), so
    // only the few users with rules of their own are looked at: no read of the whole member list,
    // which for each join into a room of thousands would make filling it quadratic.
    const quietMembership = event.type === 'm.room.member' && event.content['membership'] !== 'invite';
    const joined = quietMembership ? undefined : this.storage.memberships.members(event.room_id, 'join');
    const candidates = joined
      ? joined.map((m) => m.userId)
      : [...this.rules.customisedUsers()].filter((u) => this.storage.memberships.current(event.room_id, u)?.membership === 'join');
    const recipients = candidates.filter((u) => u !== event.sender && u.endsWith(this.localSuffix));
    const invitee = event.type === 'm.room.member' && event.content['membership'] === 'invite' ? event.state_key : undefined;
    if (invitee !== undefined && invitee !== event.sender && invitee.endsWith(this.localSuffix) && !recipients.includes(invitee)) recipients.push(invitee);
    if (recipients.length === 0) return;

    const lookup = this.state.currentLookup(event.room_id);
    const powerLevels = lookup('m.room.power_levels', '');
    const parsed = powerLevels ? parsePowerLevels(version, powerLevels.content) : undefined;
    const notificationLevels = parsed && !('error' in parsed) ? parsed.notifications : undefined;
    if (this.patterns.size > PATTERN_CACHE_SIZE) this.patterns.clear();
    const evaluator = new PushEvaluator({
      event: clientView(event),
      roomMemberCount: joined ? joined.length : this.storage.memberships.count(event.room_id, 'join'),
      senderPowerLevel: userPowerLevel(version, event.sender, powerLevels, lookup('m.room.create', '')),
      notificationLevel: (key) => notificationLevels?.get(key) ?? DEFAULT_NOTIFICATION_LEVEL,
    }, this.patterns);

    const ts = this.clock.now();
    // Read once for the whole room, and only if a rule asks (events with m.mentions never do).
    let names: Map<string, string> | undefined;
    const notified: PushRecipientOutcome[] = [];
    for (const userId of recipients) {
      const outcome = evaluator.evaluate(this.rules.rulesetOf(userId), {
        userId,
        displayName: () => (names ??= this.storage.memberships.joinedDisplayNames(event.room_id)).get(userId),
      });
      if (outcome.notify) notified.push({ userId, actions: outcome.actions, highlight: outcome.highlight });
    }
    this.storage.pushActions.insertForEvent({ roomId: event.room_id, eventId: event.event_id, streamOrdering, ts }, notified);
  }
}

/** The event's fields push rules can name (the client format's top level). */
function clientView(event: RoomEvent): JsonObject {
  const view: JsonObject = {
    event_id: event.event_id,
    room_id: event.room_id,
    type: event.type,
    sender: event.sender,
    origin_server_ts: event.origin_server_ts,
    content: event.content,
  };
  if (event.state_key !== undefined) view['state_key'] = event.state_key;
  return view;
}
