/**
 * Lattice's compression for sensors bound to a room: a Uri-Path segment that is just "!" (never
 * a valid room ID: those are "!" plus at least one character) names the room the sensor's
 * credentials were issued for, so a reading does not carry the 44-byte room ID every time.
 * Applied only to requests authenticated by a sensor's security context (OSCORE, TLS-PSK): the
 * room comes from the credential, never from anything an unauthenticated client says.
 */

import { Opt, type RawOption } from './options.js';

const BANG = 0x21;

export function withBoundRoom(options: readonly RawOption[], roomId: string | undefined): readonly RawOption[] {
  if (roomId === undefined) return options;
  return options.map((o) => (o.number === Opt.UriPath && o.value.length === 1 && o.value[0] === BANG ? { number: o.number, value: Buffer.from(roomId, 'utf8') } : o));
}
