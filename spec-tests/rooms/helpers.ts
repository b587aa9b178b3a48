import { expect } from 'vitest';
import { CS, registerUser, type Session, type TestClient, type TestResponse } from '../support/client.js';

/** Small wrappers for the room tests: every call goes through the spec-validating TestClient. */

export const enc = encodeURIComponent;

let txnCounter = 0;
export function nextTxn(): string {
  txnCounter++;
  return `t${Date.now()}-${txnCounter}`;
}

export class RoomClient {
  constructor(
    readonly client: TestClient,
    readonly session: Session,
  ) {}

  get userId(): string {
    return this.session.userId;
  }

  private auth() {
    return { token: this.session.accessToken };
  }

  createRoom(body: Record<string, unknown> = {}): Promise<TestResponse> {
    return this.client.post(`${CS}/createRoom`, body, this.auth());
  }

  async createRoomOk(body: Record<string, unknown> = {}): Promise<string> {
    const res = await this.createRoom(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.room_id as string;
  }

  send(roomId: string, content: Record<string, unknown>, type = 'm.room.message', txnId = nextTxn()): Promise<TestResponse> {
    return this.client.put(`${CS}/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`, content, this.auth());
  }

  async sendOk(roomId: string, body: string): Promise<string> {
    const res = await this.send(roomId, { msgtype: 'm.text', body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.event_id as string;
  }

  putState(roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<TestResponse> {
    return this.client.put(`${CS}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, content, this.auth());
  }

  getState(roomId: string, type: string, stateKey = '', query?: Record<string, string>): Promise<TestResponse> {
    return this.client.get(`${CS}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { ...this.auth(), ...(query ? { query } : {}) });
  }

  allState(roomId: string): Promise<TestResponse> {
    return this.client.get(`${CS}/rooms/${enc(roomId)}/state`, this.auth());
  }

  event(roomId: string, eventId: string): Promise<TestResponse> {
    return this.client.get(`${CS}/rooms/${enc(roomId)}/event/${enc(eventId)}`, this.auth());
  }

  members(roomId: string, query?: Record<string, string>): Promise<TestResponse> {
    return this.client.get(`${CS}/rooms/${enc(roomId)}/members`, { ...this.auth(), ...(query ? { query } : {}) });
  }

  joinedMembers(roomId: string): Promise<TestResponse> {
    return this.client.get(`${CS}/rooms/${enc(roomId)}/joined_members`, this.auth());
  }

  joinedRooms(): Promise<TestResponse> {
    return this.client.get(`${CS}/joined_rooms`, this.auth());
  }

  join(roomIdOrAlias: string, body: Record<string, unknown> = {}): Promise<TestResponse> {
    return this.client.post(`${CS}/join/${enc(roomIdOrAlias)}`, body, this.auth());
  }

  joinById(roomId: string): Promise<TestResponse> {
    return this.client.post(`${CS}/rooms/${enc(roomId)}/join`, {}, this.auth());
  }

  leave(roomId: string, reason?: string): Promise<TestResponse> {
    return this.client.post(`${CS}/rooms/${enc(roomId)}/leave`, reason === undefined ? {} : { reason }, this.auth());
  }

  forget(roomId: string): Promise<TestResponse> {
    return this.client.post(`${CS}/rooms/${enc(roomId)}/forget`, {}, this.auth());
  }

  invite(roomId: string, userId: string): Promise<TestResponse> {
    return this.client.post(`${CS}/rooms/${enc(roomId)}/invite`, { user_id: userId }, this.auth());
  }

  kick(roomId: string, userId: string, reason?: string): Promise<TestResponse> {
    return this.client.post(`${CS}/rooms/${enc(roomId)}/kick`, { user_id: userId, ...(reason ? { reason } : {}) }, this.auth());
  }

  ban(roomId: string, userId: string, reason?: string): Promise<TestResponse> {
    return this.client.post(`${CS}/rooms/${enc(roomId)}/ban`, { user_id: userId, ...(reason ? { reason } : {}) }, this.auth());
  }

  unban(roomId: string, userId: string): Promise<TestResponse> {
    return this.client.post(`${CS}/rooms/${enc(roomId)}/unban`, { user_id: userId }, this.auth());
  }

  knock(roomIdOrAlias: string, reason?: string): Promise<TestResponse> {
    return this.client.post(`${CS}/knock/${enc(roomIdOrAlias)}`, reason === undefined ? {} : { reason }, this.auth());
  }

  redact(roomId: string, eventId: string, reason?: string, txnId = nextTxn()): Promise<TestResponse> {
    return this.client.put(`${CS}/rooms/${enc(roomId)}/redact/${enc(eventId)}/${enc(txnId)}`, reason ? { reason } : {}, this.auth());
  }

  request(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, json?: unknown): Promise<TestResponse> {
    return this.client.request(method, path, { ...this.auth(), ...(json === undefined ? {} : { json }) });
  }
}

export async function newUser(client: TestClient, name: string): Promise<RoomClient> {
  return new RoomClient(client, await registerUser(client, name, 'password'));
}

export function expectError(res: TestResponse, status: number, errcode: string): void {
  expect({ status: res.status, errcode: res.body?.errcode }, JSON.stringify(res.body)).toEqual({ status, errcode });
}
