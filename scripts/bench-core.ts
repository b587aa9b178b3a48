import { randomBytes, sign as cryptoSign, verify as cryptoVerify, createPrivateKey, createPublicKey } from 'node:crypto';
import nacl from 'tweetnacl';
import { canonicalJson } from '../src/core/canonical-json.js';
import { hashAndSignEvent, verifyEventSignatures } from '../src/core/events/signing.js';
import { validatePdu } from '../src/core/events/pdu.js';
import { contentHashMatches } from '../src/core/hashes.js';
import type { JsonObject } from '../src/core/json.js';
import { requireRoomVersion } from '../src/core/room-versions.js';
import { signJson, signingKeyFromSeed } from '../src/core/signing.js';

/** Runs `fn` repeatedly for about `ms` milliseconds and returns operations per second. */
export function opsPerSecond(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 50; i++) fn(); // warm up the JIT
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 20; i++) fn();
    count += 20;
    elapsed = performance.now() - start;
  }
  return Math.round((count / elapsed) * 1000);
}

/** A message PDU of realistic size, as a Matrix client would send one. */
function samplePdu(): JsonObject {
  return {
    room_id: '!9pOLnVAzBUe8XF0t3nJ0sVzErsMcBAE5ptzKU2yxzeo',
    sender: '@alice:example.org',
    type: 'm.room.message',
    origin_server_ts: 1_700_000_000_000,
    depth: 12345,
    prev_events: ['$Pm0HJTAcoSNp0YyzUQ1Wpt3H4W2xmIXC_J5nxjWm1pI'],
    auth_events: [
      '$oGZpl0YCyNnqC3zkMTiMWnN9WgLe2eDbmyhx5mjhrRA',
      '$ArUZEnx9uzKoYUGyYZjAB0aFXyjZe5qaLY7N5B3AVcM',
      '$Wb4lmNGH5e1Mm0cmt3NH0W3BfhqI0wXpUlGStwcJt5w',
    ],
    content: {
      msgtype: 'm.text',
      body: 'The quick brown fox jumps over the lazy dog, then reads the Matrix specification twice.',
    },
    hashes: {},
    signatures: {},
    unsigned: { age_ts: 1_700_000_000_000 },
  };
}

export interface CoreFigures {
  canonicalizeAndSignPerSec: number;
  rawVerifyPerSec: number;
  rawSignPerSec: number;
  pduVerifyPerSec: number;
  pduVerifyRatio: number;
  tweetnaclSignPerSec: number;
  tweetnaclVerifyPerSec: number;
}

export function benchCore(): CoreFigures {
  const version = requireRoomVersion('12');
  const seed = randomBytes(32);
  const key = signingKeyFromSeed(seed, 'ed25519:bench');
  const pdu = samplePdu();

  const canonicalizeAndSignPerSec = opsPerSecond(() => {
    signJson(pdu, 'example.org', key);
  });

  // Raw node:crypto on a message the size of a redacted PDU's signing bytes.
  const message = Buffer.from(canonicalJson(pdu));
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const rawSignature = cryptoSign(null, message, privateKey);
  const rawSignPerSec = opsPerSecond(() => {
    cryptoSign(null, message, privateKey);
  });
  const rawVerifyPerSec = opsPerSecond(() => {
    if (!cryptoVerify(null, message, publicKey, rawSignature)) throw new Error('raw verify failed');
  });

  // What a server does for each inbound PDU before the auth rules: format, content hash, signature.
  const signed = hashAndSignEvent(pdu, 'example.org', key, version);
  const wire = JSON.stringify(signed);
  const lookupKey = (server: string, keyId: string): Uint8Array | undefined =>
    server === 'example.org' && keyId === key.keyId ? key.publicKey : undefined;
  const pduVerifyPerSec = opsPerSecond(() => {
    const parsed = validatePdu(JSON.parse(wire), version);
    if (!contentHashMatches(parsed, version)) throw new Error('content hash mismatch');
    if (!verifyEventSignatures(parsed, version, lookupKey).ok) throw new Error('signature check failed');
  });

  // tweetnacl, the pure-JS alternative, for the README's note on why node:crypto is used.
  const naclPair = nacl.sign.keyPair.fromSeed(seed);
  const naclSignature = nacl.sign.detached(message, naclPair.secretKey);
  const tweetnaclSignPerSec = opsPerSecond(() => {
    nacl.sign.detached(message, naclPair.secretKey);
  }, 500);
  const tweetnaclVerifyPerSec = opsPerSecond(() => {
    if (!nacl.sign.detached.verify(message, naclSignature, naclPair.publicKey)) throw new Error('nacl verify failed');
  }, 500);

  return {
    canonicalizeAndSignPerSec,
    rawVerifyPerSec,
    rawSignPerSec,
    pduVerifyPerSec,
    pduVerifyRatio: Math.round((rawVerifyPerSec / pduVerifyPerSec) * 100) / 100,
    tweetnaclSignPerSec,
    tweetnaclVerifyPerSec,
  };
}
