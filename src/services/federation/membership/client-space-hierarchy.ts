import { randomBytes } from 'node:crypto';
import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import { isValidServerName } from '../../../core/server-name.js';
import { forbidden, invalidParam } from '../../errors.js';
import type { MembershipContext } from './context.js';
import type { RoomPreview } from './room-preview.js';
import type { SpaceHierarchy } from './space-hierarchy.js';

/**
 * GET /_matrix/client/v1/rooms/{roomId}/hierarchy: the space tree below a space the user can
 * see, depth first, children in the spec's order (`order`, then the m.space.child event's
 * origin_server_ts, then room ID). Rooms we hold the state of are described from it; a child we
 * know nothing of is asked of the servers its m.space.child event names (`via`) with the
 * federation /hierarchy endpoint. A room is listed when the user could see or join it: joined or
 * invited, world-readable, public or knockable, or restricted to a room the user is in.
 *
 * Pagination keeps the walk's remaining stack in memory under a random token (expiring, and
 * bounded in number), so a later page neither repeats rooms nor asks remote servers again.
 */

export interface HierarchyRequest {
  readonly userId: string;
  readonly roomId: string;
  readonly suggestedOnly: boolean;
  readonly maxDepth: number | undefined;
  readonly limit: number | undefined;
  readonly from: string | undefined;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
const DEFAULT_MAX_DEPTH = 10;
const MAX_MAX_DEPTH = 50;
/** Rooms examined per request at most, listed or not (a space of a thousand inaccessible rooms). */
const MAX_VISITS_PER_PAGE = 500;
/** Remote servers asked per unknown room, and remote requests per page. */
const VIA_PER_ROOM = 3;
const REMOTE_REQUESTS_PER_PAGE = 20;
const SESSION_TTL_MS = 5 * 60_000;
const MAX_SESSIONS = 1000;

interface Pending {
  readonly roomId: string;
  readonly depth: number;
  readonly via: readonly string[];
}

interface Session {
  readonly userId: string;
  readonly roomId: string;
  readonly suggestedOnly: boolean;
  readonly maxDepth: number;
  readonly stack: Pending[];
  readonly visited: Set<string>;
  expiresAt: number;
}

export class ClientSpaceHierarchy {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly ctx: MembershipContext,
    private readonly local: SpaceHierarchy,
    private readonly preview: RoomPreview,
  ) {}

