// RFC 8613 Appendix C test vectors, typed in from the RFC text and checked byte for byte:
// C.1–C.3 key derivation (info, keys, Common IV, nonces), C.4–C.6 protected requests,
// C.7–C.8 protected responses. The whole-message checks run the request/response through
// our message-layer codec (coap-packet + our option order), so the outer message is exact too.
import { describe, expect, it } from 'vitest';
import { encStructure, externalAad } from '../../src/core/oscore/aad.js';
import { aeadDecrypt, aeadEncrypt } from '../../src/core/oscore/algorithm.js';
import { kdfInfo } from '../../src/core/oscore/key-derivation.js';
import { encodePlaintext } from '../../src/core/oscore/message-parts.js';
import { buildNonce, encodePartialIv } from '../../src/core/oscore/nonce.js';
import { decodeOscoreOption, encodeOscoreOption } from '../../src/core/oscore/option-value.js';
import { protectRequest, protectResponse, unprotectRequest, unprotectResponse } from '../../src/core/oscore/protect.js';
import { createSecurityContext, type SecurityContext } from '../../src/core/oscore/security-context.js';
import { decodeMessage, encodeMessage, type CoapMessage } from '../../src/transport/coap/message.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/^0x/, ''), 'hex');
const MASTER_SECRET = hex('0102030405060708090a0b0c0d0e0f10');
const MASTER_SALT = hex('9e7ca92223786340');
const ID_CONTEXT = hex('37cbf3210017a2d3');
const EMPTY = Buffer.alloc(0);

interface KdfVector {
  readonly name: string;
  readonly salt: Buffer;
  readonly idContext: Buffer | undefined;
  readonly senderId: Buffer;
  readonly recipientId: Buffer;
  readonly senderInfo: string;
  readonly recipientInfo: string;
  readonly ivInfo: string;
  readonly senderKey: string;
  readonly recipientKey: string;
  readonly commonIv: string;
  readonly senderNonce: string;
  readonly recipientNonce: string;
}

