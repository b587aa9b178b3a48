import type { JsonObject, JsonValue } from '../../core/json.js';
import type { Requester } from '../requester.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import { invalidParam, missingParam } from '../errors.js';

/**
 * Pushers (spec "Client behaviour": GET /pushers, POST /pushers/set), stored per user and tied to
 * the device that set them (deleting the device deletes them). Lattice does not send anything to
 * push gateways yet: pushers are kept and listed only.
 */

export interface SetPusherBody {
  readonly kind: string | null;
  readonly app_id: string;
  readonly pushkey: string;
  readonly app_display_name?: string;
  readonly device_display_name?: string;
  readonly profile_tag?: string;
  readonly lang?: string;
  readonly data?: JsonObject;
  readonly append?: boolean;
}

const MAX_PUSHKEY_BYTES = 512;
const MAX_APP_ID_LENGTH = 64;
const MAX_PUSHERS_PER_USER = 100;
const MAX_DATA_BYTES = 4096;
/** Kinds the spec defines; others are refused (Synapse accepts only those it can run too). */
const KINDS = new Set(['http', 'email']);

export class PusherService {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {}

  list(userId: string): JsonObject[] {
    return this.storage.pushers.ofUser(userId).map((p) => {
      const out: JsonObject = {
        pushkey: p.pushkey,
        kind: p.kind,
        app_id: p.appId,
        app_display_name: p.appDisplayName,
        device_display_name: p.deviceDisplayName,
        lang: p.lang,
        data: p.data,
      };
      if (p.profileTag !== null) out['profile_tag'] = p.profileTag;
      return out;
    });
  }

  set(requester: Requester, body: SetPusherBody): void {
    if (Buffer.byteLength(body.pushkey) > MAX_PUSHKEY_BYTES) throw invalidParam('pushkey is longer than 512 bytes');
    if (body.app_id.length > MAX_APP_ID_LENGTH) throw invalidParam('app_id is longer than 64 characters');
    const userId = requester.userId;
    if (body.kind === null) {
      this.storage.pushers.delete(userId, body.app_id, body.pushkey);
      return;
    }
    const missing = (['app_display_name', 'device_display_name', 'lang', 'data'] as const).filter((k) => body[k] === undefined);
    if (missing.length > 0) throw missingParam(`Missing parameters: ${missing.join(', ')}`);
    if (!KINDS.has(body.kind)) throw invalidParam(`Unknown pusher kind ${body.kind}`);
    const data = body.data!;
    if (body.kind === 'http') checkHttpData(data);
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_DATA_BYTES) throw invalidParam('data is too large');

    this.storage.transaction(() => {
      const existing = this.storage.pushers.ofUser(userId);
      const replacing = existing.some((p) => p.appId === body.app_id && p.pushkey === body.pushkey);
      if (!replacing && existing.length >= MAX_PUSHERS_PER_USER) throw invalidParam(`At most ${MAX_PUSHERS_PER_USER} pushers`);
      if (!body.append) this.storage.pushers.deleteForOtherUsers(body.app_id, body.pushkey, userId);
      this.storage.pushers.upsert({
        userId,
        appId: body.app_id,
        pushkey: body.pushkey,
        deviceId: requester.deviceId,
        kind: body.kind!,
        appDisplayName: body.app_display_name!,
        deviceDisplayName: body.device_display_name!,
        profileTag: body.profile_tag ?? null,
        lang: body.lang!,
        data,
        createdTs: this.clock.now(),
      });
    });
  }
}

/** An http pusher needs data.url: an absolute http(s) URL of a push gateway's notify endpoint (as Synapse checks). */
function checkHttpData(data: JsonObject): void {
  const url: JsonValue | undefined = data['url'];
  if (url === undefined) throw missingParam("'url' required in data for HTTP pushers");
  if (typeof url !== 'string') throw invalidParam("'url' must be a string");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam("'url' must be a valid URL");
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidParam("'url' must be an http(s) URL");
  if (parsed.pathname !== '/_matrix/push/v1/notify') throw invalidParam("'url' must have the path /_matrix/push/v1/notify");
}
