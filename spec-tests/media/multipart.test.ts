// The multipart/mixed parser of federation media answers (server-server content_repository.yaml)
// and the header readers around it: well-formed answers in the shapes servers send, and hostile
// or broken ones, each refused with a MultipartError and never guessed at.
import { describe, expect, it } from 'vitest';
import { boundaryOf, MULTIPART_LIMITS, MultipartError, parseMediaMultipart } from '../../src/services/media/multipart.js';
import { fileNameOf, remoteContentType } from '../../src/services/media/remote-headers.js';
import { isUnknownEndpoint } from '../../src/services/media/remote-fetch.js';
import { snapThumbnail } from '../../src/services/media/thumbnail-size.js';
import { sniffFormat } from '../../src/services/media/thumbnailer.js';

const B = 'a1b2c3d4e5f6';
const TYPE = `multipart/mixed; boundary=${B}`;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** A well-formed answer: JSON part, then the media part with these headers and body. */
function answer(mediaHeaders: string, body: string | Uint8Array, boundary = B): Uint8Array {
  const head = bytes(`--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\n${mediaHeaders}\r\n\r\n`);
  const content = typeof body === 'string' ? bytes(body) : body;
  return Buffer.concat([head, content, bytes(`\r\n--${boundary}--\r\n`)]);
}

function refused(contentType: string | undefined, body: Uint8Array | string): string {
  try {
    parseMediaMultipart(contentType, typeof body === 'string' ? bytes(body) : body);
  } catch (err) {
    expect(err).toBeInstanceOf(MultipartError);
    return (err as Error).message;
  }
  throw new Error('parsed, expected a MultipartError');
}

describe('boundaryOf', () => {
  it('reads plain and quoted boundaries, case-insensitively, among other parameters', () => {
    expect(boundaryOf(`multipart/mixed; boundary=${B}`)).toBe(B);
    expect(boundaryOf(`Multipart/Mixed; charset=utf-8; BOUNDARY="with space:and=(ok)"`)).toBe('with space:and=(ok)');
    // A quoted semicolon does not end the parameter (and is then no boundary character).
    expect(() => boundaryOf('multipart/mixed; boundary="a;b"; x=y')).toThrow(/RFC 2046/);
    expect(boundaryOf(`multipart/mixed;boundary=x`)).toBe('x');
  });

  it('refuses a missing, empty, too long or invalid boundary, and other types', () => {
    for (const type of [
      undefined,
      'multipart/mixed',
      'multipart/mixed; boundary=',
      'multipart/mixed; boundary=""',
      `multipart/mixed; boundary=${'x'.repeat(71)}`,
      'multipart/mixed; boundary=bad\u00e9',
      'multipart/mixed; boundary="ends with space "',
      'multipart/mixed; boundary=a; boundary=b',
      'multipart/mixed; boundary="unterminated',
      'multipart/form-data; boundary=x',
      'application/json',
    ]) {
      expect(() => boundaryOf(type), String(type)).toThrow(MultipartError);
    }
    expect(boundaryOf(`multipart/mixed; boundary=${'x'.repeat(70)}`)).toHaveLength(70);
  });
});