const KDF_VECTORS: readonly KdfVector[] = [
  {
    name: 'C.1.1 client, with Master Salt',
    salt: MASTER_SALT, idContext: undefined, senderId: EMPTY, recipientId: hex('01'),
    senderInfo: '8540f60a634b657910', recipientInfo: '854101f60a634b657910', ivInfo: '8540f60a6249560d',
    senderKey: 'f0910ed7295e6ad4b54fc793154302ff', recipientKey: 'ffb14e093c94c9cac9471648b4f98710', commonIv: '4622d4dd6d944168eefb54987c',
    senderNonce: '4622d4dd6d944168eefb54987c', recipientNonce: '4722d4dd6d944169eefb54987c',
  },
  {
    name: 'C.1.2 server, with Master Salt',
    salt: MASTER_SALT, idContext: undefined, senderId: hex('01'), recipientId: EMPTY,
    senderInfo: '854101f60a634b657910', recipientInfo: '8540f60a634b657910', ivInfo: '8540f60a6249560d',
    senderKey: 'ffb14e093c94c9cac9471648b4f98710', recipientKey: 'f0910ed7295e6ad4b54fc793154302ff', commonIv: '4622d4dd6d944168eefb54987c',
    senderNonce: '4722d4dd6d944169eefb54987c', recipientNonce: '4622d4dd6d944168eefb54987c',
  },
  {
    name: 'C.2.1 client, without Master Salt',
    salt: EMPTY, idContext: undefined, senderId: hex('00'), recipientId: hex('01'),
    senderInfo: '854100f60a634b657910', recipientInfo: '854101f60a634b657910', ivInfo: '8540f60a6249560d',
    senderKey: '321b26943253c7ffb6003b0b64d74041', recipientKey: 'e57b5635815177cd679ab4bcec9d7dda', commonIv: 'be35ae297d2dace910c52e99f9',
    senderNonce: 'bf35ae297d2dace910c52e99f9', recipientNonce: 'bf35ae297d2dace810c52e99f9',
  },
  {
    name: 'C.2.2 server, without Master Salt',
    salt: EMPTY, idContext: undefined, senderId: hex('01'), recipientId: hex('00'),
    senderInfo: '854101f60a634b657910', recipientInfo: '854100f60a634b657910', ivInfo: '8540f60a6249560d',
    senderKey: 'e57b5635815177cd679ab4bcec9d7dda', recipientKey: '321b26943253c7ffb6003b0b64d74041', commonIv: 'be35ae297d2dace910c52e99f9',
    senderNonce: 'bf35ae297d2dace810c52e99f9', recipientNonce: 'bf35ae297d2dace910c52e99f9',
  },
  {
    name: 'C.3.1 client, with ID Context',
    salt: MASTER_SALT, idContext: ID_CONTEXT, senderId: EMPTY, recipientId: hex('01'),
    senderInfo: '85404837cbf3210017a2d30a634b657910', recipientInfo: '8541014837cbf3210017a2d30a634b657910', ivInfo: '85404837cbf3210017a2d30a6249560d',
    senderKey: 'af2a1300a5e95788b356336eeecd2b92', recipientKey: 'e39a0c7c77b43f03b4b39ab9a268699f', commonIv: '2ca58fb85ff1b81c0b7181b85e',
    senderNonce: '2ca58fb85ff1b81c0b7181b85e', recipientNonce: '2da58fb85ff1b81d0b7181b85e',
  },
  {
    name: 'C.3.2 server, with ID Context',
    salt: MASTER_SALT, idContext: ID_CONTEXT, senderId: hex('01'), recipientId: EMPTY,
    senderInfo: '8541014837cbf3210017a2d30a634b657910', recipientInfo: '85404837cbf3210017a2d30a634b657910', ivInfo: '85404837cbf3210017a2d30a6249560d',
    senderKey: 'e39a0c7c77b43f03b4b39ab9a268699f', recipientKey: 'af2a1300a5e95788b356336eeecd2b92', commonIv: '2ca58fb85ff1b81c0b7181b85e',
    senderNonce: '2da58fb85ff1b81d0b7181b85e', recipientNonce: '2ca58fb85ff1b81c0b7181b85e',
  },
];

function contextOf(v: Pick<KdfVector, 'salt' | 'idContext' | 'senderId' | 'recipientId'>): SecurityContext {
  return createSecurityContext({ masterSecret: MASTER_SECRET, masterSalt: v.salt, idContext: v.idContext, senderId: v.senderId, recipientId: v.recipientId });
}

describe('RFC 8613 C.1–C.3: key derivation', () => {
  for (const v of KDF_VECTORS) {
    it(v.name, () => {
      expect(kdfInfo(v.senderId, v.idContext, 'Key', 16).toString('hex')).toBe(v.senderInfo);
      expect(kdfInfo(v.recipientId, v.idContext, 'Key', 16).toString('hex')).toBe(v.recipientInfo);
      expect(kdfInfo(EMPTY, v.idContext, 'IV', 13).toString('hex')).toBe(v.ivInfo);
      const context = contextOf(v);
      expect(context.senderKey.toString('hex')).toBe(v.senderKey);
      expect(context.recipientKey.toString('hex')).toBe(v.recipientKey);
      expect(context.commonIv.toString('hex')).toBe(v.commonIv);
      // "From the previous parameters and a Partial IV equal to 0 (both for sender and recipient)"
      expect(buildNonce(context.senderId, hex('00'), context.commonIv).toString('hex')).toBe(v.senderNonce);
      expect(buildNonce(context.recipientId, hex('00'), context.commonIv).toString('hex')).toBe(v.recipientNonce);
    });
  }
});

/** A datagram → the message our transport sees; and back to bytes (exact: our encoder + coap-packet). */
function parse(datagram: string): CoapMessage {
  const decoded = decodeMessage(hex(datagram));
  if (!decoded.ok) throw new Error('vector does not decode');
  return decoded.message;
}
function wire(message: CoapMessage): string {
  return encodeMessage(message).toString('hex');
}

