/**
 * The TLS pre-shared key of a sensor (CoAP over TLS, RFC 8323; src/transport/coap/tcp/), derived
 * from its OSCORE Master Secret and Salt so one set of credentials serves both transports:
 *
 *   identity = the sensor's Sender ID (its OSCORE kid) in lower-case hex
 *   key      = base64url(HKDF-SHA256(Master Secret, Master Salt, "lattice coap+tls psk", 16))
 *
 * The key is used as the UTF-8 bytes of that 22-character string, because libcoap's
 * coap-client (4.3.1) takes `-k` as text. Those 22 characters carry the 128 derived bits.
 */

import { hkdfSync } from 'node:crypto';

const INFO = Buffer.from('lattice coap+tls psk', 'utf8');

export function tlsPskIdentity(senderId: Buffer): string {
  return senderId.toString('hex');
}

export function tlsPskKey(masterSecret: Buffer, masterSalt: Buffer): string {
  return Buffer.from(hkdfSync('sha256', masterSecret, masterSalt, INFO, 16)).toString('base64url');
}
