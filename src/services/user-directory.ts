import type { JsonObject } from '../core/json.js';
import type { Storage } from '../storage/storage.js';
import type { Requester } from './requester.js';

/**
 * POST /user_directory/search. Searches what Synapse searches by default
 * (`user_directory.search_all_users: false`): users sharing a room with the searcher and users
 * in public or world-readable rooms. `searchAllUsers` adds every local account (Synapse's option).
 */

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;

export class UserDirectoryService {
  constructor(
    private readonly storage: Storage,
    private readonly searchAllUsers = false,
  ) {}

  search(requester: Requester, searchTerm: string, limit: number | undefined): JsonObject {
    const wanted = Math.min(Math.max(limit ?? DEFAULT_LIMIT, 0), MAX_LIMIT);
    const term = searchTerm.trim();
    if (wanted === 0 || term.length === 0) return { results: [], limited: false };
    const found = this.storage.userDirectory.search(requester.userId, term, wanted + 1, this.searchAllUsers);
    const results = found.slice(0, wanted).map((u) => {
      const out: JsonObject = { user_id: u.userId };
      if (u.displayName !== null) out['display_name'] = u.displayName;
      if (u.avatarUrl !== null) out['avatar_url'] = u.avatarUrl;
      return out;
    });
    return { results, limited: found.length > wanted };
  }
}