interface RequestVector {
  readonly name: string;
  readonly client: KdfVector;
  readonly server: KdfVector;
  readonly unprotected: string;
  readonly aadArray: string;
  readonly aad: string;
  readonly nonce: string;
  readonly optionValue: string;
  readonly ciphertext: string;
  readonly protectedRequest: string;
  readonly kidContext: boolean;
}

const [C11, C12, C21, C22, C31, C32] = KDF_VECTORS as [KdfVector, KdfVector, KdfVector, KdfVector, KdfVector, KdfVector];

const REQUEST_VECTORS: readonly RequestVector[] = [
  {
    name: 'C.4 request, key from C.1.1, sequence number 20',
    client: C11, server: C12,
    unprotected: '44015d1f00003974396c6f63616c686f737483747631',
    aadArray: '8501810a40411440', aad: '8368456e63727970743040488501810a40411440',
    nonce: '4622d4dd6d944168eefb549868', optionValue: '0914', ciphertext: '612f1092f1776f1c1668b3825e',
    protectedRequest: '44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e',
    kidContext: false,
  },
  {
    name: 'C.5 request, key from C.2.1, sequence number 20',
    client: C21, server: C22,
    unprotected: '440171c30000b932396c6f63616c686f737483747631',
    aadArray: '8501810a4100411440', aad: '8368456e63727970743040498501810a4100411440',
    nonce: 'bf35ae297d2dace910c52e99ed', optionValue: '091400', ciphertext: '4ed339a5a379b0b8bc731fffb0',
    protectedRequest: '440271c30000b932396c6f63616c686f737463091400ff4ed339a5a379b0b8bc731fffb0',
    kidContext: false,
  },
  {
    name: 'C.6 request, key from C.3.1 (ID Context in the option), sequence number 20',
    client: C31, server: C32,
    unprotected: '44012f8eef9bbf7a396c6f63616c686f737483747631',
    aadArray: '8501810a40411440', aad: '8368456e63727970743040488501810a40411440',
    nonce: '2ca58fb85ff1b81c0b7181b84a', optionValue: '19140837cbf3210017a2d3', ciphertext: '72cd7273fd331ac45cffbe55c3',
    protectedRequest: '44022f8eef9bbf7a396c6f63616c686f73746b19140837cbf3210017a2d3ff72cd7273fd331ac45cffbe55c3',
    kidContext: true,
  },
];

describe('RFC 8613 C.4–C.6: protected requests', () => {
  for (const v of REQUEST_VECTORS) {
    it(v.name, () => {
      const client = contextOf(v.client);
      const piv = encodePartialIv(20);
      expect(piv.toString('hex')).toBe('14');
      expect(externalAad(client.senderId, piv).toString('hex')).toBe(v.aadArray);
      expect(encStructure(client.senderId, piv).toString('hex')).toBe(v.aad);
      expect(buildNonce(client.senderId, piv, client.commonIv).toString('hex')).toBe(v.nonce);
      // Only Uri-Path ("tv1") is Class E; Uri-Host stays outer.
      expect(encodePlaintext({ code: '0.01', options: [{ number: 11, value: Buffer.from('tv1') }], payload: EMPTY }).toString('hex')).toBe('01b3747631');
      expect(aeadEncrypt(client.senderKey, hex(v.nonce), hex(v.aad), hex('01b3747631')).toString('hex')).toBe(v.ciphertext);
      expect(encodeOscoreOption({ partialIv: piv, kid: client.senderId, kidContext: v.kidContext ? client.idContext : undefined }).toString('hex')).toBe(v.optionValue);

      const request = parse(v.unprotected);
      const { message } = protectRequest(client, 20, request, { includeKidContext: v.kidContext });
      expect(wire({ ...request, ...message })).toBe(v.protectedRequest);

      // And the server side recovers the original request from the protected bytes.
      const server = contextOf(v.server);
      const received = parse(v.protectedRequest);
      const header = decodeOscoreOption(received.options.find((o) => o.number === 9)!.value)!;
      expect(header.kid?.equals(client.senderId)).toBe(true);
      expect(header.kidContext?.toString('hex')).toBe(v.kidContext ? ID_CONTEXT.toString('hex') : undefined);
      const opened = unprotectRequest(server, header.partialIv!, received);
      if (!opened.ok) throw new Error(opened.reason);
      expect(wire({ ...received, ...opened.request })).toBe(v.unprotected);
    });
  }
});

