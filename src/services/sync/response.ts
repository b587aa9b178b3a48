import type { JsonObject } from '../../core/json.js';
import type { MembershipAt } from '../../storage/room-reads-repo.js';
import type { SyncContext } from './context.js';
import { deviceListsSection } from './device-lists.js';
import { roomEphemeral, typingChanged } from './ephemeral.js';
import { BEFORE_ALL, buildRoomEntry, type RoomWindow } from './room-entry.js';
import { strippedRoomState } from './stripped-rooms.js';
import { toDeviceSection } from './to-device.js';
import { serializeSyncToken } from './token.js';
import { accountDataByRoom, accountDataEvents, presenceEvents } from './user-streams.js';

/**
 * One /sync response for a context (since → now), computed synchronously from the database and
 * the in-memory streams. An incremental sync reads only the windows (since, now] of each stream:
 * the user's membership changes, the rooms with new events or receipts in the window, typing
 * positions, account data and presence rows newer than the token. Nothing scans history.
 */

export interface SyncResult {
  readonly body: JsonObject;
  /** Nothing for the client: a long-poll keeps waiting. */
  readonly empty: boolean;
  /** The rooms a long-poll should wake for (the user's joined rooms). */
  readonly joinedRoomIds: readonly string[];
}

/**
 * Finding "rooms with new events (receipts)" costs a read of each row in the window, or one index
 * seek per joined room; a seek costs about as much as reading this many rows.
 */
const ROWS_PER_SEEK = 20;

