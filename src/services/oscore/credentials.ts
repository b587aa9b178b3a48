/**
 * What a sensor stores to talk to us: its OSCORE context inputs (RFC 8613 §3.2: Master Secret,
 * Master Salt, Sender ID, Recipient ID; AES-CCM-16-64-128 and HKDF-SHA256 are the defaults, so
 * they are not spelled out), where the server is, and which Matrix identity it acts as.
 *
 * Two forms, same content:
 * - JSON with hex byte strings, for people and for firmware build scripts;
 * - one CBOR map with small integer keys, printed as hex, for a microcontroller to keep in flash
 *   as it is (≈ 90–130 bytes, depending on host, IDs and room):
 *
 *     1 master secret (bstr)   2 master salt (bstr)   3 sender ID (bstr, the sensor's)
 *     4 recipient ID (bstr, the server's)   5 CoAP host (tstr)   6 CoAP port (uint)
 *     7 user ID (tstr)   8 device ID (tstr)   9 room ID (tstr, optional)
 *
 * The access token of the sensor's device is deliberately absent: the OSCORE context is the
 * credential, so the token never needs to leave the server.
 */

import { Decoder, Encoder } from 'cbor-x';
import type { JsonObject } from '../../core/json.js';
import { tlsPskIdentity, tlsPskKey } from './tls-psk.js';

export interface SensorCredentials {
  readonly userId: string;
  readonly deviceId: string;
  readonly roomId: string | undefined;
  readonly coap: { readonly host: string; readonly port: number };
  readonly masterSecret: Buffer;
  readonly masterSalt: Buffer;
  /** The sensor's Sender ID: the kid in its requests. */
  readonly senderId: Buffer;
  /** The server's Sender ID (the sensor's Recipient ID). */
  readonly recipientId: Buffer;
}

const Key = {
  masterSecret: 1,
  masterSalt: 2,
  senderId: 3,
  recipientId: 4,
  host: 5,
  port: 6,
  userId: 7,
  deviceId: 8,
  roomId: 9,
} as const;

const encoder = new Encoder({ useRecords: false, mapsAsObjects: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

export function credentialsToCbor(c: SensorCredentials): Buffer {
  const map = new Map<number, Buffer | string | number>([
    [Key.masterSecret, c.masterSecret],
    [Key.masterSalt, c.masterSalt],
    [Key.senderId, c.senderId],
    [Key.recipientId, c.recipientId],
    [Key.host, c.coap.host],
    [Key.port, c.coap.port],
    [Key.userId, c.userId],
    [Key.deviceId, c.deviceId],
  ]);
  if (c.roomId !== undefined) map.set(Key.roomId, c.roomId);
  return Buffer.from(encoder.encode(map));
}

export function credentialsFromCbor(bytes: Buffer): SensorCredentials {
  const map: unknown = decoder.decode(bytes);
  if (!(map instanceof Map)) throw new TypeError('sensor credentials: not a CBOR map');
  const bytesAt = (key: number): Buffer => {
    const value: unknown = map.get(key);
    if (!(value instanceof Uint8Array)) throw new TypeError(`sensor credentials: key ${key} is not a byte string`);
    return Buffer.from(value);
  };
  const textAt = (key: number): string => {
    const value: unknown = map.get(key);
    if (typeof value !== 'string') throw new TypeError(`sensor credentials: key ${key} is not a text string`);
    return value;
  };
  const port: unknown = map.get(Key.port);
  if (typeof port !== 'number') throw new TypeError('sensor credentials: no port');
  return {
    masterSecret: bytesAt(Key.masterSecret),
    masterSalt: bytesAt(Key.masterSalt),
    senderId: bytesAt(Key.senderId),
    recipientId: bytesAt(Key.recipientId),
    coap: { host: textAt(Key.host), port },
    userId: textAt(Key.userId),
    deviceId: textAt(Key.deviceId),
    roomId: map.has(Key.roomId) ? textAt(Key.roomId) : undefined,
  };
}

export function credentialsToJson(c: SensorCredentials): JsonObject {
  const out: JsonObject = {
    user_id: c.userId,
    device_id: c.deviceId,
    coap: { host: c.coap.host, port: c.coap.port },
    oscore: {
      master_secret: c.masterSecret.toString('hex'),
      master_salt: c.masterSalt.toString('hex'),
      sender_id: c.senderId.toString('hex'),
      recipient_id: c.recipientId.toString('hex'),
      aead_alg: 10,
      hkdf: 'HKDF-SHA-256',
    },
    // CoAP over TLS (RFC 8323) for devices without OSCORE, e.g. libcoap: coaps+tcp://host:port
    tls_psk: { identity: tlsPskIdentity(c.senderId), key: tlsPskKey(c.masterSecret, c.masterSalt) },
    cbor: credentialsToCbor(c).toString('hex'),
  };
  if (c.roomId !== undefined) out['room_id'] = c.roomId;
  return out;
}