describe('parseMediaMultipart', () => {
  it('reads the metadata and the media bytes with their headers', () => {
    const parsed = parseMediaMultipart(TYPE, answer('Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline; filename="f.txt"', 'over federation'));
    expect(parsed.metadata).toEqual({});
    expect(parsed.media).toEqual({
      kind: 'bytes',
      contentType: 'text/plain; charset=utf-8',
      contentDisposition: 'inline; filename="f.txt"',
      bytes: bytes('over federation'),
    });
  });

  it('keeps binary bytes intact, including CRLFs and dashes that are not a delimiter', () => {
    const binary = new Uint8Array([0, 13, 10, 45, 45, 97, 49, 13, 10, 255, 254, 13, 10, 45, 45]);
    const parsed = parseMediaMultipart(TYPE, answer('Content-Type: application/octet-stream', binary));
    expect(parsed.media.kind === 'bytes' && [...parsed.media.bytes]).toEqual([...binary]);
  });

  it('accepts an empty file, a preamble, transport padding and an epilogue', () => {
    const empty = parseMediaMultipart(TYPE, answer('Content-Type: image/png', ''));
    expect(empty.media.kind === 'bytes' && empty.media.bytes.byteLength).toBe(0);
    const padded = `preamble\r\n--${B}  \r\nContent-Type: application/json; charset=utf-8\r\n\r\n{"k": 1}\r\n--${B}\t\r\nContent-Type: text/plain\r\n\r\nhi\r\n--${B}--\r\nepilogue`;
    const parsed = parseMediaMultipart(TYPE, bytes(padded));
    expect(parsed.metadata).toEqual({ k: 1 });
    expect(parsed.media.kind === 'bytes' && text(parsed.media.bytes)).toBe('hi');
  });

  it('reads a Location part (the media is elsewhere), with or without a body', () => {
    const parsed = parseMediaMultipart(TYPE, answer('Location: https://cdn.example/f?sig=1', ''));
    expect(parsed.media).toEqual({ kind: 'location', location: 'https://cdn.example/f?sig=1' });
    const noBlank = parseMediaMultipart(TYPE, bytes(`--${B}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${B}\r\nlocation: https://x.example/y\r\n\r\n\r\n--${B}--`));
    expect(noBlank.media).toEqual({ kind: 'location', location: 'https://x.example/y' });
  });

  it('leaves a media part without headers untyped', () => {
    const parsed = parseMediaMultipart(TYPE, bytes(`--${B}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${B}\r\n\r\nraw\r\n--${B}--`));
    expect(parsed.media).toEqual({ kind: 'bytes', contentType: undefined, contentDisposition: undefined, bytes: bytes('raw') });
  });

  it('refuses a body whose boundary is not the declared one', () => {
    expect(refused(TYPE, answer('Content-Type: text/plain', 'x', 'otherboundary'))).toMatch(/delimiter/);
    expect(refused('multipart/mixed', answer('Content-Type: text/plain', 'x'))).toMatch(/boundary/);
    expect(refused('text/plain', answer('Content-Type: text/plain', 'x'))).toMatch(/multipart/);
  });

  it('refuses truncated answers', () => {
    const whole = text(answer('Content-Type: text/plain', 'the file'));
    for (const cut of [0, 5, whole.indexOf('{}') + 1, whole.indexOf('the file') + 3, whole.length - `--${B}--\r\n`.length - 2]) {
      expect(() => parseMediaMultipart(TYPE, bytes(whole.slice(0, cut))), `cut at ${cut}`).toThrow(MultipartError);
    }
    expect(refused(TYPE, `--${B}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${B}\r\nContent-Type: text/plain\r\n`)).toMatch(/not terminated/);
  });

  it('refuses one part only, or more than two', () => {
    expect(refused(TYPE, `--${B}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${B}--\r\n`)).toMatch(/only one part/);
    expect(
      refused(TYPE, `--${B}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${B}\r\nContent-Type: text/plain\r\n\r\na\r\n--${B}\r\nContent-Type: text/plain\r\n\r\nb\r\n--${B}--`),
    ).toMatch(/more than two/);
  });

  it('refuses a first part that is not a JSON object', () => {
    const first = (headers: string, body: string): string => `--${B}\r\n${headers}\r\n\r\n${body}\r\n--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`;
    expect(refused(TYPE, first('Content-Type: text/plain', '{}'))).toMatch(/application\/json/);
    expect(refused(TYPE, first('Content-Type: application/json', '[1]'))).toMatch(/object/);
    expect(refused(TYPE, first('Content-Type: application/json', '{'))).toMatch(/not JSON/);
    expect(refused(TYPE, first('Content-Type: application/json', '"\udcff"'))).toMatch(/JSON/);
    const big = `{"pad":"${'x'.repeat(MULTIPART_LIMITS.maxMetadataBytes)}"}`;
    expect(refused(TYPE, first('Content-Type: application/json', big))).toMatch(/too large/);
  });

  it('refuses huge, numerous, folded, repeated or malformed part headers', () => {
    const huge = `X-Pad: ${'a'.repeat(MULTIPART_LIMITS.maxHeaderBytes)}`;
    expect(refused(TYPE, answer(`Content-Type: text/plain\r\n${huge}`, 'x'))).toMatch(/too large/);
    // Without an end of headers at all, the search stops at the bound.
    expect(refused(TYPE, `--${B}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${B}\r\nX: ${'b'.repeat(100_000)}`)).toMatch(/too large/);
    const many = Array.from({ length: MULTIPART_LIMITS.maxHeaders + 1 }, (_, i) => `X-H${i}: v`).join('\r\n');
    expect(refused(TYPE, answer(many, 'x'))).toMatch(/too many/);
    expect(refused(TYPE, answer('Content-Type: text/plain\r\n  folded', 'x'))).toMatch(/folded/);
    expect(refused(TYPE, answer('Content-Type: text/plain\r\ncontent-type: image/png', 'x'))).toMatch(/repeated/);
    expect(refused(TYPE, answer('no colon here', 'x'))).toMatch(/malformed/);
    expect(refused(TYPE, answer('Bad Name: x', 'x'))).toMatch(/malformed/);
    expect(refused(TYPE, answer('Content-Type: text/plain\x00', 'x'))).toMatch(/control/);
    expect(refused(TYPE, answer('Location:', ''))).toMatch(/Location/);
  });

  it('refuses a long preamble and a delimiter line with junk after it', () => {
    expect(refused(TYPE, `${'p'.repeat(MULTIPART_LIMITS.maxPreambleBytes + 10)}\r\n${text(answer('Content-Type: text/plain', 'x'))}`)).toMatch(/preamble/);
    expect(refused(TYPE, `--${B}junk\r\nContent-Type: application/json\r\n\r\n{}\r\n--${B}--`)).toMatch(/CRLF/);
  });
});