export function computeSync(ctx: SyncContext): SyncResult {
  const { storage, lazyMembers } = ctx.deps;
  const { since, now, filter } = ctx;
  const incremental = since !== undefined && !ctx.fullState;
  if (!incremental) lazyMembers.reset(ctx.userId, ctx.deviceId);

  const memberships = storage.roomReads.membershipsOf(ctx.userId);
  const { ignored } = ctx;
  const joinedRoomIds = memberships.filter((m) => m.membership === 'join').map((m) => m.roomId);
  const accountData = accountDataByRoom(ctx);

  // What moved in the windows (incremental only).
  const changesByRoom = new Map<string, MembershipAt[]>();
  let eventRooms: Set<string> | undefined;
  let receiptRooms: Set<string> | undefined;
  if (since) {
    for (const change of storage.roomReads.membershipChanges(ctx.userId, since.events, now.events)) {
      let list = changesByRoom.get(change.roomId);
      if (!list) changesByRoom.set(change.roomId, (list = []));
      list.push(change);
    }
    const scanBudget = Math.max(200, joinedRoomIds.length * ROWS_PER_SEEK);
    if (now.events - since.events <= scanBudget) eventRooms = storage.timeline.roomsWithEventsBetween(since.events, now.events);
    if (now.receipts - since.receipts <= scanBudget) receiptRooms = storage.receipts.roomsChangedBetween(since.receipts, now.receipts);
  }
  /** The user's membership just before the window (undefined: none). */
  const membershipBefore = (roomId: string): string | undefined => {
    if (!since) return undefined;
    const history = storage.roomReads.membershipHistory(ctx.userId, roomId);
    return history.filter((m) => m.streamOrdering <= since.events).at(-1)?.membership;
  };

  // use_state_after names its section after the parameter's spelling (stable or MSC4222).
  const stateKey = ctx.stateAfter === 'stable' ? 'state_after' : ctx.stateAfter === 'unstable' ? 'org.matrix.msc4222.state_after' : 'state';
  const join: JsonObject = {};
  const invite: JsonObject = {};
  const knock: JsonObject = {};
  const leave: JsonObject = {};

  for (const m of memberships) {
    const roomId = m.roomId;
    if (!filter.room.matchesRoom(roomId)) continue;
    const changes = changesByRoom.get(roomId);
    const roomAccountData = filter.room.accountData.matchesRoom(roomId)
      ? accountDataEvents(accountData.get(roomId), filter.room.accountData, ctx.userId)
      : [];

    switch (m.membership) {
      case 'join': {
        // Newly joined (or left and came back) within the window: the client knows nothing yet.
        const rejoined = changes !== undefined && (changes.some((c) => c.membership !== 'join') || membershipBefore(roomId) !== 'join');
        const kind = !incremental || rejoined ? 'full' : 'incremental';
        if (kind === 'incremental') {
          const quiet =
            !(eventRooms?.has(roomId) ?? true) && !(receiptRooms?.has(roomId) ?? true) && !typingChanged(ctx, roomId) && roomAccountData.length === 0;
          if (quiet) continue;
        }
        // A room new to the client shows its latest events; otherwise (full_state included,
        // whose timeline "is still limited by since") the events after `since`.
        const window: RoomWindow = {
          roomId,
          kind,
          from: !since || rejoined ? BEFORE_ALL : since.events,
          to: now.events,
          joinedThroughout: kind === 'incremental',
        };
        const entry = buildRoomEntry(ctx, window, true);
        const ephemeral = roomEphemeral(ctx, roomId, kind, receiptRooms?.has(roomId) ?? true);
        if (kind === 'incremental' && !entry.hasEvents && ephemeral.length === 0 && roomAccountData.length === 0) continue;
        const body: JsonObject = {
          timeline: entry.timeline,
          [stateKey]: { events: entry.state },
          ephemeral: { events: ephemeral },
          account_data: { events: roomAccountData },
        };
        if (entry.summary) body['summary'] = entry.summary;
        // Notifying events after the user's read receipt; a moved receipt brings the room back
        // (its m.receipt), and with it the new counts.
        if (filter.room.unreadNotifications) {
          const unread = storage.pushActions.unreadCounts(ctx.userId, roomId);
          body['unread_notifications'] = { notification_count: unread.notifications, highlight_count: unread.highlights };
        }
        join[roomId] = body;
        if (filter.room.state.lazyLoadMembers && entry.membersSent.size > 0) {
          lazyMembers.record(ctx.userId, ctx.deviceId, roomId, entry.membersSent, now.events);
        }
        break;
      }
      case 'invite':
      case 'knock': {
        if (incremental && m.streamOrdering <= since!.events) continue;
        // An invite from someone the user ignores is not shown (spec "Ignoring Users").
        if (m.membership === 'invite' && ignored.size > 0 && ignored.has(storage.timeline.getStateEvents([m.eventId]).get(m.eventId)?.sender ?? '')) continue;
        const key = m.membership === 'invite' ? 'invite_room_state' : 'knock_room_state';
        const events = strippedRoomState(ctx, roomId, m.eventId, key);
        if (m.membership === 'invite') invite[roomId] = { invite_state: { events } };
        else knock[roomId] = { knock_state: { events } };
        break;
      }
      case 'leave':
      case 'ban': {
        const newlyLeft = since !== undefined && m.streamOrdering > since.events;
        if (!(newlyLeft || (!incremental && filter.room.includeLeave))) continue;
        if (storage.memberships.isForgotten(ctx.userId, roomId)) continue;
        // Joined up to the leave: the client has the room up to `since` and needs the rest.
        const wasJoined = incremental && newlyLeft && membershipBefore(roomId) === 'join';
        // The timeline: what happened after `since` up to the leave (a rejected invite: the
        // leave alone; the invite went out in the invite section).
        const window: RoomWindow = {
          roomId,
          kind: wasJoined ? 'incremental' : 'full',
          from: newlyLeft ? since.events : BEFORE_ALL,
          to: m.streamOrdering,
          joinedThroughout: false,
        };
        const entry = buildRoomEntry(ctx, window, false);
        leave[roomId] = { timeline: withOwnLeave(ctx, entry.timeline, m.eventId), [stateKey]: { events: entry.state }, account_data: { events: roomAccountData } };
        break;
      }
    }
  }

  const toDevice = toDeviceSection(ctx);
  const body: JsonObject = { next_batch: serializeSyncToken({ ...now, toDevice: toDevice.position }) };
  const rooms: JsonObject = {};
  if (Object.keys(join).length > 0) rooms['join'] = join;
  if (Object.keys(invite).length > 0) rooms['invite'] = invite;
  if (Object.keys(knock).length > 0) rooms['knock'] = knock;
  if (Object.keys(leave).length > 0) rooms['leave'] = leave;
  if (Object.keys(rooms).length > 0) body['rooms'] = rooms;

  const globalData = accountDataEvents(accountData.get(''), filter.accountData, ctx.userId);
  if (globalData.length > 0) body['account_data'] = { events: globalData };
  const presence = presenceEvents(ctx, joinedRoomIds);
  if (presence.length > 0) body['presence'] = { events: presence };
  if (toDevice.events.length > 0) body['to_device'] = { events: toDevice.events };
  const e2ee = deviceListsSection(ctx, joinedRoomIds);
  if (e2ee.deviceLists) body['device_lists'] = e2ee.deviceLists;
  if (e2ee.oneTimeKeysCount) body['device_one_time_keys_count'] = e2ee.oneTimeKeysCount;
  if (e2ee.unusedFallbackKeyTypes) body['device_unused_fallback_key_types'] = e2ee.unusedFallbackKeyTypes;

  // Key counts ride along on every response but are not news: they never end a long-poll.
  const empty =
    body['rooms'] === undefined && globalData.length === 0 && presence.length === 0 && toDevice.events.length === 0 && !e2ee.deviceLists;
  return { body, empty, joinedRoomIds };
}

/**
 * The leave (or ban) that put the room in the section, at the end of its timeline when the
 * window did not bring it: a rejected invite to a room we are not in is an event outside the
 * room's timeline here (no server of ours is in the room), yet clients take the new membership
 * from it — without it matrix-js-sdk would keep showing the invite. Synapse sends it the same way.
 */
function withOwnLeave(ctx: SyncContext, timeline: JsonObject, eventId: string): JsonObject {
  const { storage } = ctx.deps;
  // A timeline event is the window's business (its filter included); only an outlier is added.
  if (storage.timeline.get(eventId)) return timeline;
  const own = storage.timeline.getStateEvents([eventId]).get(eventId);
  if (!own) return timeline;
  const events = Array.isArray(timeline['events']) ? timeline['events'] : [];
  const options = { viewer: { userId: ctx.userId, deviceId: ctx.deviceId }, format: ctx.filter.eventFormat, eventFields: ctx.filter.eventFields, omitRoomId: true };
  return { ...timeline, events: [...events, ...ctx.deps.serializer.serialize([own], options)] };
}
