/**
 * The real homeserver with HTTP and CoAP on loopback for the Observe tests: SQLite in a temporary
 * data dir, ephemeral ports, generous rate limits, and (per test file) CoAP timing and Observe
 * bounds: FAST_TIMING makes a notification that is never acknowledged time out in about 2 s.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfigFile, resolveConfig } from '../../../src/config.js';
import { createHomeserver, type Homeserver, type HomeserverOptions } from '../../../src/homeserver.js';
import { TestClient, CS, registerUser, type Session } from '../../support/client.js';
import { GENEROUS_LIMITS } from '../../support/server.js';

export interface ObserveServer {
  readonly homeserver: Homeserver;
  readonly coapPort: number;
  readonly http: TestClient;
  register(localpart: string): Promise<Session>;
  createRoom(owner: Session, members?: readonly Session[]): Promise<string>;
  send(sender: Session, roomId: string, body: string | Record<string, unknown>): Promise<string>;
  /** The Observe registrations of the (only) CoAP listener. */
  observers(): number;
  stop(): Promise<void>;
}

/** Short enough that a never-acknowledged notification gives up in ~2 s (60 ms, then 4 retransmissions doubling). */
export const FAST_TIMING = { ackTimeoutMs: 60, ackRandomFactor: 1, maxRetransmit: 4 } as const;

/** For tests that expect every ACK to arrive in time, even on a loaded machine. */
export const CALM_TIMING = { ackTimeoutMs: 500, ackRandomFactor: 1.5, maxRetransmit: 4 } as const;

export async function startObserveServer(coap: HomeserverOptions['coap'] = { timing: CALM_TIMING }): Promise<ObserveServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-coap-observe-'));
  const config = resolveConfig(parseConfigFile({ ...GENEROUS_LIMITS }), { dataDir, http: ['127.0.0.1:0'], coap: ['127.0.0.1:0'] });
  const homeserver = createHomeserver(config, { logger: pino({ level: 'silent' }), ...(coap === undefined ? {} : { coap }) });
  const started = await homeserver.start();
  const http = new TestClient(`http://127.0.0.1:${started.http[0]!.port}`);
  let txn = 0;
  return {
    homeserver,
    coapPort: started.coap[0]!.port,
    http,
    register: (localpart) => registerUser(http, localpart, `pw-${localpart}-1`),
    async createRoom(owner, members = []) {
      const created = await http.post(`${CS}/createRoom`, { preset: 'private_chat', invite: members.map((m) => m.userId) }, { token: owner.accessToken });
      if (created.status !== 200) throw new Error(`createRoom: ${created.status} ${JSON.stringify(created.body)}`);
      const roomId = created.body.room_id as string;
      for (const member of members) {
        const joined = await http.post(`${CS}/join/${encodeURIComponent(roomId)}`, {}, { token: member.accessToken });
        if (joined.status !== 200) throw new Error(`join: ${joined.status}`);
      }
      return roomId;
    },
    async send(sender, roomId, body) {
      const content = typeof body === 'string' ? { msgtype: 'm.text', body } : body;
      const res = await http.put(`${CS}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${++txn}`, content, { token: sender.accessToken });
      if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.event_id as string;
    },
    observers: () => {
      let n = 0;
      // The listener's registry is reachable through the homeserver only as a count in its stats.
      for (const server of listeners(homeserver)) n += server.stats().observers;
      return n;
    },
    async stop() {
      await homeserver.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function listeners(homeserver: Homeserver): ReadonlyArray<{ stats(): { observers: number } }> {
  return homeserver.coapServers();
}
