import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import type { PresenceService } from '../ephemeral/presence.js';
import type { ReceiptsService } from '../ephemeral/receipts.js';
import type { TypingService } from '../ephemeral/typing.js';
import type { Logger } from '../logger.js';
import type { RoomServices } from '../rooms/index.js';
import type { ToDeviceService } from '../to-device.js';
import type { InboundDeviceLists } from '../e2e/remote-device-lists.js';
import type { FederationServices } from './federation-services.js';
import { AuthFetcher } from './inbound/fetch-auth.js';
import { PrevFetcher } from './inbound/fetch-prev.js';
import { OutlierHandler } from './inbound/handle-outlier-pdu.js';
import { InboundPduPipeline } from './inbound/pipeline.js';
import { RemoteEvents } from './inbound/remote-events.js';
import { ServerAclChecker } from './inbound/server-acl.js';
import { StateAtIncoming } from './inbound/state-at-incoming.js';
import { TransactionHandler } from './inbound/transaction-handler.js';
import { TimelineWriter } from './inbound/upgrade-outlier-pdu.js';
import { PduVerifier } from './inbound/verify-pdu.js';
import { EduFanout } from './outbound/edu-fanout.js';
import { PduFanout } from './outbound/pdu-fanout.js';
import { RoomServers } from './outbound/room-servers.js';
import { FederationBackfill } from './reads/backfill.js';
import { FederationEventReads } from './reads/event-reads.js';
import { FederationMissingEvents } from './reads/missing-events.js';
import { RoomGate } from './reads/room-gate.js';

/**
 * Room events over federation, both ways: the inbound PDU pipeline and /send transactions
 * (inbound/), our events and EDUs queued for the other servers in each room (outbound/), and
 * the read endpoints other servers use to catch up (reads/). Built after the rooms and the
 * ephemeral services, whose hooks it subscribes to.
 */
export interface FederationEventServices {
  /** PUT /send/{txnId}. */
  readonly transactions: TransactionHandler;
  /** One PDU at a time (`handleIncomingPdu`), for callers outside /send. */
  readonly pipeline: InboundPduPipeline;
  /** Signature and hash checks of a PDU (redacts on a hash mismatch). */
  readonly verifier: PduVerifier;
  readonly reads: FederationEventReads;
  readonly backfill: FederationBackfill;
  readonly missingEvents: FederationMissingEvents;
  /** m.room.server_acl as applied to servers. */
  readonly acl: ServerAclChecker;
  /** Servers with joined members per room (cached). */
  readonly roomServers: RoomServers;
}

export interface FederationEventDeps {
  readonly serverName: string;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly rooms: RoomServices;
  readonly federation: FederationServices;
  readonly typing: TypingService;
  readonly receipts: ReceiptsService;
  readonly presence: PresenceService;
  readonly toDevice: ToDeviceService;
  readonly deviceLists: InboundDeviceLists;
}

export function createFederationEventServices(deps: FederationEventDeps): FederationEventServices {
  const { serverName, storage, clock, log, rooms, federation } = deps;
  const acl = new ServerAclChecker(storage, rooms);
  const roomServers = new RoomServers(storage, serverName);

  const remote = new RemoteEvents(federation.client, log);
  const verifier = new PduVerifier(federation.keyRing, log);
  const outliers = new OutlierHandler(storage, rooms, verifier, log);
  const auths = new AuthFetcher(storage, remote, outliers);
  const prevs = new PrevFetcher(storage, rooms, remote, verifier, log);
  const writer = new TimelineWriter(storage, rooms, prevs, auths);
  const stateAt = new StateAtIncoming(storage, rooms, remote, outliers, verifier, auths, writer, log);
  const pipeline = new InboundPduPipeline(storage, rooms, verifier, auths, prevs, stateAt, writer, log);
  const eduContext = (origin: string) => ({
    origin,
    serverName,
    storage,
    clock,
    log,
    acl,
    typing: deps.typing,
    receipts: deps.receipts,
    presence: deps.presence,
    toDevice: deps.toDevice,
    deviceLists: deps.deviceLists,
  });
  const transactions = new TransactionHandler(serverName, storage, rooms, roomServers, pipeline, acl, eduContext, clock, log);

  const pduFanout = new PduFanout(serverName, roomServers, federation.outboundQueue, log);
  rooms.persister.onAccepted(pduFanout.onAccepted);
  const eduFanout = new EduFanout(serverName, storage, roomServers, federation.outboundQueue, deps.presence, log);
  deps.typing.onLocalChange(eduFanout.onTyping);
  deps.receipts.onLocalReceipt(eduFanout.onReceipt);
  deps.presence.onLocalChange(eduFanout.onPresence);

  const gate = new RoomGate(acl, roomServers);
  return {
    transactions,
    pipeline,
    verifier,
    reads: new FederationEventReads(serverName, storage, rooms, gate, clock),
    backfill: new FederationBackfill(serverName, storage, rooms, gate, clock),
    missingEvents: new FederationMissingEvents(storage, rooms, gate),
    acl,
    roomServers,
  };
}
