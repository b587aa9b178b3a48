import type { JsonObject } from '../../../core/json.js';
import type { Logger } from '../../logger.js';
import type { PersistOutcome } from '../../rooms/event-persister.js';
import { serverOfUserId } from '../../user-ids.js';
import type { OutboundQueue } from '../outbound-queue.js';
import type { RoomServers } from './room-servers.js';

/**
 * Our events go to every other server in the room: each event a local user sends (accepted
 * into the DAG, after its commit) is queued for every server with a joined member, and for the
 * server of a member we kick or ban (they are no longer joined, but must hear of it). Events of
 * other servers are not sent on from here: the membership handshakes (send_join & co.) relay
 * theirs themselves.
 */
export class PduFanout {
  constructor(
    private readonly serverName: string,
    private readonly servers: RoomServers,
    private readonly queue: OutboundQueue,
    private readonly log: Logger,
  ) {}

  /** Listener for EventPersister.onAccepted; never throws (it runs in the rooms' commit path). */
  readonly onAccepted = (outcome: PersistOutcome): void => {
    try {
      const loaded = outcome.loaded;
      // Backfilled history (negative stream orderings) is old news to every server.
      if (outcome.status !== 'accepted' || !loaded || outcome.streamOrdering <= 0) return;
      if (serverOfUserId(loaded.event.sender) !== this.serverName) return;
      const destinations = new Set(this.servers.remote(outcome.roomId));
      const { event } = loaded;
      if (event.type === 'm.room.member' && event.state_key !== undefined) {
        const membership = event.content.membership;
        const target = serverOfUserId(event.state_key);
        if ((membership === 'leave' || membership === 'ban') && target !== undefined && target !== this.serverName) destinations.add(target);
      }
      if (destinations.size === 0) return;
      this.queue.enqueuePdu(destinations, stripUnsigned(loaded.pdu as JsonObject));
    } catch (err) {
      this.log.error({ err, eventId: outcome.eventId }, 'queueing an event for federation failed');
    }
  };
}

/** What other servers get: the PDU without `unsigned` (local bookkeeping, never signed). */
function stripUnsigned(pdu: JsonObject): JsonObject {
  if (!Object.hasOwn(pdu, 'unsigned')) return pdu;
  const { unsigned: _unsigned, ...rest } = pdu;
  return rest;
}
