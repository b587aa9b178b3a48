import { canonicalJson } from '../core/canonical-json.js';
import { isJsonObject, type JsonObject } from '../core/json.js';
import type { Storage } from '../storage/storage.js';
import { badJson, forbidden, notFound } from './errors.js';
import type { Requester } from './requester.js';

/** Sync filters (POST/GET /user/{userId}/filter): stored per user, referenced by id in /sync. */

/** Filters are small; this bounds what one user can make us store per filter. */
const MAX_FILTER_BYTES = 65_536;

export class FilterService {
  constructor(private readonly storage: Storage) {}

  define(requester: Requester, userId: string, filter: JsonObject): string {
    if (requester.userId !== userId) throw forbidden('Cannot create filters for other users');
    let text: string;
    try {
      text = canonicalJson(filter, { strict: false });
    } catch {
      throw badJson('Filter contains values that are not valid in canonical JSON');
    }
    if (Buffer.byteLength(text) > MAX_FILTER_BYTES) throw badJson('Filter is too large');
    return String(this.storage.filters.add(userId, text));
  }

  get(requester: Requester, userId: string, filterId: string): JsonObject {
    if (requester.userId !== userId) throw forbidden('Cannot read filters of other users');
    const found = this.find(userId, filterId);
    if (!found) throw notFound('No such filter');
    return found;
  }

  /** For /sync's `filter` parameter: a stored filter of this user, or undefined. */
  find(userId: string, filterId: string): JsonObject | undefined {
    if (!/^\d{1,15}$/.test(filterId)) return undefined;
    const text = this.storage.filters.get(userId, Number(filterId));
    if (text === undefined) return undefined;
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : undefined;
  }
}
