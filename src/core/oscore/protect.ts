/**
 * Protecting and verifying whole messages (RFC 8613 §8): the four steps an endpoint performs.
 *
 *   client: protectRequest ───► server: unprotectRequest (then replay check is the caller's)
 *   client: unprotectResponse ◄── server: protectResponse
 *
 * Requests always carry a Partial IV (the sender's sequence number) and the kid. A response
 * either reuses the request's nonce (empty OSCORE option: the cheapest, allowed because the
 * request's nonce is used once) or carries the server's own Partial IV (needed when one request
 * gets several responses, e.g. Observe notifications). Both bind the response to its request
 * through the AAD's request_kid/request_piv.
 *
 * The outer message gets code POST (FETCH with Observe) for requests and 2.04 Changed (2.05 with
 * Observe) for responses, so a proxy learns nothing about the method or status (§4.2).
 */

import { aeadDecrypt, aeadEncrypt } from './algorithm.js';
import { encStructure } from './aad.js';
import {
  decodePlaintext,
  encodePlaintext,
  sortOptions,
  type CoapOption,
  type CoapParts,
} from './message-parts.js';
import { buildNonce, encodePartialIv } from './nonce.js';
import { isOuterOnly, OBSERVE_OPTION, OSCORE_OPTION } from './option-classes.js';
import { encodeOscoreOption, type OscoreHeader } from './option-value.js';
import type { SecurityContext } from './security-context.js';

/** What ties a response to its request: the request's kid and Partial IV. */
export interface RequestBinding {
  readonly kid: Buffer;
  readonly partialIv: Buffer;
}

function split(options: readonly CoapOption[], observeBoth: boolean): { inner: CoapOption[]; outer: CoapOption[] } {
  const inner: CoapOption[] = [];
  const outer: CoapOption[] = [];
  for (const option of options) {
    if (option.number === OSCORE_OPTION) continue;
    if (option.number === OBSERVE_OPTION) {
      outer.push(option);
      if (observeBoth) inner.push(option);
    } else if (isOuterOnly(option.number)) outer.push(option);
    else inner.push(option);
  }
  return { inner, outer };
}

function hasObserve(options: readonly CoapOption[]): boolean {
  return options.some((o) => o.number === OBSERVE_OPTION);
}

/** Client side (§8.1): `sequenceNumber` must never have been used with this context before. */
export function protectRequest(
  context: SecurityContext,
  sequenceNumber: number,
  request: CoapParts,
  options: { readonly includeKidContext?: boolean } = {},
): { readonly message: CoapParts; readonly binding: RequestBinding } {
  const partialIv = encodePartialIv(sequenceNumber);
  const { inner, outer } = split(request.options, true);
  const plaintext = encodePlaintext({ code: request.code, options: inner, payload: request.payload });
  const nonce = buildNonce(context.senderId, partialIv, context.commonIv);
  const sealed = aeadEncrypt(context.senderKey, nonce, encStructure(context.senderId, partialIv), plaintext);
  const header: OscoreHeader = {
    partialIv,
    kid: context.senderId,
    kidContext: options.includeKidContext === true ? context.idContext : undefined,
  };
  const outerCode = hasObserve(request.options) ? '0.05' : '0.02';
  return {
    message: { code: outerCode, options: sortOptions([...outer, { number: OSCORE_OPTION, value: encodeOscoreOption(header) }]), payload: sealed },
    binding: { kid: context.senderId, partialIv },
  };
}

export type UnprotectFailure = 'decryption-failed' | 'malformed-plaintext';

/**
 * Server side (§8.2), after the caller found the context by kid and checked the replay window.
 * Returns the inner request: its code and payload, its Class E options, and the outer options
 * that are not Class E (Uri-Host, Uri-Port, Observe ...) — outer Class E options are discarded,
 * since only the encrypted copy is authentic.
 */
export function unprotectRequest(
  context: SecurityContext,
  partialIv: Buffer,
  outer: CoapParts,
): { readonly ok: true; readonly request: CoapParts; readonly binding: RequestBinding } | { readonly ok: false; readonly reason: UnprotectFailure } {
  const nonce = buildNonce(context.recipientId, partialIv, context.commonIv);
  const plaintext = aeadDecrypt(context.recipientKey, nonce, encStructure(context.recipientId, partialIv), outer.payload);
  if (plaintext === undefined) return { ok: false, reason: 'decryption-failed' };
  const inner = decodePlaintext(plaintext);
  if (inner === undefined) return { ok: false, reason: 'malformed-plaintext' };
  const kept = outer.options.filter((o) => isOuterOnly(o.number) && o.number !== OSCORE_OPTION);
  const innerOptions = inner.options.filter((o) => !isOuterOnly(o.number));
  // The inner Observe (Class E) is the authentic one; the outer copy only informs proxies.
  return {
    ok: true,
    request: { code: inner.code, options: sortOptions([...kept, ...innerOptions]), payload: inner.payload },
    binding: { kid: context.recipientId, partialIv },
  };
}

/**
 * Server side (§8.3). Without `ownSequenceNumber` the response reuses the request's nonce and the
 * OSCORE option is empty; with it, the server's Partial IV goes into the option and the nonce.
 */
export function protectResponse(
  context: SecurityContext,
  binding: RequestBinding,
  response: CoapParts,
  ownSequenceNumber?: number,
): CoapParts {
  const { inner, outer } = split(response.options, false);
  const plaintext = encodePlaintext({ code: response.code, options: inner, payload: response.payload });
  let nonce: Buffer;
  let header: OscoreHeader;
  if (ownSequenceNumber === undefined) {
    nonce = buildNonce(binding.kid, binding.partialIv, context.commonIv);
    header = { partialIv: undefined, kid: undefined, kidContext: undefined };
  } else {
    const partialIv = encodePartialIv(ownSequenceNumber);
    nonce = buildNonce(context.senderId, partialIv, context.commonIv);
    header = { partialIv, kid: undefined, kidContext: undefined };
  }
  const sealed = aeadEncrypt(context.senderKey, nonce, encStructure(binding.kid, binding.partialIv), plaintext);
  const outerCode = hasObserve(response.options) ? '2.05' : '2.04';
  return { code: outerCode, options: sortOptions([...outer, { number: OSCORE_OPTION, value: encodeOscoreOption(header) }]), payload: sealed };
}

/** Client side (§8.4): the inner response, or undefined when it does not verify. */
export function unprotectResponse(context: SecurityContext, binding: RequestBinding, header: OscoreHeader, outer: CoapParts): CoapParts | undefined {
  const nonce =
    header.partialIv === undefined
      ? buildNonce(context.senderId, binding.partialIv, context.commonIv)
      : buildNonce(context.recipientId, header.partialIv, context.commonIv);
  const plaintext = aeadDecrypt(context.recipientKey, nonce, encStructure(binding.kid, binding.partialIv), outer.payload);
  if (plaintext === undefined) return undefined;
  const inner = decodePlaintext(plaintext);
  if (inner === undefined) return undefined;
  const kept = outer.options.filter((o) => o.number === OBSERVE_OPTION || (isOuterOnly(o.number) && o.number !== OSCORE_OPTION));
  return { code: inner.code, options: sortOptions([...kept, ...inner.options.filter((o) => o.number !== OBSERVE_OPTION)]), payload: inner.payload };
}
