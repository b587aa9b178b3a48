// Remote media over federation, between two real Lattice servers (hs1.test on 127.0.0.1, hs2.test
// on 127.0.0.2, HTTPS with a CA made for the run) and scripted HTTPS peers on 127.0.0.3 (servers
// without authenticated media, redirects, slow, oversized and broken answers): a user of hs2
// downloads and thumbnails media of other servers through the authenticated and legacy client
// endpoints; hs2 fetches each item once, caches it, serves it while the origin is down, and turns
// every failure into the spec's answer.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, specValidator, type Session } from '../support/client.js';
import { makeTempDir } from '../support/server.js';
import { json, startFakeHttps, type FakeHttpsServer, type RecordedRequest } from '../federation/support/fake-https.js';
import { startFederatingServer, type FederatingServer } from '../federation/support/federating-server.js';
import { freePort } from '../federation/support/free-port.js';
import { createTestCa, type TestCa } from '../federation/support/test-ca.js';
import { gradientPng, imageSize } from './images.js';

const AUTHED = '/_matrix/client/v1/media';
const LEGACY = '/_matrix/media/v3';
const HS2_MAX_UPLOAD = 1024 * 1024;
const PEER_HOST = '127.0.0.3';
const VICTIM_HOST = '127.0.0.4';

let dir: string;
let ca: TestCa;
let agent: Agent;
let hs1: FederatingServer | undefined;
let hs2: FederatingServer;
let peer: FakeHttpsServer;
let victim: FakeHttpsServer;
let alice: Session; // on hs1
let bob: Session; // on hs2

interface MediaResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bytes: Buffer;
  // The error body, checked against the spec's schema for the endpoint and status.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** A GET of a media endpoint keeping the bytes exact; JSON answers go through the spec validator. */
