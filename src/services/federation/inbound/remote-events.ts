import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import type { Logger } from '../../logger.js';
import { FederationRequestError, type FederationClient, type FederationRequest } from '../federation-client.js';
import type { FetchBudget } from './fetch-budget.js';

/**
 * The requests the inbound pipeline makes of other servers, each taking one unit of the
 * caller's budget and answering "nothing" on any failure (unreachable, timeout, error status,
 * malformed answer): whatever a peer does, the pipeline gets either well-shaped data or nothing.
 * The PDUs returned are untrusted JSON; the caller parses and verifies each.
 */

/** One PDU is at most 64 KiB; a few extra for the envelope. */
const SINGLE_EVENT_MAX_BYTES = 128 * 1024;
/** An auth chain or a batch of missing events. */
const EVENT_LIST_MAX_BYTES = 16 * 1024 * 1024;
/** Whole room states (large rooms run to tens of MB). */
const STATE_MAX_BYTES = 100 * 1024 * 1024;
/**
 * Events taken from one /event_auth answer. A real auth chain is the create event, the power
 * levels, join rules and membership histories: hundreds at most. A hostile peer answering with
 * tens of thousands would otherwise cost a signature check each, per PDU it sends.
 */
const MAX_AUTH_CHAIN_EVENTS = 2000;
/** IDs per list in /state_ids; a 100k-member room is still within it. */
const MAX_STATE_IDS = 200_000;

const enc = encodeURIComponent;
const FED = '/_matrix/federation/v1';

export interface RemoteStateIds {
  readonly pduIds: readonly string[];
  readonly authChainIds: readonly string[];
}

export interface RemoteState {
  readonly pdus: readonly JsonValue[];
  readonly authChain: readonly JsonValue[];
}

export class RemoteEvents {
  constructor(
    private readonly client: FederationClient,
    private readonly log: Logger,
  ) {}

  /** GET /event/{eventId}: the PDU, or undefined. */
  async event(origin: string, eventId: string, budget: FetchBudget): Promise<JsonValue | undefined> {
    const body = await this.request(origin, budget, { method: 'GET', path: `${FED}/event/${enc(eventId)}`, maxResponseBytes: SINGLE_EVENT_MAX_BYTES });
    const pdus = body?.['pdus'];
    return Array.isArray(pdus) && pdus.length >= 1 ? pdus[0] : undefined;
  }

  /** GET /event_auth/{roomId}/{eventId}: the event's auth chain. */
  async eventAuth(origin: string, roomId: string, eventId: string, budget: FetchBudget): Promise<JsonValue[]> {
    const body = await this.request(origin, budget, {
      method: 'GET',
      path: `${FED}/event_auth/${enc(roomId)}/${enc(eventId)}`,
      maxResponseBytes: EVENT_LIST_MAX_BYTES,
    });
    const chain = body?.['auth_chain'];
    return Array.isArray(chain) ? chain.slice(0, MAX_AUTH_CHAIN_EVENTS) : [];
  }

  /** POST /get_missing_events/{roomId}: events between `earliest` and `latest`, at most `limit`. */
  async missingEvents(
    origin: string,
    roomId: string,
    query: { earliest: readonly string[]; latest: readonly string[]; limit: number; minDepth: number },
    budget: FetchBudget,
  ): Promise<JsonValue[]> {
    const body = await this.request(origin, budget, {
      method: 'POST',
      path: `${FED}/get_missing_events/${enc(roomId)}`,
      body: { earliest_events: [...query.earliest], latest_events: [...query.latest], limit: query.limit, min_depth: query.minDepth },
      maxResponseBytes: EVENT_LIST_MAX_BYTES,
    });
    const events = body?.['events'];
    return Array.isArray(events) ? events : [];
  }

  /** GET /state_ids/{roomId}?event_id: the IDs of the state before the event and its auth chain. */
  async stateIds(origin: string, roomId: string, eventId: string, budget: FetchBudget): Promise<RemoteStateIds | undefined> {
    const body = await this.request(origin, budget, {
      method: 'GET',
      path: `${FED}/state_ids/${enc(roomId)}`,
      query: { event_id: eventId },
      maxResponseBytes: STATE_MAX_BYTES,
    });
    if (!body) return undefined;
    const pduIds = stringList(body['pdu_ids']);
    const authChainIds = stringList(body['auth_chain_ids']);
    if (!pduIds || !authChainIds) return undefined;
    return { pduIds, authChainIds };
  }

  /** GET /state/{roomId}?event_id: the state before the event and its auth chain, as PDUs. */
  async state(origin: string, roomId: string, eventId: string, budget: FetchBudget): Promise<RemoteState | undefined> {
    const body = await this.request(origin, budget, {
      method: 'GET',
      path: `${FED}/state/${enc(roomId)}`,
      query: { event_id: eventId },
      maxResponseBytes: STATE_MAX_BYTES,
    });
    if (!body) return undefined;
    const pdus = body['pdus'];
    const authChain = body['auth_chain'];
    if (!Array.isArray(pdus) || !Array.isArray(authChain)) return undefined;
    return { pdus, authChain };
  }

  private async request(origin: string, budget: FetchBudget, request: FederationRequest): Promise<JsonObject | undefined> {
    if (!budget.take()) {
      this.log.debug({ origin, path: request.path }, 'inbound fetch budget spent');
      return undefined;
    }
    try {
      const body = await this.client.request(origin, request);
      return isJsonObject(body) ? body : undefined;
    } catch (err) {
      if (!(err instanceof FederationRequestError)) this.log.warn({ err, origin, path: request.path }, 'inbound fetch failed');
      else this.log.debug({ err, origin, path: request.path }, 'inbound fetch failed');
      return undefined;
    }
  }
}

function stringList(value: JsonValue | undefined): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_STATE_IDS) return undefined;
  const out: string[] = [];
  for (const item of value) if (typeof item === 'string' && item.length <= 255) out.push(item);
  return out;
}
