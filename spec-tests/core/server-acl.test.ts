// m.room.server_acl evaluation (C-S "Server Access Control Lists"): globs, ports, IP literals,
// malformed content failing closed as the spec says.
import { describe, expect, it } from 'vitest';
import { globToRegExp, parseServerAcl, serverAclOf, serverAllowedByAcl } from '../../src/core/server-acl.js';

const allowed = (content: Record<string, unknown>, server: string) => serverAllowedByAcl(parseServerAcl(content as never), server);

describe('server ACL globs', () => {
  it('* matches any run, ? one character, the rest literally and case-insensitively', () => {
    expect(globToRegExp('*.example.org').test('matrix.example.org')).toBe(true);
    expect(globToRegExp('*.example.org').test('example.org')).toBe(false);
    expect(globToRegExp('ex?mple.org').test('exAmple.org')).toBe(true);
    expect(globToRegExp('ex?mple.org').test('exmple.org')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('EVIL.com').test('evil.COM')).toBe(true);
    expect(globToRegExp('(x)+[y]').test('(x)+[y]')).toBe(true);
    // Many stars stay linear.
    expect(globToRegExp('*'.repeat(200) + 'z').test('a'.repeat(5000))).toBe(false);
  });
});

describe('evaluating an ACL', () => {
  const acl = { allow: ['*'], deny: ['evil.com', '*.evil.com'], allow_ip_literals: false };

  it('deny wins over allow; unlisted servers need an allow', () => {
    expect(allowed(acl, 'good.org')).toBe(true);
    expect(allowed(acl, 'evil.com')).toBe(false);
    expect(allowed(acl, 'sub.evil.com')).toBe(false);
    expect(allowed({ allow: ['good.org'] }, 'other.org')).toBe(false);
    expect(allowed({ allow: ['good.org'] }, 'good.org')).toBe(true);
  });

  it('compares names without their port', () => {
    expect(allowed(acl, 'evil.com:8448')).toBe(false);
    expect(allowed({ allow: ['good.org'] }, 'good.org:443')).toBe(true);
  });

  it('IP literals: denied when allow_ip_literals is false, allowed by default', () => {
    expect(allowed(acl, '1.2.3.4')).toBe(false);
    expect(allowed(acl, '[::1]:8448')).toBe(false);
    expect(allowed({ allow: ['*'] }, '1.2.3.4')).toBe(true);
    expect(allowed({ allow: ['*'], allow_ip_literals: 'no' }, '1.2.3.4')).toBe(true);
    expect(allowed({ allow: ['[::1]'] }, '[::1]:8448')).toBe(true);
  });

  it('malformed content fails closed: no allow list allows nobody; junk entries are ignored', () => {
    expect(allowed({}, 'good.org')).toBe(false);
    expect(allowed({ allow: 'good.org' }, 'good.org')).toBe(false);
    expect(allowed({ allow: [1, null, 'good.org'], deny: [{}] }, 'good.org')).toBe(true);
    expect(serverAllowedByAcl(serverAclOf(undefined), 'good.org')).toBe(false);
    expect(allowed({ allow: ['*'] }, 'not a server name')).toBe(false);
  });
});
