// Server-side key backups (key_backup.yaml) on one server, through real HTTP: backup versions
// (create, current, by version, update, delete), room keys at the three path levels, the spec's
// rule for which key a backup keeps, writes to a version that is not current, count and etag,
// deletes, isolation between users, and bad requests. Every JSON response is checked against the
// spec's OpenAPI schema by the TestClient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, registerUser, type Session, type TestClient, type TestResponse } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery staple';
const MEGOLM_BACKUP = 'm.megolm_backup.v1.curve25519-aes-sha2';

let server: TestServer;
let client: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  client = server.client;
});

afterAll(async () => {
  await server?.stop();
});

let userCounter = 0;
async function newUser(name = 'user'): Promise<Session> {
  return registerUser(client, `${name}${++userCounter}`, PASSWORD);
}

interface KeyData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: { ephemeral: string; ciphertext: string; mac: string };
}

/** Key data whose ciphertext names it, so a read shows which upload the backup kept. */
function keyData(name: string, firstMessageIndex = 0, forwardedCount = 0, isVerified = false): KeyData {
  return {
    first_message_index: firstMessageIndex,
    forwarded_count: forwardedCount,
    is_verified: isVerified,
    session_data: { ephemeral: 'ephemeral+key', ciphertext: name, mac: 'mac+of+' + name },
  };
}

function authData(publicKey = 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo'): Record<string, unknown> {
  return { public_key: publicKey, signatures: {} };
}

const roomPath = (roomId: string): string => `${CS}/room_keys/keys/${encodeURIComponent(roomId)}`;
const sessionPath = (roomId: string, sessionId: string): string => `${roomPath(roomId)}/${encodeURIComponent(sessionId)}`;

async function createVersion(s: Session, auth: Record<string, unknown> = authData()): Promise<string> {
  const res = await client.post(`${CS}/room_keys/version`, { algorithm: MEGOLM_BACKUP, auth_data: auth }, { token: s.accessToken });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.version as string;
}

function put(s: Session, path: string, version: string, body: unknown): Promise<TestResponse> {
  return client.put(path, body, { token: s.accessToken, query: { version } });
}

function get(s: Session, path: string, version?: string): Promise<TestResponse> {
  return client.get(path, { token: s.accessToken, ...(version === undefined ? {} : { query: { version } }) });
}

function del(s: Session, path: string, version?: string): Promise<TestResponse> {
  return client.delete(path, undefined, { token: s.accessToken, ...(version === undefined ? {} : { query: { version } }) });
}

