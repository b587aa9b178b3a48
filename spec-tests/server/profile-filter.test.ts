// Profiles (displayname, avatar_url, extended fields) and sync filters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let pia: Session;
let sam: Session;
beforeAll(async () => {
  server = await startTestServer();
  pia = await registerUser(server.client, 'pia', 'pw');
  sam = await registerUser(server.client, 'sam', 'pw');
});
afterAll(() => server.stop());

const profile = (userId: string, key?: string) => `${CS}/profile/${encodeURIComponent(userId)}${key ? `/${key}` : ''}`;

describe('profile', () => {
  it('starts with the localpart as display name', async () => {
    const res = await server.client.get(profile(pia.userId));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ displayname: 'pia' });
  });

  it('sets and reads displayname, avatar_url, m.tz and custom fields', async () => {
    const auth = { token: pia.accessToken };
    expect((await server.client.put(profile(pia.userId, 'displayname'), { displayname: 'Pia P.' }, auth)).status).toBe(200);
    expect((await server.client.put(profile(pia.userId, 'avatar_url'), { avatar_url: 'mxc://localhost/abc' }, auth)).status).toBe(200);
    expect((await server.client.put(profile(pia.userId, 'm.tz'), { 'm.tz': 'Europe/Berlin' }, auth)).status).toBe(200);
    expect((await server.client.put(profile(pia.userId, 'org.example.job'), { 'org.example.job': { title: 'tester' } }, auth)).status).toBe(200);

    expect((await server.client.get(profile(pia.userId, 'displayname'))).body).toEqual({ displayname: 'Pia P.' });
    expect((await server.client.get(profile(pia.userId, 'avatar_url'))).body).toEqual({ avatar_url: 'mxc://localhost/abc' });
    expect((await server.client.get(profile(pia.userId))).body).toEqual({
      displayname: 'Pia P.',
      avatar_url: 'mxc://localhost/abc',
      'm.tz': 'Europe/Berlin',
      'org.example.job': { title: 'tester' },
    });

    expect((await server.client.delete(profile(pia.userId, 'org.example.job'), undefined, auth)).status).toBe(200);
    const gone = await server.client.get(profile(pia.userId, 'org.example.job'));
    expect(gone.status).toBe(404);
    expect(gone.body.errcode).toBe('M_NOT_FOUND');
  });

  it("refuses to change someone else's profile", async () => {
    const res = await server.client.put(profile(sam.userId, 'displayname'), { displayname: 'Hacked' }, { token: pia.accessToken });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe('M_FORBIDDEN');
    expect((await server.client.get(profile(sam.userId))).body.displayname).toBe('sam');
  });

  it('validates field names and values', async () => {
    const auth = { token: pia.accessToken };
    const badKey = await server.client.put(profile(pia.userId, 'NotAKey'), { NotAKey: 1 }, auth);
    expect(badKey.status).toBe(400);
    expect(badKey.body.errcode).toBe('M_INVALID_PARAM');
    const badValue = await server.client.put(profile(pia.userId, 'displayname'), { displayname: 42 }, auth);
    expect(badValue.status).toBe(400);
    expect(badValue.body.errcode).toBe('M_BAD_JSON');
    const missing = await server.client.put(profile(pia.userId, 'displayname'), { avatar_url: 'x' }, auth);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
    const huge = await server.client.put(profile(pia.userId, 'org.example.big'), { 'org.example.big': 'x'.repeat(70_000) }, auth);
    expect(huge.status).toBe(400);
    expect(huge.body.errcode).toBe('M_PROFILE_TOO_LARGE');
  });

  it('404 for unknown users', async () => {
    const res = await server.client.get(profile('@ghost:localhost'));
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe('M_NOT_FOUND');
  });
});

describe('filters', () => {
  const filter = {
    room: { timeline: { limit: 10, types: ['m.room.message'] }, state: { lazy_load_members: true } },
    presence: { not_types: ['*'] },
    event_format: 'client',
  };

  it('stores a filter and returns it by id; identical filters share an id', async () => {
    const auth = { token: pia.accessToken };
    const created = await server.client.post(`${CS}/user/${encodeURIComponent(pia.userId)}/filter`, filter, auth);
    expect(created.status).toBe(200);
    expect(typeof created.body.filter_id).toBe('string');
    const back = await server.client.get(`${CS}/user/${encodeURIComponent(pia.userId)}/filter/${created.body.filter_id}`, auth);
    expect(back.status).toBe(200);
    expect(back.body).toEqual(filter);
    const again = await server.client.post(`${CS}/user/${encodeURIComponent(pia.userId)}/filter`, { ...filter }, auth);
    expect(again.body.filter_id).toBe(created.body.filter_id);
    const different = await server.client.post(`${CS}/user/${encodeURIComponent(pia.userId)}/filter`, { room: { timeline: { limit: 5 } } }, auth);
    expect(different.body.filter_id).not.toBe(created.body.filter_id);
  });

  it("keeps filters private and 404s unknown ones", async () => {
    const created = await server.client.post(`${CS}/user/${encodeURIComponent(pia.userId)}/filter`, {}, { token: pia.accessToken });
    const other = await server.client.get(`${CS}/user/${encodeURIComponent(pia.userId)}/filter/${created.body.filter_id}`, { token: sam.accessToken });
    expect(other.status).toBe(403);
    const forOther = await server.client.post(`${CS}/user/${encodeURIComponent(pia.userId)}/filter`, {}, { token: sam.accessToken });
    expect(forOther.status).toBe(403);
    const unknown = await server.client.get(`${CS}/user/${encodeURIComponent(pia.userId)}/filter/999`, { token: pia.accessToken });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
  });

  it('rejects malformed filters naming the field', async () => {
    const res = await server.client.post(`${CS}/user/${encodeURIComponent(pia.userId)}/filter`, { room: { timeline: { limit: 'ten' } } }, { token: pia.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_BAD_JSON');
    expect(res.body.error).toContain('room.timeline.limit');
    const format = await server.client.post(`${CS}/user/${encodeURIComponent(pia.userId)}/filter`, { event_format: 'xml' }, { token: pia.accessToken });
    expect(format.body.errcode).toBe('M_INVALID_PARAM');
    expect(format.body.error).toContain('event_format');
  });
});
