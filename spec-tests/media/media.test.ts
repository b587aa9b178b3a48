// The media repository through the real HTTP server: upload and download (legacy and
// authenticated), the headers a browser needs to stay safe, the upload limit, thumbnails of
// small and non-images, restart durability, and the authenticated federation download.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type Session } from '../support/client.js';
import { makeTempDir, startTestServer, type TestServer } from '../support/server.js';
import { startInboundFixture, type InboundFixture } from '../federation/support/inbound-fixture.js';
import { gradientPng } from './images.js';

const UPLOAD = '/_matrix/media/v3/upload';
const AUTHED = '/_matrix/client/v1/media';
const LEGACY = '/_matrix/media/v3';

function mediaIdOf(contentUri: string): { serverName: string; mediaId: string } {
  const m = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(contentUri);
  if (!m) throw new Error(`not an mxc URI: ${contentUri}`);
  return { serverName: m[1]!, mediaId: m[2]! };
}

describe('client media', () => {
  let server: TestServer;
  let alice: Session;

  beforeAll(async () => {
    server = await startTestServer({ config: { max_upload_size: '1K' } });
    alice = await registerUser(server.client, 'alice', 'pw');
  });
  afterAll(() => server?.stop());

  async function upload(bytes: string | Uint8Array, contentType: string | undefined, filename?: string): Promise<string> {
    const res = await server.client.request('POST', UPLOAD, {
      raw: bytes,
      token: alice.accessToken,
      ...(contentType ? { headers: { 'content-type': contentType } } : {}),
      ...(filename ? { query: { filename } } : {}),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.content_uri as string;
  }

  it('round-trips an upload through the authenticated and legacy downloads', async () => {
    const uri = await upload('hello, media', 'text/plain', 'hello.txt');
    const { serverName, mediaId } = mediaIdOf(uri);
    expect(serverName).toBe('localhost');
    expect(existsSync(path.join(server.dataDir, 'media', mediaId.slice(0, 2), mediaId))).toBe(true);

    const authed = await server.client.get(`${AUTHED}/download/${serverName}/${mediaId}`, { token: alice.accessToken });
    expect(authed.status).toBe(200);
    expect(authed.body).toBe('hello, media');
    expect(authed.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(authed.headers['content-disposition']).toBe('inline; filename="hello.txt"');
    expect(authed.headers['content-security-policy']).toContain('sandbox');
    expect(authed.headers['cross-origin-resource-policy']).toBe('cross-origin');

    const legacy = await server.client.get(`${LEGACY}/download/${serverName}/${mediaId}/other%20name.txt`);
    expect(legacy.status).toBe(200);
    expect(legacy.body).toBe('hello, media');
    expect(legacy.headers['content-disposition']).toBe('inline; filename="other name.txt"');
  });

  it('serves unsafe types as attachments, and untyped uploads as octet-stream', async () => {
    const html = mediaIdOf(await upload('<script>alert(1)</script>', 'text/html', 'x.html'));
    const res = await server.client.get(`${AUTHED}/download/${html.serverName}/${html.mediaId}`, { token: alice.accessToken });
    expect(res.headers['content-disposition']).toBe('attachment; filename="x.html"');
    expect(res.headers['content-security-policy']).toContain("script-src 'none'");

    const untyped = mediaIdOf(await upload(new Uint8Array([1, 2, 3]), undefined, 'naïve.bin'));
    const raw = await server.client.get(`${AUTHED}/download/${untyped.serverName}/${untyped.mediaId}`, { token: alice.accessToken });
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    expect(raw.headers['content-disposition']).toBe("attachment; filename*=utf-8''na%C3%AFve.bin");
  });

  it('refuses uploads over max_upload_size with 413 M_TOO_LARGE', async () => {
    const res = await server.client.request('POST', UPLOAD, { raw: new Uint8Array(2048), token: alice.accessToken, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(413);
    expect(res.body.errcode).toBe('M_TOO_LARGE');
  });

  it('advertises the upload limit', async () => {
    for (const p of [`${AUTHED}/config`, `${LEGACY}/config`]) {
      const res = await server.client.get(p, { token: alice.accessToken });
      expect(res.status).toBe(200);
      expect(res.body['m.upload.size']).toBe(1024);
    }
  });

  it('requires a token on the authenticated paths and for upload', async () => {
    const uri = mediaIdOf(await upload('secret', 'text/plain'));
    const res = await server.client.get(`${AUTHED}/download/${uri.serverName}/${uri.mediaId}`);
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe('M_MISSING_TOKEN');
    const up = await server.client.request('POST', UPLOAD, { raw: 'x', headers: { 'content-type': 'text/plain' } });
    expect(up.status).toBe(401);
  });

  it('answers 404 M_NOT_FOUND for unknown and malformed media, and for uncached remote media with allow_remote=false', async () => {
    for (const p of [`localhost/AAAAAAAAAAAAAAAAAAAAAAAA`, `localhost/..%2F..%2Fhomeserver.db`]) {
      const res = await server.client.get(`${AUTHED}/download/${p}`, { token: alice.accessToken });
      expect(res.status, p).toBe(404);
      expect(res.body.errcode).toBe('M_NOT_FOUND');
      const legacy = await server.client.get(`${LEGACY}/download/${p}`);
      expect(legacy.status, p).toBe(404);
      expect(legacy.body.errcode).toBe('M_NOT_FOUND');
    }
    const uncached = await server.client.get(`${LEGACY}/download/remote.example/abc`, { query: { allow_remote: 'false' } });
    expect(uncached.status).toBe(404);
    expect(uncached.body.errcode).toBe('M_NOT_FOUND');
    // Fetching is tried (this test server resolves no names, so remote.example is unreachable).
    const unreachable = await server.client.get(`${AUTHED}/download/remote.example/abc`, { token: alice.accessToken });
    expect(unreachable.status).toBe(502);
    expect(unreachable.body.errcode).toBe('M_UNKNOWN');
  });

  it('serves a small image as its own thumbnail, and has none for other types or broken images', async () => {
    const image = gradientPng(8, 8);
    const png = mediaIdOf(await upload(image, 'image/png'));
    const thumb = await server.client.get(`${AUTHED}/thumbnail/${png.serverName}/${png.mediaId}`, { token: alice.accessToken, query: { width: '32', height: '32' } });
    expect(thumb.status).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/png');
    expect(thumb.headers['content-disposition']).toBe('inline; filename="thumbnail.png"');
    expect(thumb.body).toBe(Buffer.from(image).toString('utf8'));

    for (const [body, type] of [['plain', 'text/plain'], ['not-really-a-png', 'image/png']] as const) {
      const media = mediaIdOf(await upload(body, type));
      const none = await server.client.get(`${LEGACY}/thumbnail/${media.serverName}/${media.mediaId}`, { query: { width: '32', height: '32' } });
      expect(none.status, type).toBe(404);
      expect(none.body.errcode).toBe('M_NOT_FOUND');
    }
  });
});

describe('media durability', () => {
  it('serves media uploaded before a restart', async () => {
    const dataDir = makeTempDir();
    try {
      const first = await startTestServer({ dataDir });
      const s = await registerUser(first.client, 'keeper', 'pw');
      const up = await first.client.request('POST', UPLOAD, { raw: 'kept across restarts', token: s.accessToken, headers: { 'content-type': 'text/plain' } });
      expect(up.status).toBe(200);
      await first.stop();

      const second = await startTestServer({ dataDir });
      try {
        const { serverName, mediaId } = mediaIdOf(up.body.content_uri);
        const res = await second.client.get(`${AUTHED}/download/${serverName}/${mediaId}`, { token: s.accessToken });
        expect(res.status).toBe(200);
        expect(res.body).toBe('kept across restarts');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('federation media download', () => {
  let f: InboundFixture;
  beforeAll(async () => {
    f = await startInboundFixture({ latticeHost: '127.0.0.61', peerHost: '127.0.0.62' });
  }, 60_000);
  afterAll(() => f?.stop());

  it('answers a signed request with multipart/mixed: {} then the file', async () => {
    const up = await f.lattice.client.request('POST', UPLOAD, { raw: 'over federation', token: f.alice.session.accessToken, headers: { 'content-type': 'text/plain' }, query: { filename: 'f.txt' } });
    expect(up.status).toBe(200);
    const { mediaId } = mediaIdOf(up.body.content_uri);
    const target = { name: 'hs1.test', host: f.lattice.host, port: f.lattice.port };

    const res = await f.peer.request(target, 'GET', `/_matrix/federation/v1/media/download/${mediaId}`);
    expect(res.status).toBe(200);
    const type = String(res.headers['content-type']);
    const boundary = /^multipart\/mixed; boundary=(\S+)$/.exec(type)?.[1];
    expect(boundary, type).toBeDefined();
    const parts = (res.body as string).split(`--${boundary}`);
    expect(parts[0]).toBe('');
    expect(parts[1]).toBe('\r\nContent-Type: application/json\r\n\r\n{}\r\n');
    expect(parts[2]).toBe('\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline; filename="f.txt"\r\n\r\nover federation\r\n');
    expect(parts[3]).toBe('--\r\n');

    const thumb = await f.peer.request(target, 'GET', `/_matrix/federation/v1/media/thumbnail/${mediaId}?width=32&height=32`);
    expect(thumb.status).toBe(404);
    expect(thumb.body.errcode).toBe('M_NOT_FOUND');
    const unknown = await f.peer.request(target, 'GET', `/_matrix/federation/v1/media/download/nosuchmedia`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
  });

  it('refuses an unsigned request', async () => {
    const res = await f.lattice.client.get(`/_matrix/federation/v1/media/download/whatever`);
    expect(res.status).toBe(401);
  });
});