describe('RFC 8613 C.7–C.8: protected responses to the C.4 request', () => {
  const unprotectedResponse = '64455d1f00003974ff48656c6c6f20576f726c6421';
  const binding = { kid: EMPTY, partialIv: hex('14') };

  it('C.7 response reusing the request nonce (empty OSCORE option)', () => {
    const server = contextOf(C12);
    const response = parse(unprotectedResponse);
    expect(encodePlaintext(response).toString('hex')).toBe('45ff48656c6c6f20576f726c6421');
    expect(aeadEncrypt(server.senderKey, hex('4622d4dd6d944168eefb549868'), hex('8368456e63727970743040488501810a40411440'), hex('45ff48656c6c6f20576f726c6421')).toString('hex')).toBe(
      'dbaad1e9a7e7b2a813d3c31524378303cdafae119106',
    );
    const protectedResponse = protectResponse(server, binding, response);
    expect(wire({ ...response, ...protectedResponse })).toBe('64445d1f0000397490ffdbaad1e9a7e7b2a813d3c31524378303cdafae119106');

    const client = contextOf(C11);
    const received = parse('64445d1f0000397490ffdbaad1e9a7e7b2a813d3c31524378303cdafae119106');
    const opened = unprotectResponse(client, binding, decodeOscoreOption(hex(''))!, received);
    expect(opened && wire({ ...received, ...opened })).toBe(unprotectedResponse);
  });

  it('C.8 response with the server\'s own Partial IV (sequence number 0)', () => {
    const server = contextOf(C12);
    const response = parse(unprotectedResponse);
    expect(buildNonce(server.senderId, hex('00'), server.commonIv).toString('hex')).toBe('4722d4dd6d944169eefb54987c');
    expect(encodeOscoreOption({ partialIv: hex('00'), kid: undefined, kidContext: undefined }).toString('hex')).toBe('0100');
    const protectedResponse = protectResponse(server, binding, response, 0);
    expect(wire({ ...response, ...protectedResponse })).toBe('64445d1f00003974920100ff4d4c13669384b67354b2b6175ff4b8658c666a6cf88e');

    const client = contextOf(C11);
    const received = parse('64445d1f00003974920100ff4d4c13669384b67354b2b6175ff4b8658c666a6cf88e');
    const opened = unprotectResponse(client, binding, decodeOscoreOption(hex('0100'))!, received);
    expect(opened && wire({ ...received, ...opened })).toBe(unprotectedResponse);
  });

  it('a flipped ciphertext bit, a wrong key or a different request binding does not verify', () => {
    const client = contextOf(C11);
    const good = hex('dbaad1e9a7e7b2a813d3c31524378303cdafae119106');
    const aad = hex('8368456e63727970743040488501810a40411440');
    const nonce = hex('4622d4dd6d944168eefb549868');
    expect(aeadDecrypt(client.recipientKey, nonce, aad, good)?.toString('hex')).toBe('45ff48656c6c6f20576f726c6421');
    const flipped = Buffer.from(good);
    flipped[3] = flipped[3]! ^ 1;
    expect(aeadDecrypt(client.recipientKey, nonce, aad, flipped)).toBeUndefined();
    expect(aeadDecrypt(client.senderKey, nonce, aad, good)).toBeUndefined();
    expect(aeadDecrypt(client.recipientKey, nonce, encStructure(EMPTY, hex('15')), good)).toBeUndefined();
  });
});
