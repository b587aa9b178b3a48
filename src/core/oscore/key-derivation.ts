/**
 * RFC 8613 §3.2: the Sender Key, Recipient Key and Common IV are derived from the Master Secret
 * and Master Salt with HKDF-SHA256, each with its own CBOR `info`:
 *   info = [ id : bstr, id_context : bstr / nil, alg_aead : int, type : "Key" / "IV", L : uint ]
 * An absent Master Salt is the empty byte string (HKDF then uses HashLen zero bytes, RFC 5869).
 */

import { hkdfSync } from 'node:crypto';
import { AEAD_ALG_AES_CCM_16_64_128, KEY_LENGTH, NONCE_LENGTH } from './algorithm.js';
import { encodeCbor } from './cbor.js';

export interface MasterParameters {
  readonly masterSecret: Uint8Array;
  /** Empty when none was configured. */
  readonly masterSalt: Uint8Array;
  readonly idContext: Uint8Array | undefined;
}

export interface DerivedKeys {
  readonly senderKey: Buffer;
  readonly recipientKey: Buffer;
  readonly commonIv: Buffer;
}

export function kdfInfo(id: Uint8Array, idContext: Uint8Array | undefined, type: 'Key' | 'IV', length: number): Buffer {
  return encodeCbor([id, idContext ?? null, AEAD_ALG_AES_CCM_16_64_128, type, length]);
}

function hkdf(master: MasterParameters, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', master.masterSecret, master.masterSalt, info, length));
}

export function deriveKeys(master: MasterParameters, senderId: Uint8Array, recipientId: Uint8Array): DerivedKeys {
  return {
    senderKey: hkdf(master, kdfInfo(senderId, master.idContext, 'Key', KEY_LENGTH), KEY_LENGTH),
    recipientKey: hkdf(master, kdfInfo(recipientId, master.idContext, 'Key', KEY_LENGTH), KEY_LENGTH),
    commonIv: hkdf(master, kdfInfo(new Uint8Array(0), master.idContext, 'IV', NONCE_LENGTH), NONCE_LENGTH),
  };
}