async function get(server: FederatingServer, path: string, options: { token?: string; query?: Record<string, string> } = {}): Promise<MediaResponse> {
  const url = new URL(path, `https://${server.host}:${server.port}`);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const res = await request(url, { dispatcher: agent, headers: options.token ? { authorization: `Bearer ${options.token}` } : {} });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  let body: unknown;
  if (String(res.headers['content-type'] ?? '').startsWith('application/json')) {
    body = JSON.parse(bytes.toString('utf8'));
    specValidator().check('GET', url.pathname.replace(/^\/_matrix\/media\/r0\//, '/_matrix/media/v3/'), res.statusCode, body);
  }
  return { status: res.statusCode, headers: res.headers, bytes, body };
}

async function upload(server: FederatingServer, session: Session, bytes: Uint8Array | string, contentType: string, filename?: string): Promise<string> {
  const res = await server.client.request('POST', `${LEGACY}/upload`, {
    raw: bytes,
    token: session.accessToken,
    headers: { 'content-type': contentType },
    ...(filename ? { query: { filename } } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const m = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(res.body.content_uri as string);
  if (!m) throw new Error(`not an mxc URI: ${String(res.body.content_uri)}`);
  return m[2]!;
}

/** How many files a cache directory holds (0 when it does not exist yet). */
function filesUnder(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
  } catch {
    return 0;
  }
}

function running(): FederatingServer {
  if (!hs1) throw new Error('hs1 is stopped');
  return hs1;
}

// ---- the scripted peers (one HTTPS server on 127.0.0.3 answering for several names) ----

const encoder = new TextEncoder();

function multipartBody(boundary: string, mediaHeaders: string, body: Uint8Array | string): Buffer {
  return Buffer.concat([
    encoder.encode(`--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\n${mediaHeaders}\r\n\r\n`),
    typeof body === 'string' ? encoder.encode(body) : body,
    encoder.encode(`\r\n--${boundary}--\r\n`),
  ]);
}

function multipart(res: ServerResponse, mediaHeaders: string, body: Uint8Array | string): void {
  res.writeHead(200, { 'content-type': 'multipart/mixed; boundary=peerboundary' });
  res.end(multipartBody('peerboundary', mediaHeaders, body));
}

const unrecognized = (res: ServerResponse): void => json(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
const notFound = (res: ServerResponse): void => json(res, 404, { errcode: 'M_NOT_FOUND', error: 'Not found' });
const PEER_THUMBNAIL = gradientPng(24, 12);

/** A server from before Matrix 1.11: no federation media endpoints; `r0only` is served only under r0. */
function legacyPeer(res: ServerResponse, path: string): void {
  if (path.startsWith('/_matrix/federation/v1/media/')) return unrecognized(res);
  if (path === '/_matrix/media/v3/download/legacy.test/oldmedia' || path === '/_matrix/media/r0/download/legacy.test/r0only') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-disposition': `attachment; filename*=utf-8''%C3%A9t%C3%A9.txt` });
    return void res.end(path.endsWith('r0only') ? 'served by r0' : 'legacy bytes');
  }
  if (path === '/_matrix/media/v3/download/legacy.test/r0only') return void res.writeHead(404).end();
  if (path === '/_matrix/media/v3/thumbnail/legacy.test/oldmedia') {
    res.writeHead(200, { 'content-type': 'image/png' });
    return void res.end(PEER_THUMBNAIL);
  }
  if (path === '/_matrix/media/v3/thumbnail/legacy.test/htmlthumb') {
    res.writeHead(200, { 'content-type': 'image/png' });
    return void res.end('<html><script>alert(1)</script></html>');
  }
  notFound(res);
}

/** A modern server whose answers point elsewhere, or are hostile. */
function trickyPeer(res: ServerResponse, path: string): void {
  const id = path.slice('/_matrix/federation/v1/media/download/'.length);
  if (path.startsWith('/cdn/')) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-disposition': 'inline; filename="cdn.txt"' });
    return void res.end('from the cdn');
  }
  if (!path.startsWith('/_matrix/federation/v1/media/download/')) return notFound(res);
  switch (id) {
    case 'sametarget':
      return multipart(res, `Location: https://${PEER_HOST}:${peer.port}/cdn/file`, '');
    case 'tovictim':
      return multipart(res, `Location: https://${VICTIM_HOST}:${victim.port}/steal`, '');
    case 'plainhttp':
      return multipart(res, `Location: http://${PEER_HOST}:${peer.port}/cdn/file`, '');
    case 'endless': {
      // No Content-Length: the limit has to hold while the body streams in.
      res.writeHead(200, { 'content-type': 'multipart/mixed; boundary=peerboundary' });
      res.write(encoder.encode('--peerboundary\r\nContent-Type: application/json\r\n\r\n{}\r\n--peerboundary\r\nContent-Type: application/octet-stream\r\n\r\n'));
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent < 4 * HS2_MAX_UPLOAD) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('\r\n--peerboundary--\r\n');
      };
      res.on('error', () => undefined);
      return pump();
    }
    case 'onepart':
      res.writeHead(200, { 'content-type': 'multipart/mixed; boundary=peerboundary' });
      return void res.end('--peerboundary\r\nContent-Type: application/json\r\n\r\n{}\r\n--peerboundary--\r\n');
    case 'shared':
      // Slow enough for concurrent requests to overlap.
      return void setTimeout(() => multipart(res, 'Content-Type: text/plain', 'fetched once'), 300);
    default:
      return notFound(res);
  }
}

function peerHandler(req: RecordedRequest, res: ServerResponse): void {
  const path = new URL(req.url, 'https://peer').pathname;
  const host = (req.host ?? '').replace(/:\d+$/, '');
  if (host === 'legacy.test') return legacyPeer(res, path);
  if (host === 'slow.test') return; // never answers
  trickyPeer(res, path);
}

const peerRequests = (host: string): RecordedRequest[] => peer.requests.filter((r) => (r.host ?? '').replace(/:\d+$/, '') === host);

beforeAll(async () => {
  dir = makeTempDir('lattice-remote-media-');
  ca = createTestCa(dir);
  agent = new Agent({ connect: { ca: readFileSync(ca.caCertPath, 'utf8') } });
  const peerCert = ca.issue('peers', ['legacy.test', 'tricky.test', 'slow.test'], [PEER_HOST]);
  peer = await startFakeHttps({ host: PEER_HOST, ...peerCert, handler: peerHandler });
  victim = await startFakeHttps({ host: VICTIM_HOST, ...ca.issue('victim', ['victim.test'], [VICTIM_HOST]), handler: (_req, res) => void res.end('secret') });
  const [port1, port2, deadPort] = await Promise.all([freePort('127.0.0.1'), freePort('127.0.0.2'), freePort('127.0.0.2')]);
  const peerAddress = `${PEER_HOST}:${peer.port}`;
  [hs1, hs2] = await Promise.all([
    startFederatingServer({ name: 'hs1.test', host: '127.0.0.1', port: port1, ca, overrides: { 'hs2.test': `127.0.0.2:${port2}` } }),
    startFederatingServer({
      name: 'hs2.test',
      host: '127.0.0.2',
      port: port2,
      ca,
      overrides: { 'hs1.test': `127.0.0.1:${port1}`, 'legacy.test': peerAddress, 'tricky.test': peerAddress, 'slow.test': peerAddress, 'dead.test': `127.0.0.2:${deadPort}` },
      config: { max_upload_size: `${HS2_MAX_UPLOAD / 1024 / 1024}M` },
    }),
  ]);
  [alice, bob] = await Promise.all([registerUser(hs1.client, 'alice', 'pw'), registerUser(hs2.client, 'bob', 'pw')]);
}, 60_000);

afterAll(async () => {
  await Promise.all([hs1?.stop(), hs2?.stop(), peer?.close(), victim?.close()]);
  await agent?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('media of another Lattice server', () => {
  it('downloads it through the authenticated and the legacy endpoint, with the bytes and headers of the origin', async () => {
    const image = gradientPng(40, 30);
    const cases = [
      { bytes: encoder.encode('hello from hs1'), type: 'text/plain', name: 'greeting.txt' },
      { bytes: image, type: 'image/png', name: 'naïve picture.png' },
      { bytes: encoder.encode('<b>bold</b>'), type: 'text/html', name: undefined },
    ];
    for (const c of cases) {
      const mediaId = await upload(running(), alice, c.bytes, c.type, c.name);
      const origin = await get(running(), `${AUTHED}/download/hs1.test/${mediaId}`, { token: alice.accessToken });
      expect(origin.status).toBe(200);
      for (const res of [
        await get(hs2, `${AUTHED}/download/hs1.test/${mediaId}`, { token: bob.accessToken }),
        await get(hs2, `${LEGACY}/download/hs1.test/${mediaId}`),
      ]) {
        expect(res.status, c.type).toBe(200);
        expect([...res.bytes]).toEqual([...c.bytes]);
        expect(res.headers['content-type']).toBe(origin.headers['content-type']);
        expect(res.headers['content-disposition']).toBe(origin.headers['content-disposition']);
        expect(res.headers['content-security-policy']).toContain('sandbox');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
    }
    // The safety rules hold for remote media too: HTML is an attachment, never inline.
    const htmlId = await upload(running(), alice, '<i>x</i>', 'text/html', 'page.html');
    const html = await get(hs2, `${AUTHED}/download/hs1.test/${htmlId}/renamed.html`, { token: bob.accessToken });
    expect(html.headers['content-disposition']).toBe('attachment; filename="renamed.html"');
  });

  it('caches what it fetched: allow_remote=false serves cached media and 404s the rest', async () => {
    const cachedId = await upload(running(), alice, 'cache me', 'text/plain');
    expect((await get(hs2, `${AUTHED}/download/hs1.test/${cachedId}`, { token: bob.accessToken })).status).toBe(200);
    const cached = await get(hs2, `${LEGACY}/download/hs1.test/${cachedId}`, { query: { allow_remote: 'false' } });
    expect(cached.status).toBe(200);
    expect(cached.bytes.toString()).toBe('cache me');

    const uncachedId = await upload(running(), alice, 'never fetched', 'text/plain');
    const uncached = await get(hs2, `${LEGACY}/download/hs1.test/${uncachedId}`, { query: { allow_remote: 'false' } });
    expect(uncached.status).toBe(404);
    expect(uncached.body.errcode).toBe('M_NOT_FOUND');
    const bad = await get(hs2, `${LEGACY}/download/hs1.test/${uncachedId}`, { query: { allow_remote: 'maybe' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('answers 404 M_NOT_FOUND for media the origin does not have', async () => {
    for (const path of [`${AUTHED}/download/hs1.test/NoSuchMediaAnywhere`, `${AUTHED}/thumbnail/hs1.test/NoSuchMediaAnywhere?width=32&height=32`]) {
      const res = await get(hs2, path, { token: bob.accessToken });
      expect(res.status, path).toBe(404);
      expect(res.body.errcode).toBe('M_NOT_FOUND');
    }
    const legacy = await get(hs2, `${LEGACY}/download/hs1.test/NoSuchMediaAnywhere`);
    expect(legacy.status).toBe(404);
    expect(legacy.body.errcode).toBe('M_NOT_FOUND');
  });

  it('refuses remote media larger than its own max_upload_size with 502 M_TOO_LARGE', async () => {
    const mediaId = await upload(running(), alice, new Uint8Array(HS2_MAX_UPLOAD + 1), 'application/octet-stream');
    const res = await get(hs2, `${AUTHED}/download/hs1.test/${mediaId}`, { token: bob.accessToken });
    expect(res.status).toBe(502);
    expect(res.body.errcode).toBe('M_TOO_LARGE');
  });

  it('gets thumbnails made by the origin at their real sizes, and small images as they are', async () => {
    const big = await upload(running(), alice, gradientPng(1000, 500), 'image/png');
    const thumb = async (width: number, height: number, method: string): Promise<MediaResponse> => {
      const res = await get(hs2, `${AUTHED}/thumbnail/hs1.test/${big}`, { token: bob.accessToken, query: { width: String(width), height: String(height), method } });
      expect(res.status, `${width}x${height} ${method} ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.headers['content-disposition']).toBe('inline; filename="thumbnail.png"');
      return res;
    };
    expect(imageSize((await thumb(32, 32, 'crop')).bytes)).toEqual({ width: 32, height: 32 });
    expect(imageSize((await thumb(96, 96, 'crop')).bytes)).toEqual({ width: 96, height: 96 });
    expect(imageSize((await thumb(320, 240, 'scale')).bytes)).toEqual({ width: 320, height: 160 });
    // Asked sizes snap up to the next step (the spec lets a thumbnail be larger), at most 800;
    // a size that snaps to one already cached is served from hs2's cache.
    const cachedThumbnails = filesUnder(path.join(hs2.dataDir, 'remote_media', 'thumbnails'));
    expect(imageSize((await thumb(100, 100, 'scale')).bytes)).toEqual({ width: 320, height: 160 });
    expect(filesUnder(path.join(hs2.dataDir, 'remote_media', 'thumbnails'))).toBe(cachedThumbnails);
    expect(imageSize((await thumb(4000, 4000, 'scale')).bytes)).toEqual({ width: 800, height: 400 });
    // hs1 made them from its own upload and keeps them: one file per size made.
    expect(filesUnder(path.join(running().dataDir, 'media_thumbnails'))).toBe(4);

    const small = gradientPng(20, 10);
    const smallId = await upload(running(), alice, small, 'image/png');
    const same = await get(hs2, `${LEGACY}/thumbnail/hs1.test/${smallId}`, { query: { width: '96', height: '96', method: 'crop' } });
    expect(same.status).toBe(200);
    expect([...same.bytes]).toEqual([...small]);

    const jpeg = await sharp(gradientPng(600, 600)).jpeg().toBuffer();
    const jpegId = await upload(running(), alice, jpeg, 'image/jpeg');
    const jpegThumb = await get(hs2, `${AUTHED}/thumbnail/hs1.test/${jpegId}`, { token: bob.accessToken, query: { width: '96', height: '96', method: 'crop' } });
    expect(jpegThumb.headers['content-type']).toBe('image/jpeg');
    expect(imageSize(jpegThumb.bytes)).toEqual({ width: 96, height: 96 });

    const bad = await get(hs2, `${AUTHED}/thumbnail/hs1.test/${big}`, { token: bob.accessToken, query: { width: '32', height: '32', method: 'stretch' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('shares one fetch between concurrent requests for the same media', async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => get(hs2, `${AUTHED}/download/tricky.test/shared`, { token: bob.accessToken })));
    for (const res of all) {
      expect(res.status).toBe(200);
      expect(res.bytes.toString()).toBe('fetched once');
    }
    expect(peerRequests('tricky.test').filter((r) => r.url.startsWith('/_matrix/federation/v1/media/download/shared'))).toHaveLength(1);
  });

  it('serves cached media and thumbnails while the origin is down, and 502 M_UNKNOWN for the rest', async () => {
    const mediaId = await upload(running(), alice, gradientPng(400, 400), 'image/png', 'kept.png');
    const notFetched = await upload(running(), alice, 'not fetched', 'text/plain');
    const first = await get(hs2, `${AUTHED}/download/hs1.test/${mediaId}`, { token: bob.accessToken });
    const firstThumb = await get(hs2, `${AUTHED}/thumbnail/hs1.test/${mediaId}`, { token: bob.accessToken, query: { width: '32', height: '32', method: 'crop' } });
    expect([first.status, firstThumb.status]).toEqual([200, 200]);

    await running().stop();
    hs1 = undefined;
    const again = await get(hs2, `${AUTHED}/download/hs1.test/${mediaId}`, { token: bob.accessToken });
    expect(again.status).toBe(200);
    expect([...again.bytes]).toEqual([...first.bytes]);
    expect(again.headers['content-disposition']).toBe('inline; filename="kept.png"');
    const legacy = await get(hs2, `${LEGACY}/download/hs1.test/${mediaId}`, { query: { allow_remote: 'false' } });
    expect([...legacy.bytes]).toEqual([...first.bytes]);
    const thumbAgain = await get(hs2, `${AUTHED}/thumbnail/hs1.test/${mediaId}`, { token: bob.accessToken, query: { width: '32', height: '32', method: 'crop' } });
    expect(thumbAgain.status).toBe(200);
    expect([...thumbAgain.bytes]).toEqual([...firstThumb.bytes]);

    const gone = await get(hs2, `${AUTHED}/download/hs1.test/${notFetched}`, { token: bob.accessToken });
    expect(gone.status).toBe(502);
    expect(gone.body.errcode).toBe('M_UNKNOWN');
  });
});

describe('media of scripted peers', () => {
  it('falls back to the legacy endpoint (allow_remote=false, signed) when the remote has no federation media', async () => {
    const res = await get(hs2, `${AUTHED}/download/legacy.test/oldmedia`, { token: bob.accessToken });
    expect(res.status).toBe(200);
    expect(res.bytes.toString()).toBe('legacy bytes');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    // The remote said attachment: our rules (text/plain is safe inline) decide, its file name stays.
    expect(res.headers['content-disposition']).toBe(`inline; filename*=utf-8''%C3%A9t%C3%A9.txt`);
    const asked = peerRequests('legacy.test').map((r) => new URL(r.url, 'https://x'));
    expect(asked.map((u) => u.pathname)).toEqual(['/_matrix/federation/v1/media/download/oldmedia', '/_matrix/media/v3/download/legacy.test/oldmedia']);
    expect(asked[0]!.searchParams.get('timeout_ms')).toBe('20000');
    expect(asked[1]!.searchParams.get('allow_remote')).toBe('false');
    for (const r of peerRequests('legacy.test')) expect(r.headers.authorization).toMatch(/^X-Matrix origin="?hs2\.test"?,/);

    // v3 unknown too (a 404 without a Matrix body): r0.
    const r0 = await get(hs2, `${LEGACY}/download/legacy.test/r0only`);
    expect(r0.status).toBe(200);
    expect(r0.bytes.toString()).toBe('served by r0');
    // A real 404 of the legacy endpoint is a 404.
    const missing = await get(hs2, `${AUTHED}/download/legacy.test/nothing`, { token: bob.accessToken });
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe('M_NOT_FOUND');
  });

  it('falls back to the legacy thumbnail endpoint, and refuses a "thumbnail" that is no image', async () => {
    const res = await get(hs2, `${AUTHED}/thumbnail/legacy.test/oldmedia`, { token: bob.accessToken, query: { width: '30', height: '30', method: 'scale' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect([...res.bytes]).toEqual([...PEER_THUMBNAIL]);
    const asked = peerRequests('legacy.test').filter((r) => r.url.includes('/thumbnail/')).map((r) => new URL(r.url, 'https://x'));
    expect(asked.map((u) => u.pathname)).toEqual(['/_matrix/federation/v1/media/thumbnail/oldmedia', '/_matrix/media/v3/thumbnail/legacy.test/oldmedia']);
    // The size asked of the remote is the snapped one.
    expect([asked[1]!.searchParams.get('width'), asked[1]!.searchParams.get('height'), asked[1]!.searchParams.get('method')]).toEqual(['32', '32', 'scale']);

    const html = await get(hs2, `${AUTHED}/thumbnail/legacy.test/htmlthumb`, { token: bob.accessToken, query: { width: '32', height: '32' } });
    expect(html.status).toBe(502);
    expect(html.body.errcode).toBe('M_UNKNOWN');
  });

  it('follows a Location answer to the same target, unsigned, and refuses other private addresses and plain http', async () => {
    const res = await get(hs2, `${AUTHED}/download/tricky.test/sametarget`, { token: bob.accessToken });
    expect(res.status).toBe(200);
    expect(res.bytes.toString()).toBe('from the cdn');
    expect(res.headers['content-disposition']).toBe('inline; filename="cdn.txt"');
    const cdn = peer.requests.filter((r) => r.url === '/cdn/file');
    expect(cdn).toHaveLength(1);
    expect(cdn[0]!.headers.authorization).toBeUndefined();

    for (const id of ['tovictim', 'plainhttp']) {
      const refused = await get(hs2, `${AUTHED}/download/tricky.test/${id}`, { token: bob.accessToken });
      expect(refused.status, id).toBe(502);
      expect(refused.body.errcode).toBe('M_UNKNOWN');
    }
    expect(victim.requests).toHaveLength(0);
    expect(peer.requests.filter((r) => r.url === '/cdn/file')).toHaveLength(1);
  });

  it('refuses a streamed answer over max_upload_size, and malformed answers', async () => {
    const endless = await get(hs2, `${AUTHED}/download/tricky.test/endless`, { token: bob.accessToken });
    expect(endless.status).toBe(502);
    expect(endless.body.errcode).toBe('M_TOO_LARGE');
    const onePart = await get(hs2, `${AUTHED}/download/tricky.test/onepart`, { token: bob.accessToken });
    expect(onePart.status).toBe(502);
    expect(onePart.body.errcode).toBe('M_UNKNOWN');
  });

  it('answers 502 M_UNKNOWN for an unreachable server, and for one that does not answer within timeout_ms', async () => {
    const dead = await get(hs2, `${AUTHED}/download/dead.test/whatever`, { token: bob.accessToken });
    expect(dead.status).toBe(502);
    expect(dead.body.errcode).toBe('M_UNKNOWN');

    const started = Date.now();
    const slow = await get(hs2, `${AUTHED}/download/slow.test/whatever`, { token: bob.accessToken, query: { timeout_ms: '0' } });
    const took = Date.now() - started;
    expect(slow.status).toBe(502);
    expect(slow.body.errcode).toBe('M_UNKNOWN');
    // timeout_ms plus the few seconds the remote is given to answer, not the 10 s client timeout.
    expect(took).toBeLessThan(9_000);
    expect(new URL(peerRequests('slow.test')[0]!.url, 'https://x').searchParams.get('timeout_ms')).toBe('0');

    const badTimeout = await get(hs2, `${AUTHED}/download/slow.test/whatever`, { token: bob.accessToken, query: { timeout_ms: '-5' } });
    expect(badTimeout.status).toBe(400);
    expect(badTimeout.body.errcode).toBe('M_INVALID_PARAM');
  }, 20_000);
});
