// X-Matrix Authorization header parsing (server-server API "Request Authentication", RFC 9110
// §11.4 credentials): what compliant and older senders write, and what must be refused.
import { describe, expect, it } from 'vitest';
import { formatXMatrixHeader, isXMatrixHeader, parseXMatrixHeader, XMatrixHeaderError } from '../../src/core/x-matrix.js';

const SIG = 'dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ';

describe('parseXMatrixHeader', () => {
  it('reads the form the spec recommends senders use', () => {
    expect(parseXMatrixHeader(`X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="${SIG}"`)).toEqual({
      origin: 'origin.hs.example.com',
      destination: 'destination.hs.example.com',
      key: 'ed25519:key1',
      sig: SIG,
    });
  });

  it('treats the scheme and parameter names case-insensitively', () => {
    const parsed = parseXMatrixHeader(`x-matrix ORIGIN="a.example",Destination="b.example",KeY="ed25519:k",SIG="${SIG}"`);
    expect(parsed).toEqual({ origin: 'a.example', destination: 'b.example', key: 'ed25519:k', sig: SIG });
  });

  it('allows several spaces after the scheme and whitespace around commas and "="', () => {
    const parsed = parseXMatrixHeader(`X-Matrix    origin = "a.example" ,\tkey= "ed25519:k" ,  sig ="${SIG}"  `);
    expect(parsed).toEqual({ origin: 'a.example', destination: undefined, key: 'ed25519:k', sig: SIG });
  });

  it('accepts empty list elements', () => {
    expect(parseXMatrixHeader(`X-Matrix ,origin="a.example",,key="ed25519:k", ,sig="${SIG}",`).origin).toBe('a.example');
  });

  it('unescapes quoted-pairs in quoted strings', () => {
    const parsed = parseXMatrixHeader(`X-Matrix origin="a\\.example",key="ed25519:k",sig="${SIG}",note="say \\"hi\\" \\\\ bye"`);
    expect(parsed.origin).toBe('a.example');
  });

  it('keeps commas and equals signs inside quoted strings', () => {
    const parsed = parseXMatrixHeader(`X-Matrix note="a,b=c",origin="a.example",key="ed25519:k",sig="${SIG}"`);
    expect(parsed.origin).toBe('a.example');
  });

  it('accepts unquoted token values, including the colons older servers send unquoted', () => {
    const parsed = parseXMatrixHeader(`X-Matrix origin=a.example:8448,destination=b.example,key=ed25519:k,sig="${SIG}"`);
    expect(parsed).toEqual({ origin: 'a.example:8448', destination: 'b.example', key: 'ed25519:k', sig: SIG });
  });

  it('ignores unknown parameters', () => {
    expect(parseXMatrixHeader(`X-Matrix future=thing,origin="a.example",key="ed25519:k",sig="${SIG}"`).key).toBe('ed25519:k');
  });

  it('leaves destination undefined when an older sender omits it', () => {
    expect(parseXMatrixHeader(`X-Matrix origin="a.example",key="ed25519:k",sig="${SIG}"`).destination).toBeUndefined();
  });

  const malformed: [string, string][] = [
    ['another scheme', `Bearer abc`],
    ['no space after the scheme', `X-Matrixorigin="a",key="ed25519:k",sig="${SIG}"`],
    ['a missing origin', `X-Matrix key="ed25519:k",sig="${SIG}"`],
    ['a missing key', `X-Matrix origin="a.example",sig="${SIG}"`],
    ['a missing sig', `X-Matrix origin="a.example",key="ed25519:k"`],
    ['an empty origin', `X-Matrix origin="",key="ed25519:k",sig="${SIG}"`],
    ['a repeated parameter', `X-Matrix origin="a.example",origin="b.example",key="ed25519:k",sig="${SIG}"`],
    ['a repeated parameter differing in case', `X-Matrix origin="a.example",Origin="a.example",key="ed25519:k",sig="${SIG}"`],
    ['an unterminated quoted string', `X-Matrix origin="a.example,key="ed25519:k",sig="${SIG}`],
    ['a parameter without "="', `X-Matrix origin "a.example",key="ed25519:k",sig="${SIG}"`],
    ['a parameter without a value', `X-Matrix origin=,key="ed25519:k",sig="${SIG}"`],
    ['parameters not separated by a comma', `X-Matrix origin="a.example" key="ed25519:k",sig="${SIG}"`],
    ['a control character in a quoted string', `X-Matrix origin="a\u0001example",key="ed25519:k",sig="${SIG}"`],
    ['a dangling backslash', `X-Matrix origin="a.example\\`],
    ['a token68 instead of parameters', `X-Matrix dGhpcw==`],
    ['an empty header after the scheme', `X-Matrix`],
  ];
  for (const [what, header] of malformed) {
    it(`refuses ${what}`, () => {
      expect(() => parseXMatrixHeader(header)).toThrow(XMatrixHeaderError);
    });
  }
});

describe('isXMatrixHeader', () => {
  it('recognises the scheme in any case, and nothing else', () => {
    expect(isXMatrixHeader('X-Matrix origin="a"')).toBe(true);
    expect(isXMatrixHeader('x-MATRIX origin="a"')).toBe(true);
    expect(isXMatrixHeader('Bearer syt_abc')).toBe(false);
    expect(isXMatrixHeader('X-Matrixy origin="a"')).toBe(false);
  });
});

describe('formatXMatrixHeader', () => {
  it('writes the compatible form and round-trips through the parser, escaping quotes', () => {
    const credentials = { origin: 'a.example:8448', destination: 'b.example', key: 'ed25519:k', sig: SIG };
    const header = formatXMatrixHeader(credentials);
    expect(header).toBe(`X-Matrix origin="a.example:8448",destination="b.example",key="ed25519:k",sig="${SIG}"`);
    expect(parseXMatrixHeader(header)).toEqual(credentials);
    const odd = { ...credentials, origin: 'we"ird\\name' };
    expect(parseXMatrixHeader(formatXMatrixHeader(odd)).origin).toBe('we"ird\\name');
  });
});