async function putOk(s: Session, path: string, version: string, body: unknown): Promise<{ etag: string; count: number }> {
  const res = await put(s, path, version, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function versionInfo(s: Session, version: string): Promise<{ count: number; etag: string; auth_data: unknown; algorithm: string }> {
  const res = await get(s, `${CS}/room_keys/version/${version}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

describe('backup versions', () => {
  it('has no current version until one is created', async () => {
    const alice = await newUser();
    const res = await get(alice, `${CS}/room_keys/version`);
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe('M_NOT_FOUND');
  });

  it('creates versions; the newest is current and older ones stay readable', async () => {
    const alice = await newUser();
    const v1 = await createVersion(alice, authData('key-one'));
    const current = await get(alice, `${CS}/room_keys/version`);
    expect(current.status).toBe(200);
    expect(current.body).toEqual({ algorithm: MEGOLM_BACKUP, auth_data: authData('key-one'), count: 0, etag: current.body.etag, version: v1 });
    expect(typeof current.body.etag).toBe('string');

    const v2 = await createVersion(alice, authData('key-two'));
    expect(v2).not.toBe(v1);
    expect((await get(alice, `${CS}/room_keys/version`)).body).toMatchObject({ version: v2, auth_data: authData('key-two') });
    expect(await versionInfo(alice, v1)).toMatchObject({ version: v1, auth_data: authData('key-one') });
    // The r0 spelling serves the same answer.
    expect((await get(alice, `/_matrix/client/r0/room_keys/version/${v1}`)).body).toMatchObject({ version: v1 });
  });

  it('answers 404 for versions that do not exist', async () => {
    const alice = await newUser();
    await createVersion(alice);
    for (const version of ['99', 'abc', '01', '0']) {
      const res = await get(alice, `${CS}/room_keys/version/${version}`);
      expect(res.status, version).toBe(404);
      expect(res.body.errcode).toBe('M_NOT_FOUND');
    }
  });

  it('updates auth_data only, with the same algorithm and a matching version', async () => {
    const alice = await newUser();
    const v = await createVersion(alice, authData('old'));
    const path = `${CS}/room_keys/version/${v}`;

    const updated = await client.put(path, { algorithm: MEGOLM_BACKUP, auth_data: authData('new'), version: v }, { token: alice.accessToken });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body).toEqual({});
    expect((await versionInfo(alice, v)).auth_data).toEqual(authData('new'));

    // Without `version` in the body is fine too.
    expect((await client.put(path, { algorithm: MEGOLM_BACKUP, auth_data: authData('newer') }, { token: alice.accessToken })).status).toBe(200);
    expect((await versionInfo(alice, v)).auth_data).toEqual(authData('newer'));

    const otherAlgorithm = await client.put(path, { algorithm: 'org.example.other', auth_data: authData('x') }, { token: alice.accessToken });
    expect(otherAlgorithm.status).toBe(400);
    expect(otherAlgorithm.body.errcode).toBe('M_INVALID_PARAM');
    const otherVersion = await client.put(path, { algorithm: MEGOLM_BACKUP, auth_data: authData('x'), version: '12345' }, { token: alice.accessToken });
    expect(otherVersion.status).toBe(400);
    expect(otherVersion.body.errcode).toBe('M_INVALID_PARAM');
    expect((await versionInfo(alice, v)).auth_data).toEqual(authData('newer'));

    const unknown = await client.put(`${CS}/room_keys/version/999`, { algorithm: MEGOLM_BACKUP, auth_data: authData() }, { token: alice.accessToken });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
  });

  it('deletes a version and its keys; deleting it again succeeds; its number is not reused', async () => {
    const alice = await newUser();
    const v1 = await createVersion(alice);
    const v2 = await createVersion(alice);
    await putOk(alice, sessionPath('!r:localhost', 's1'), v2, keyData('k'));

    const deleted = await del(alice, `${CS}/room_keys/version/${v2}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({});
    expect((await get(alice, `${CS}/room_keys/version/${v2}`)).status).toBe(404);
    const keys = await get(alice, `${CS}/room_keys/keys`, v2);
    expect(keys.status).toBe(404);
    expect(keys.body.errcode).toBe('M_NOT_FOUND');
    // The previous version is current again.
    expect((await get(alice, `${CS}/room_keys/version`)).body.version).toBe(v1);

    expect((await del(alice, `${CS}/room_keys/version/${v2}`)).status).toBe(200);
    const unknown = await del(alice, `${CS}/room_keys/version/424242`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');

    const v3 = await createVersion(alice);
    expect([v1, v2]).not.toContain(v3);
    expect((await versionInfo(alice, v3)).count).toBe(0);

    await del(alice, `${CS}/room_keys/version/${v1}`);
    await del(alice, `${CS}/room_keys/version/${v3}`);
    expect((await get(alice, `${CS}/room_keys/version`)).status).toBe(404);
  });

  it('stores a backup of another algorithm with its auth_data as given', async () => {
    const alice = await newUser();
    const res = await client.post(
      `${CS}/room_keys/version`,
      { algorithm: 'org.matrix.msc3270.v1.aes-hmac-sha2', auth_data: { iv: 'abc', mac: 'def' } },
      { token: alice.accessToken },
    );
    expect(res.status).toBe(200);
    expect(await putOk(alice, sessionPath('!r:localhost', 's'), res.body.version, keyData('k'))).toMatchObject({ count: 1 });
  });
});

describe('room keys', () => {
  it('stores keys for several rooms and sessions at the three path levels and reads them back', async () => {
    const alice = await newUser();
    const v = await createVersion(alice);
    const [roomA, roomB, roomC] = ['!a:localhost', '!b:localhost', '!c:example.org'];

    const all = await putOk(alice, `${CS}/room_keys/keys`, v, {
      rooms: { [roomA]: { sessions: { a1: keyData('a1'), a2: keyData('a2', 3, 1, true) } }, [roomB]: { sessions: { b1: keyData('b1') } } },
    });
    expect(all.count).toBe(3);
    const room = await putOk(alice, roomPath(roomB), v, { sessions: { b2: keyData('b2'), b3: keyData('b3') } });
    expect(room.count).toBe(5);
    const one = await putOk(alice, sessionPath(roomC, 'c/1+x='), v, keyData('c1'));
    expect(one.count).toBe(6);

    const everything = await get(alice, `${CS}/room_keys/keys`, v);
    expect(everything.status).toBe(200);
    expect(everything.body).toEqual({
      rooms: {
        [roomA]: { sessions: { a1: keyData('a1'), a2: keyData('a2', 3, 1, true) } },
        [roomB]: { sessions: { b1: keyData('b1'), b2: keyData('b2'), b3: keyData('b3') } },
        [roomC]: { sessions: { 'c/1+x=': keyData('c1') } },
      },
    });
    expect((await get(alice, roomPath(roomA), v)).body).toEqual({ sessions: { a1: keyData('a1'), a2: keyData('a2', 3, 1, true) } });
    expect((await get(alice, sessionPath(roomC, 'c/1+x='), v)).body).toEqual(keyData('c1'));
    expect((await get(alice, `/_matrix/client/r0/room_keys/keys/${encodeURIComponent(roomA)}/a1`, v)).body).toEqual(keyData('a1'));
  });

  it('answers empty rooms and sessions, and 404 for a session it does not hold', async () => {
    const alice = await newUser();
    const v = await createVersion(alice);
    expect((await get(alice, `${CS}/room_keys/keys`, v)).body).toEqual({ rooms: {} });
    expect((await get(alice, roomPath('!none:localhost'), v)).body).toEqual({ sessions: {} });
    const missing = await get(alice, sessionPath('!none:localhost', 'nope'), v);
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe('M_NOT_FOUND');
  });

  // [stored, uploaded, kept]: the spec's order is is_verified, then first_message_index, then forwarded_count.
  const cases: [string, KeyData, KeyData, 'stored' | 'uploaded'][] = [
    ['a verified key replaces an unverified one, even starting later', keyData('stored', 0, 0, false), keyData('uploaded', 10, 5, true), 'uploaded'],
    ['an unverified key does not replace a verified one, even starting earlier', keyData('stored', 10, 5, true), keyData('uploaded', 0, 0, false), 'stored'],
    ['a lower first_message_index wins between equally verified keys', keyData('stored', 5, 0, false), keyData('uploaded', 2, 3, false), 'uploaded'],
    ['a higher first_message_index loses, whatever its forwarded_count', keyData('stored', 2, 3, true), keyData('uploaded', 5, 0, true), 'stored'],
    ['a lower forwarded_count wins when the rest is equal', keyData('stored', 4, 2, false), keyData('uploaded', 4, 1, false), 'uploaded'],
    ['a higher forwarded_count loses when the rest is equal', keyData('stored', 4, 1, true), keyData('uploaded', 4, 2, true), 'stored'],
    ['a key with equal metadata does not replace the stored one', keyData('stored', 4, 1, false), keyData('uploaded', 4, 1, false), 'stored'],
  ];
  it.each(cases)('%s', async (_name, stored, uploaded, kept) => {
    const alice = await newUser();
    const v = await createVersion(alice);
    const path = sessionPath('!room:localhost', 'session');
    const first = await putOk(alice, path, v, stored);
    const second = await putOk(alice, path, v, uploaded);
    expect(second.count).toBe(1);
    expect((await get(alice, path, v)).body).toEqual(kept === 'stored' ? stored : uploaded);
    // The etag moves exactly when the stored key changed.
    if (kept === 'stored') expect(second.etag).toBe(first.etag);
    else expect(second.etag).not.toBe(first.etag);
  });

  it('applies the rule within one upload across rooms, keeping the better key of each session', async () => {
    const alice = await newUser();
    const v = await createVersion(alice);
    await putOk(alice, `${CS}/room_keys/keys`, v, {
      rooms: { '!x:localhost': { sessions: { s: keyData('x-old', 3) } }, '!y:localhost': { sessions: { s: keyData('y-old', 3) } } },
    });
    const res = await putOk(alice, `${CS}/room_keys/keys`, v, {
      rooms: { '!x:localhost': { sessions: { s: keyData('x-new', 1) } }, '!y:localhost': { sessions: { s: keyData('y-new', 7) } } },
    });
    expect(res.count).toBe(2);
    const body = (await get(alice, `${CS}/room_keys/keys`, v)).body;
    expect(body.rooms['!x:localhost'].sessions.s).toEqual(keyData('x-new', 1));
    expect(body.rooms['!y:localhost'].sessions.s).toEqual(keyData('y-old', 3));
  });
});

describe('writing to a version that is not current', () => {
  it('answers M_WRONG_ROOM_KEYS_VERSION with the current version at every level', async () => {
    const alice = await newUser();
    const v1 = await createVersion(alice);
    await putOk(alice, sessionPath('!r:localhost', 'kept'), v1, keyData('kept'));
    const v2 = await createVersion(alice);

    const attempts = [
      put(alice, `${CS}/room_keys/keys`, v1, { rooms: { '!r:localhost': { sessions: { s: keyData('k') } } } }),
      put(alice, roomPath('!r:localhost'), v1, { sessions: { s: keyData('k') } }),
      put(alice, sessionPath('!r:localhost', 's'), v1, keyData('k')),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.body.errcode).toBe('M_WRONG_ROOM_KEYS_VERSION');
      expect(res.body.current_version).toBe(v2);
    }
    // Nothing was written; the old version still reads.
    expect((await get(alice, roomPath('!r:localhost'), v1)).body).toEqual({ sessions: { kept: keyData('kept') } });

    // Once the newer version is deleted, the older one is current and a client writing to the deleted one is sent there.
    await del(alice, `${CS}/room_keys/version/${v2}`);
    const stale = await put(alice, sessionPath('!r:localhost', 's'), v2, keyData('k'));
    expect(stale.status).toBe(403);
    expect(stale.body.current_version).toBe(v1);
    expect((await putOk(alice, sessionPath('!r:localhost', 's'), v1, keyData('k'))).count).toBe(2);
  });

  it('answers 404 for a version that never existed, or when there is no backup', async () => {
    const alice = await newUser();
    const none = await put(alice, `${CS}/room_keys/keys`, '1', { rooms: {} });
    expect(none.status).toBe(404);
    expect(none.body.errcode).toBe('M_NOT_FOUND');
    await createVersion(alice);
    const unknown = await put(alice, roomPath('!r:localhost'), '77', { sessions: { s: keyData('k') } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
  });
});

describe('count and etag', () => {
  it('count follows the stored keys and etag changes exactly when they change', async () => {
    const alice = await newUser();
    const v = await createVersion(alice);
    const initial = await versionInfo(alice, v);
    expect(initial.count).toBe(0);

    const up = await putOk(alice, roomPath('!r:localhost'), v, { sessions: { s1: keyData('1'), s2: keyData('2') } });
    expect(up.count).toBe(2);
    expect(up.etag).not.toBe(initial.etag);
    const afterUpload = await versionInfo(alice, v);
    expect(afterUpload).toMatchObject({ count: 2, etag: up.etag });
    expect((await get(alice, `${CS}/room_keys/version`)).body).toMatchObject({ count: 2, etag: up.etag });

    // Uploading the same keys again changes nothing.
    const again = await putOk(alice, roomPath('!r:localhost'), v, { sessions: { s1: keyData('1'), s2: keyData('2') } });
    expect(again).toEqual(up);

    const removed = await del(alice, sessionPath('!r:localhost', 's1'), v);
    expect(removed.status).toBe(200);
    expect(removed.body.count).toBe(1);
    expect(removed.body.etag).not.toBe(up.etag);
    // Deleting what is not there changes nothing either.
    const nothing = await del(alice, sessionPath('!r:localhost', 's1'), v);
    expect(nothing.body).toEqual(removed.body);
    expect(await versionInfo(alice, v)).toMatchObject({ count: 1, etag: removed.body.etag });
  });
});

describe('deleting keys', () => {
  it('deletes one session, one room, or everything', async () => {
    const alice = await newUser();
    const v = await createVersion(alice);
    await putOk(alice, `${CS}/room_keys/keys`, v, {
      rooms: {
        '!a:localhost': { sessions: { a1: keyData('a1'), a2: keyData('a2') } },
        '!b:localhost': { sessions: { b1: keyData('b1'), b2: keyData('b2') } },
        '!c:localhost': { sessions: { c1: keyData('c1') } },
      },
    });

    expect((await del(alice, sessionPath('!a:localhost', 'a1'), v)).body.count).toBe(4);
    expect((await get(alice, sessionPath('!a:localhost', 'a1'), v)).status).toBe(404);
    expect((await get(alice, roomPath('!a:localhost'), v)).body).toEqual({ sessions: { a2: keyData('a2') } });

    expect((await del(alice, roomPath('!b:localhost'), v)).body.count).toBe(2);
    expect((await get(alice, roomPath('!b:localhost'), v)).body).toEqual({ sessions: {} });
    expect(Object.keys((await get(alice, `${CS}/room_keys/keys`, v)).body.rooms).sort()).toEqual(['!a:localhost', '!c:localhost']);

    const all = await del(alice, `${CS}/room_keys/keys`, v);
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(0);
    expect((await get(alice, `${CS}/room_keys/keys`, v)).body).toEqual({ rooms: {} });
    expect((await versionInfo(alice, v)).count).toBe(0);
  });

  it('answers 404 for deletes in an unknown version', async () => {
    const alice = await newUser();
    await createVersion(alice);
    for (const path of [`${CS}/room_keys/keys`, roomPath('!a:localhost'), sessionPath('!a:localhost', 's')]) {
      const res = await del(alice, path, '31337');
      expect(res.status, path).toBe(404);
      expect(res.body.errcode).toBe('M_NOT_FOUND');
    }
  });
});

describe('isolation between users', () => {
  it('another user can neither see nor write nor delete my backup', async () => {
    const alice = await newUser('alice');
    const bob = await newUser('bob');
    const v = await createVersion(alice);
    await putOk(alice, sessionPath('!r:localhost', 's'), v, keyData('secret'));

    // Bob has no backup: alice's version is unknown to him.
    expect((await get(bob, `${CS}/room_keys/version`)).status).toBe(404);
    expect((await get(bob, `${CS}/room_keys/version/${v}`)).status).toBe(404);
    expect((await get(bob, `${CS}/room_keys/keys`, v)).status).toBe(404);
    expect((await get(bob, sessionPath('!r:localhost', 's'), v)).status).toBe(404);
    expect((await put(bob, sessionPath('!r:localhost', 's'), v, keyData('evil', 0, 0, true))).status).toBe(404);
    expect((await del(bob, `${CS}/room_keys/keys`, v)).status).toBe(404);
    expect((await del(bob, `${CS}/room_keys/version/${v}`)).status).toBe(404);
    const update = await client.put(`${CS}/room_keys/version/${v}`, { algorithm: MEGOLM_BACKUP, auth_data: authData('evil') }, { token: bob.accessToken });
    expect(update.status).toBe(404);

    // Bob's own backup has the same version number as alice's but holds only his keys.
    const bobVersion = await createVersion(bob, authData('bob'));
    expect(bobVersion).toBe(v);
    expect((await get(bob, `${CS}/room_keys/keys`, bobVersion)).body).toEqual({ rooms: {} });
    await putOk(bob, sessionPath('!r:localhost', 's'), bobVersion, keyData('bob', 0, 0, true));

    expect((await get(alice, sessionPath('!r:localhost', 's'), v)).body).toEqual(keyData('secret'));
    expect(await versionInfo(alice, v)).toMatchObject({ count: 1, auth_data: authData() });
  });
});

describe('bad requests', () => {
  it('requires an access token', async () => {
    const res = await client.get(`${CS}/room_keys/version`);
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe('M_MISSING_TOKEN');
  });

  it('requires the version query parameter for keys', async () => {
    const alice = await newUser();
    await createVersion(alice);
    for (const res of [
      await get(alice, `${CS}/room_keys/keys`),
      await get(alice, roomPath('!r:localhost')),
      await del(alice, sessionPath('!r:localhost', 's')),
      await client.put(sessionPath('!r:localhost', 's'), keyData('k'), { token: alice.accessToken }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe('M_MISSING_PARAM');
    }
  });

  it('rejects malformed version bodies', async () => {
    const alice = await newUser();
    const post = (body: unknown): Promise<TestResponse> => client.post(`${CS}/room_keys/version`, body, { token: alice.accessToken });
    expect((await post({ algorithm: MEGOLM_BACKUP })).body.errcode).toBe('M_MISSING_PARAM');
    expect((await post({ auth_data: authData() })).body.errcode).toBe('M_MISSING_PARAM');
    const notObject = await post({ algorithm: MEGOLM_BACKUP, auth_data: 'opaque' });
    expect(notObject.status).toBe(400);
    expect(notObject.body.errcode).toBe('M_BAD_JSON');
    const notJson = await client.request('POST', `${CS}/room_keys/version`, { raw: '{nope', token: alice.accessToken, headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    expect((await get(alice, `${CS}/room_keys/version`)).status).toBe(404);
  });

  it('rejects malformed keys and stores nothing of a bad upload', async () => {
    const alice = await newUser();
    const v = await createVersion(alice);
    const path = sessionPath('!r:localhost', 's');
    const bad: [unknown, string][] = [
      [{ ...keyData('k'), is_verified: 'yes' }, 'M_BAD_JSON'],
      [{ ...keyData('k'), first_message_index: -1 }, 'M_INVALID_PARAM'],
      [{ ...keyData('k'), forwarded_count: 1.5 }, 'M_BAD_JSON'],
      [{ ...keyData('k'), session_data: 'opaque' }, 'M_BAD_JSON'],
      [{ first_message_index: 0, forwarded_count: 0, is_verified: false }, 'M_MISSING_PARAM'],
    ];
    for (const [body, errcode] of bad) {
      const res = await put(alice, path, v, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode, JSON.stringify(body)).toBe(errcode);
    }
    const noSessions = await put(alice, roomPath('!r:localhost'), v, {});
    expect(noSessions.body.errcode).toBe('M_MISSING_PARAM');
    const noRooms = await put(alice, `${CS}/room_keys/keys`, v, {});
    expect(noRooms.body.errcode).toBe('M_MISSING_PARAM');

    // One bad room ID fails the whole upload.
    const mixed = await put(alice, `${CS}/room_keys/keys`, v, {
      rooms: { '!good:localhost': { sessions: { s: keyData('k') } }, '#alias:localhost': { sessions: { s: keyData('k') } } },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.errcode).toBe('M_INVALID_PARAM');
    expect((await versionInfo(alice, v)).count).toBe(0);
  });

  it('bounds the sessions of one request', async () => {
    const alice = await newUser();
    const v = await createVersion(alice);
    const sessions = (prefix: string, n: number): Record<string, unknown> =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: {} }]));
    const res = await put(alice, `${CS}/room_keys/keys`, v, {
      rooms: { '!a:localhost': { sessions: sessions('a', 5_001) }, '!b:localhost': { sessions: sessions('b', 5_000) } },
    });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_INVALID_PARAM');
    expect((await versionInfo(alice, v)).count).toBe(0);
  });
});
