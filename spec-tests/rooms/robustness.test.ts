// Hostile input to every room endpoint, inside a real room: never a 500, always a Matrix error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { banningEndpoints } from '../../src/api/client/banning.js';
import { createRoomEndpoints } from '../../src/api/client/create_room.js';
import { directoryEndpoints } from '../../src/api/client/directory.js';
import { invitingEndpoints } from '../../src/api/client/inviting.js';
import { joiningEndpoints } from '../../src/api/client/joining.js';
import { kickingEndpoints } from '../../src/api/client/kicking.js';
import { knockingEndpoints } from '../../src/api/client/knocking.js';
import { leavingEndpoints } from '../../src/api/client/leaving.js';
import { listJoinedRoomsEndpoints } from '../../src/api/client/list_joined_rooms.js';
import { listPublicRoomsEndpoints } from '../../src/api/client/list_public_rooms.js';
import { redactionEndpoints } from '../../src/api/client/redaction.js';
import { roomSendEndpoints } from '../../src/api/client/room_send.js';
import { roomStateEndpoints } from '../../src/api/client/room_state.js';
import { roomUpgradesEndpoints } from '../../src/api/client/room_upgrades.js';
import { roomsEndpoints } from '../../src/api/client/rooms.js';
import { routesOf } from '../../src/api/routes.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { enc, newUser, type RoomClient } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
let roomId: string;
let eventId: string;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
  roomId = await alice.createRoomOk({ room_version: '12', preset: 'public_chat' });
  eventId = await alice.sendOk(roomId, 'target');
});
afterAll(() => server.stop());

const roomEndpoints = [
  ...createRoomEndpoints,
  ...roomSendEndpoints,
  ...roomStateEndpoints,
  ...roomsEndpoints,
  ...joiningEndpoints,
  ...knockingEndpoints,
  ...leavingEndpoints,
  ...invitingEndpoints,
  ...kickingEndpoints,
  ...banningEndpoints,
  ...redactionEndpoints,
  ...listJoinedRoomsEndpoints,
  ...directoryEndpoints,
  ...listPublicRoomsEndpoints,
  ...roomUpgradesEndpoints,
];

const bodies: (string | undefined)[] = [
  undefined,
  'null',
  '[]',
  '{}',
  '{"user_id":7,"room_id":[],"visibility":"x","new_version":{},"limit":-1,"since":"o99999999"}',
  '{"initial_state":[{"type":"m.room.create","content":{}}],"power_level_content_override":{"users":"x"},"creation_content":{"additional_creators":"x"}}',
  '{"alias":7,"alt_aliases":"x","membership":"join","redacts":"$x","body":1e400}',
  '{"__proto__":{"admin":true}}',
  '{',
];

describe('room endpoints under hostile input', () => {
  it('answer with Matrix errors, never 500', async () => {
    let requests = 0;
    // Primary (spec) paths only: a success on an alias the spec does not list would fail the
    // OpenAPI check for a reason that is not robustness.
    for (const { method, template } of routesOf(roomEndpoints).filter((r) => r.template === r.endpoint.path)) {
      for (const other of ['x', '%00', '@alice:localhost', enc(eventId), enc('#a:localhost')]) {
        const path = template.replace('{roomId}', enc(roomId)).replace(/\{[^}]+\}/g, other);
        for (const raw of bodies) {
          const res = await server.client.request(method, path, {
            ...(raw !== undefined ? { raw } : {}),
            token: alice.session.accessToken,
            headers: { 'content-type': 'application/json' },
          });
          requests++;
          expect(res.status, `${method} ${path} ${raw}`).toBeLessThan(500);
          if (res.status >= 400) expect(typeof res.body.errcode, `${method} ${path} ${raw}`).toBe('string');
        }
      }
    }
    expect(requests).toBeGreaterThan(500);
    // The fuzzing may well have made Alice leave or upgrade the room; the server still serves.
    const fresh = await alice.createRoomOk({});
    expect((await alice.send(fresh, { msgtype: 'm.text', body: 'still fine' })).status).toBe(200);
  });
});
