// Room operations and sync helpers shared by the read-side tests (all through the HTTP API).
import { CS, type Session, type TestClient, type TestResponse } from '../support/client.js';

let txn = 0;

export function roomPath(roomId: string, rest = ''): string {
  return `${CS}/rooms/${encodeURIComponent(roomId)}${rest}`;
}

async function expectOk(res: Promise<TestResponse>, what: string): Promise<TestResponse> {
  const r = await res;
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export async function createRoom(client: TestClient, s: Session, body: Record<string, unknown> = {}): Promise<string> {
  const res = await expectOk(client.post(`${CS}/createRoom`, body, { token: s.accessToken }), 'createRoom');
  return res.body.room_id as string;
}

export async function invite(client: TestClient, s: Session, roomId: string, userId: string): Promise<void> {
  await expectOk(client.post(roomPath(roomId, '/invite'), { user_id: userId }, { token: s.accessToken }), 'invite');
}

export async function join(client: TestClient, s: Session, roomId: string): Promise<void> {
  await expectOk(client.post(`${CS}/join/${encodeURIComponent(roomId)}`, {}, { token: s.accessToken }), 'join');
}

export async function leave(client: TestClient, s: Session, roomId: string): Promise<void> {
  await expectOk(client.post(roomPath(roomId, '/leave'), {}, { token: s.accessToken }), 'leave');
}

export async function send(client: TestClient, s: Session, roomId: string, body: string, type = 'm.room.message', txnId?: string): Promise<string> {
  const id = txnId ?? `t${++txn}-${Date.now()}`;
  const res = await expectOk(
    client.put(roomPath(roomId, `/send/${encodeURIComponent(type)}/${id}`), { msgtype: 'm.text', body }, { token: s.accessToken }),
    'send',
  );
  return res.body.event_id as string;
}

export async function setState(client: TestClient, s: Session, roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<string> {
  const res = await expectOk(
    client.put(roomPath(roomId, `/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`), content, { token: s.accessToken }),
    'state',
  );
  return res.body.event_id as string;
}

export interface SyncOptions {
  readonly since?: string;
  readonly filter?: unknown;
  readonly timeout?: number;
  readonly fullState?: boolean;
  readonly setPresence?: 'online' | 'offline' | 'unavailable';
}

export async function sync(client: TestClient, s: Session, options: SyncOptions = {}): Promise<TestResponse> {
  const query: Record<string, string> = {};
  if (options.since !== undefined) query['since'] = options.since;
  if (options.filter !== undefined) query['filter'] = typeof options.filter === 'string' ? options.filter : JSON.stringify(options.filter);
  if (options.timeout !== undefined) query['timeout'] = String(options.timeout);
  if (options.fullState) query['full_state'] = 'true';
  if (options.setPresence) query['set_presence'] = options.setPresence;
  return expectOk(client.get(`${CS}/sync`, { token: s.accessToken, query }), 'sync');
}

export interface ClientEventShape {
  readonly event_id: string;
  readonly type: string;
  readonly sender: string;
  readonly state_key?: string;
  readonly content: Record<string, unknown>;
  readonly unsigned?: Record<string, unknown>;
}

/** The timeline events of a joined room in a sync response (empty if absent). */
export function timelineOf(body: { rooms?: { join?: Record<string, { timeline?: { events: ClientEventShape[] } }> } }, roomId: string): ClientEventShape[] {
  return body.rooms?.join?.[roomId]?.timeline?.events ?? [];
}

export function stateOf(body: { rooms?: { join?: Record<string, { state?: { events: ClientEventShape[] } }> } }, roomId: string): ClientEventShape[] {
  return body.rooms?.join?.[roomId]?.state?.events ?? [];
}

export function bodies(events: readonly ClientEventShape[]): string[] {
  return events.filter((e) => e.type === 'm.room.message').map((e) => String(e.content['body']));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
