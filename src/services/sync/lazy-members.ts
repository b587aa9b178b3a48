/**
 * For lazy-loaded members (filter `lazy_load_members` without `include_redundant_members`):
 * which member events each device has already been sent, per room, so they are not sent again.
 * Like Synapse's cache it lives in memory (after a restart members are sent once more, which is
 * merely redundant). Each entry remembers the events position of the response that carried it,
 * and counts as known only to a sync whose `since` is at or past that position: a client that
 * retries an older token (it lost the response) gets the members again.
 */

const MAX_DEVICES = 10_000;

interface Sent {
  readonly eventId: string;
  readonly at: number;
}

export class LazyMemberCache {
  private readonly devices = new Map<string, Map<string, Map<string, Sent>>>();

  /** Forget a device's entries: an initial or full-state sync starts over. */
  reset(userId: string, deviceId: string): void {
    this.devices.delete(deviceKey(userId, deviceId));
  }

  /** Whether the device already holds exactly this member event for the room. */
  has(userId: string, deviceId: string, roomId: string, memberId: string, eventId: string, since: number): boolean {
    const sent = this.devices.get(deviceKey(userId, deviceId))?.get(roomId)?.get(memberId);
    return sent !== undefined && sent.eventId === eventId && sent.at <= since;
  }

  /** Records member events a response (at events position `at`) carried. */
  record(userId: string, deviceId: string, roomId: string, members: Iterable<[memberId: string, eventId: string]>, at: number): void {
    const key = deviceKey(userId, deviceId);
    let rooms = this.devices.get(key);
    if (rooms) {
      // Most recently used last, so the oldest device is the first key.
      this.devices.delete(key);
    } else {
      rooms = new Map();
      if (this.devices.size >= MAX_DEVICES) {
        const oldest = this.devices.keys().next().value;
        if (oldest !== undefined) this.devices.delete(oldest);
      }
    }
    this.devices.set(key, rooms);
    let room = rooms.get(roomId);
    if (!room) rooms.set(roomId, (room = new Map()));
    for (const [memberId, eventId] of members) room.set(memberId, { eventId, at });
  }
}

function deviceKey(userId: string, deviceId: string): string {
  return `${userId}\n${deviceId}`;
}