  async walk(request: HierarchyRequest): Promise<JsonObject> {
    const limit = Math.min(request.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    if (limit < 1) throw invalidParam('limit must be greater than zero');
    if (request.maxDepth !== undefined && request.maxDepth < 0) throw invalidParam('max_depth must not be negative');
    const session = request.from === undefined ? this.start(request) : this.resume(request);

    const rooms: JsonObject[] = [];
    const budget = { remote: REMOTE_REQUESTS_PER_PAGE, visits: MAX_VISITS_PER_PAGE };
    while (session.stack.length > 0 && rooms.length < limit && budget.visits-- > 0) {
      const next = session.stack.pop()!;
      if (session.visited.has(next.roomId)) continue;
      session.visited.add(next.roomId);
      const entry = this.local.known(next.roomId)
        ? this.localEntry(request.userId, next.roomId, session.suggestedOnly)
        : await this.remoteEntry(request.userId, next, session.suggestedOnly, budget);
      if (!entry) continue;
      rooms.push(entry);
      if (next.depth < session.maxDepth) {
        const children = orderedChildren(entry['children_state']);
        // Reversed onto the stack, so the first child is walked first.
        for (const child of children.reverse()) {
          if (!session.visited.has(child.roomId)) session.stack.push({ roomId: child.roomId, depth: next.depth + 1, via: child.via });
        }
      }
    }

    const body: JsonObject = { rooms };
    if (session.stack.some((p) => !session.visited.has(p.roomId))) body['next_batch'] = this.save(session);
    return body;
  }

  private start(request: HierarchyRequest): Session {
    if (!this.local.known(request.roomId) || !this.preview.userMayView(request.userId, request.roomId)) {
      throw forbidden('You are not allowed to view this room.');
    }
    return {
      userId: request.userId,
      roomId: request.roomId,
      suggestedOnly: request.suggestedOnly,
      maxDepth: Math.min(request.maxDepth ?? DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH),
      stack: [{ roomId: request.roomId, depth: 0, via: [] }],
      visited: new Set(),
      expiresAt: 0,
    };
  }

  private resume(request: HierarchyRequest): Session {
    const now = this.ctx.clock.now();
    const session = this.sessions.get(request.from!);
    if (!session || session.expiresAt < now || session.userId !== request.userId || session.roomId !== request.roomId) {
      throw invalidParam('Unknown or expired pagination token');
    }
    if (session.suggestedOnly !== request.suggestedOnly || (request.maxDepth !== undefined && Math.min(request.maxDepth, MAX_MAX_DEPTH) !== session.maxDepth)) {
      throw invalidParam('suggested_only and max_depth cannot change on paginated requests');
    }
    this.sessions.delete(request.from!);
    return session;
  }

  private save(session: Session): string {
    const now = this.ctx.clock.now();
    for (const [token, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(token);
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    session.expiresAt = now + SESSION_TTL_MS;
    const token = randomBytes(12).toString('base64url');
    this.sessions.set(token, session);
    return token;
  }

  private localEntry(userId: string, roomId: string, suggestedOnly: boolean): JsonObject | undefined {
    if (!this.preview.userMayView(userId, roomId)) return undefined;
    return { ...this.local.summary(roomId), children_state: this.local.childEvents(roomId, suggestedOnly) };
  }

  /** A room we do not hold, as one of the `via` servers describes it. */
  private async remoteEntry(userId: string, pending: Pending, suggestedOnly: boolean, budget: { remote: number }): Promise<JsonObject | undefined> {
    const servers = pending.via.filter((s) => s !== this.ctx.serverName && isValidServerName(s)).slice(0, VIA_PER_ROOM);
    for (const server of servers) {
      if (budget.remote-- <= 0) return undefined;
      const room = await this.preview.askServer(server, pending.roomId, suggestedOnly);
      if (!room) continue;
      const entry = room.entry;
      if (!this.preview.remoteMayView(userId, entry)) return undefined;
      const children = Array.isArray(entry['children_state']) ? entry['children_state'] : [];
      return {
        ...entry,
        children_state: children.filter((c) => isJsonObject(c) && typeof c['state_key'] === 'string' && !room.inaccessibleChildren.has(c['state_key'])),
      };
    }
    return undefined;
  }
}

interface Child {
  readonly roomId: string;
  readonly via: string[];
  readonly order: string | undefined;
  readonly ts: number;
}

/**
 * The children in the spec's order: those with a valid `order` (printable ASCII, ≤ 50 chars)
 * first, by it; then by the m.space.child event's origin_server_ts; then by room ID.
 */
function orderedChildren(childrenState: JsonValue | undefined): Child[] {
  if (!Array.isArray(childrenState)) return [];
  const children: Child[] = [];
  for (const event of childrenState) {
    if (!isJsonObject(event) || typeof event['state_key'] !== 'string' || !isJsonObject(event['content'])) continue;
    const via = event['content']['via'];
    if (!Array.isArray(via) || via.length === 0) continue;
    const order = event['content']['order'];
    children.push({
      roomId: event['state_key'],
      via: via.filter((s): s is string => typeof s === 'string'),
      order: typeof order === 'string' && order.length <= 50 && /^[\x20-\x7e]*$/.test(order) ? order : undefined,
      ts: typeof event['origin_server_ts'] === 'number' ? event['origin_server_ts'] : 0,
    });
  }
  return children.sort((a, b) => {
    if (a.order !== undefined && b.order === undefined) return -1;
    if (a.order === undefined && b.order !== undefined) return 1;
    if (a.order !== undefined && b.order !== undefined && a.order !== b.order) return a.order < b.order ? -1 : 1;
    if (a.ts !== b.ts) return a.ts - b.ts;
    return a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0;
  });
}
