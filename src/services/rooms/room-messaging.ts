import { canonicalJson } from '../../core/canonical-json.js';
import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import { badJson, forbidden, notFound } from '../errors.js';
import type { Requester } from '../requester.js';
import type { EventCreator } from './event-creator.js';
import type { EventLoader } from './event-loader.js';
import { powerView } from './power.js';
import type { RoomAccess } from './room-access.js';
import type { RoomAliases } from './room-aliases.js';
import type { StateReader } from './state-reader.js';

/**
 * What members write into rooms: message events (room_send.yaml), state events
 * (room_state.yaml) and redactions (redaction.yaml). Sends and redactions are idempotent per
 * device and transaction ID: the txn_ids row is written in the event's own transaction, so a
 * retried request finds it and gets the same event ID back. Transaction IDs are scoped by
 * endpoint and room (as Synapse scopes them by request path), so a client reusing one for
 * another room or type creates another event.
 */
export class RoomMessaging {
  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly state: StateReader,
    private readonly creator: EventCreator,
    private readonly access: RoomAccess,
    private readonly aliases: RoomAliases,
  ) {}

  /**
   * PUT /rooms/{roomId}/send/{eventType}/{txnId}. The send hot path: no state is loaded whole,
   * and concurrent sends share a commit (EventCreator.submit).
   */
  async send(requester: Requester, roomId: string, type: string, txnId: string, content: JsonObject): Promise<string> {
    const key = `send/${roomId}/${type}/${txnId}`;
    const existing = this.storage.txns.get(requester.userId, requester.deviceId, key);
    if (existing !== undefined) return existing;
    if (type === 'm.room.redaction') {
      // v11 moved `redacts` into content, so a redaction can be sent like a message; treat it as one.
      if (typeof content.redacts !== 'string') throw badJson('m.room.redaction needs content.redacts');
      return this.redactWithKey(requester, roomId, content.redacts, txnId, key, content);
    }
    // Checked up front: the auth rules would refuse it too, but only after building the event.
    this.access.requireJoined(roomId, requester.userId);
    const created = await this.creator.submit({
      template: { type, sender: requester.userId, content, room_id: roomId },
      deviceId: requester.deviceId,
      txnId,
      txnKey: { userId: requester.userId, deviceId: requester.deviceId, key },
    });
    return created.eventId;
  }

  /**
   * PUT /rooms/{roomId}/state/{eventType}/{stateKey}. Setting a state key to the content it
   * already has (same sender) returns the existing event instead of sending a duplicate.
   */
  putState(requester: Requester, roomId: string, type: string, stateKey: string, content: JsonObject): string {
    if (type !== 'm.room.member') this.access.requireJoined(roomId, requester.userId);
    if (type === 'm.room.canonical_alias' && stateKey === '') this.aliases.validateCanonicalAlias(roomId, content);

    const currentId = this.storage.state.current(roomId, type, stateKey);
    const current = currentId === undefined ? undefined : this.events.roomEvent(currentId);
    if (current && current.sender === requester.userId && sameContent(current.content, content)) {
      return current.event_id;
    }
    return this.creator.create({
      template: { type, state_key: stateKey, sender: requester.userId, content, room_id: roomId },
      deviceId: requester.deviceId,
    }).eventId;
  }

  /** PUT /rooms/{roomId}/redact/{eventId}/{txnId}. */
  redact(requester: Requester, roomId: string, eventId: string, txnId: string, reason: string | undefined): string {
    const key = `redact/${roomId}/${eventId}/${txnId}`;
    const existing = this.storage.txns.get(requester.userId, requester.deviceId, key);
    if (existing !== undefined) return existing;
    return this.redactWithKey(requester, roomId, eventId, txnId, key, reason === undefined ? {} : { reason });
  }

  /**
   * After an alias is deleted: drop it from the room's m.room.canonical_alias, if it is there
   * and the user may change that event (the deletion itself stands either way, as the spec
   * recommends).
   */
  removeFromCanonicalAlias(requester: Requester, roomId: string, alias: string): void {
    const currentId = this.storage.state.current(roomId, 'm.room.canonical_alias', '');
    const content = currentId === undefined ? undefined : this.events.roomEvent(currentId)?.content;
    if (!content) return;
    const alt = Array.isArray(content.alt_aliases) ? content.alt_aliases : [];
    if (content.alias !== alias && !alt.includes(alias)) return;
    const next: JsonObject = { ...content };
    if (next.alias === alias) delete next.alias;
    if (Array.isArray(next.alt_aliases)) next.alt_aliases = alt.filter((a) => a !== alias);
    try {
      this.creator.create({
        template: { type: 'm.room.canonical_alias', state_key: '', sender: requester.userId, content: next, room_id: roomId },
        deviceId: requester.deviceId,
      });
    } catch {
      // Not allowed to update it: the alias is gone regardless.
    }
  }

  private redactWithKey(requester: Requester, roomId: string, eventId: string, txnId: string, key: string, content: JsonObject): string {
    this.access.requireJoined(roomId, requester.userId);
    const target = this.events.load(eventId);
    if (!target || target.event.room_id !== roomId) throw notFound('Event not found');
    if (target.event.sender !== requester.userId) {
      const version = this.events.versionOf(roomId)!;
      const power = powerView(version, this.state.currentLookup(roomId));
      if (power.userLevel(requester.userId) < power.level('redact')) throw forbidden("You may not redact other users' events");
    }
    const { redacts: _redacts, ...rest } = content;
    return this.creator.create({
      template: { type: 'm.room.redaction', sender: requester.userId, content: rest, room_id: roomId, redacts: eventId },
      deviceId: requester.deviceId,
      txnId,
      txnKey: { userId: requester.userId, deviceId: requester.deviceId, key },
    }).eventId;
  }
}

/** Equal as canonical JSON; content that is not valid JSON (Infinity) equals nothing. */
function sameContent(a: JsonObject, b: JsonObject): boolean {
  try {
    return canonicalJson(a, { strict: false }) === canonicalJson(b, { strict: false });
  } catch {
    return false;
  }
}
