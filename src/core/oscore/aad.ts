/**
 * RFC 8613 §5.4: the AEAD's additional data is COSE's Enc_structure (RFC 8152 §5.3)
 *   [ "Encrypt0", h'' (no protected header), external_aad : bstr ]
 * with external_aad = bstr .cbor aad_array,
 *   aad_array = [ oscore_version : 1, [ alg_aead ], request_kid : bstr, request_piv : bstr,
 *                 options : bstr (Class I options; none are defined, so always h'') ]
 * Requests and their responses share request_kid/request_piv, which binds a response to its
 * request even when the response reuses the request's nonce.
 */

import { AEAD_ALG_AES_CCM_16_64_128 } from './algorithm.js';
import { encodeCbor } from './cbor.js';

export const OSCORE_VERSION = 1;

export function externalAad(requestKid: Uint8Array, requestPiv: Uint8Array): Buffer {
  return encodeCbor([OSCORE_VERSION, [AEAD_ALG_AES_CCM_16_64_128], requestKid, requestPiv, new Uint8Array(0)]);
}

export function encStructure(requestKid: Uint8Array, requestPiv: Uint8Array): Buffer {
  return encodeCbor(['Encrypt0', new Uint8Array(0), externalAad(requestKid, requestPiv)]);
}