describe('remote media headers', () => {
  it('reads file names from Content-Disposition, preferring filename*', () => {
    expect(fileNameOf('inline; filename="f.txt"')).toBe('f.txt');
    expect(fileNameOf('attachment; filename=plain.bin')).toBe('plain.bin');
    expect(fileNameOf(`attachment; filename="fallback.bin"; filename*=utf-8''na%C3%AFve.bin`)).toBe('naïve.bin');
    expect(fileNameOf(`attachment; filename*=UTF-8''%E2%9C%93%20ok.txt`)).toBe('✓ ok.txt');
    expect(fileNameOf(`attachment; filename*=iso-8859-1'en'caf%E9.txt`)).toBe('café.txt');
    expect(fileNameOf('inline; filename="quo\\"ted.txt"')).toBe('quo"ted.txt');
    expect(fileNameOf('inline')).toBeNull();
    expect(fileNameOf(undefined)).toBeNull();
  });

  it('drops names it cannot read or should not keep', () => {
    expect(fileNameOf('inline; filename="unterminated')).toBeNull();
    expect(fileNameOf(`inline; filename*=utf-8''%FF%FE`)).toBe(null);
    expect(fileNameOf(`inline; filename*=koi8-r''abc`)).toBeNull();
    expect(fileNameOf(`inline; filename*=utf-8''a%0Ab`)).toBeNull();
    expect(fileNameOf(`inline; filename="${'n'.repeat(300)}"`)).toBeNull();
  });

  it('keeps plausible content types only', () => {
    expect(remoteContentType('image/png')).toBe('image/png');
    expect(remoteContentType(' text/plain; charset=utf-8 ')).toBe('text/plain; charset=utf-8');
    expect(remoteContentType('not a type')).toBeNull();
    expect(remoteContentType('')).toBeNull();
    expect(remoteContentType(undefined)).toBeNull();
    expect(remoteContentType(`image/${'x'.repeat(300)}`)).toBeNull();
  });

  it('tells an unknown endpoint from a real 404', () => {
    const res = (status: number, body: string): Parameters<typeof isUnknownEndpoint>[0] => ({ status, headers: {}, body: bytes(body) });
    expect(isUnknownEndpoint(res(404, '{"errcode":"M_UNRECOGNIZED","error":"no"}'))).toBe(true);
    expect(isUnknownEndpoint(res(405, '{"errcode":"M_UNRECOGNIZED","error":"no"}'))).toBe(true);
    expect(isUnknownEndpoint(res(404, ''))).toBe(true);
    expect(isUnknownEndpoint(res(404, '<html>Not Found</html>'))).toBe(true);
    expect(isUnknownEndpoint(res(405, ''))).toBe(true);
    expect(isUnknownEndpoint(res(404, '{"errcode":"M_NOT_FOUND","error":"no such media"}'))).toBe(false);
    expect(isUnknownEndpoint(res(400, '{"errcode":"M_UNRECOGNIZED","error":"no"}'))).toBe(false);
    expect(isUnknownEndpoint(res(502, ''))).toBe(false);
  });
});

describe('thumbnail sizes and formats', () => {
  it('snaps requests up to a short ladder, capped at the top step', () => {
    const snap = (width: number, height: number): [number, number] => {
      const s = snapThumbnail({ width, height, method: 'scale', animated: undefined });
      return [s.width, s.height];
    };
    expect(snap(1, 1)).toEqual([32, 32]);
    expect(snap(32, 33)).toEqual([32, 96]);
    expect(snap(100, 240)).toEqual([320, 320]);
    expect(snap(641, 5000)).toEqual([800, 800]);
  });

  it('recognises the four raster formats by their bytes only', () => {
    expect(sniffFormat(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('png');
    expect(sniffFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffFormat(bytes('GIF89a...'))).toBe('gif');
    expect(sniffFormat(bytes('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffFormat(bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffFormat(bytes('not-really-a-png'))).toBeUndefined();
    expect(sniffFormat(new Uint8Array())).toBeUndefined();
  });
});
