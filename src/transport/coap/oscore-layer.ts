/**
 * OSCORE (RFC 8613) between the message layer and the request handler:
 *
 *   message layer (dedup, ACKs) ─► withOscore ─► request handler (Matrix mapping) ─► dispatch
 *
 * It sits *after* message-ID deduplication on purpose: a retransmitted CON is answered from the
 * dedup cache with the very same protected reply, and never reaches the replay window (which
 * would refuse it); a replay with a new message ID does reach it and is refused.
 *
 * A request with the OSCORE option is verified and decrypted before anything else reads it
 * (§8.2); what fails gets an unprotected error with the diagnostic the RFC names:
 *   malformed option / no kid or Partial IV → 4.02 "Failed to decode COSE"
 *   unknown kid (or revoked device)         → 4.01 "Security context not found"
 *   sequence number already seen / too old  → 4.01 "Replay detected"
 *   tag does not verify                     → 4.01 "Decryption failed"
 * The inner request then runs as any other, except that it is already authenticated: the
 * context's device is the requester and no access token is read (option 256 is ignored). The
 * response is protected with the request's nonce (empty OSCORE option, §8.3) — each request's
 * nonce is used once, so this is safe and saves the Partial IV on every reply.
 *
 * Observe (RFC 8613 §4.1.3.5): the registration's answer reuses the request's nonce like any
 * response (the first notification may omit the Partial IV); every later notification is
 * protected by observe.ts through `security.protect`, with `nextSenderSequence()` as its Partial
 * IV, so no nonce is ever used twice. Observe travels outer only in responses.
 *
 * Without a context store (no sensors configured) option 9 is left alone and the request handler
 * refuses it as an unknown critical option (4.02), as before.
 */

import { decodePartialIv } from '../../core/oscore/nonce.js';
import { OUTER_BLOCKWISE } from '../../core/oscore/option-classes.js';
import { decodeOscoreOption } from '../../core/oscore/option-value.js';
import { protectResponse, unprotectRequest } from '../../core/oscore/protect.js';
import { CoapOnly } from './codes.js';
import type { CoapEndpoint } from './endpoint.js';
import type { RequestHandler, ResponseParts } from './message-layer.js';
import type { OscoreContexts } from './oscore-contract.js';
import { withBoundRoom } from './bound-room.js';
import { encodeUint, Opt, optionValues } from './options.js';

/** An unprotected OSCORE error: diagnostic payload (RFC 7252 §5.5.2), outer Max-Age 0 (§8.2). */
function oscoreError(code: string, diagnostic: string): ResponseParts {
  return { code, options: [{ number: Opt.MaxAge, value: encodeUint(0) }], payload: Buffer.from(diagnostic, 'utf8') };
}

/** The endpoint as the inner handler sees it: its state is kept per context, apart from plain traffic from the same address. */
function securedEndpoint(endpoint: CoapEndpoint, contextKey: string): CoapEndpoint {
  return { ...endpoint, key: `${endpoint.key}#${contextKey}` };
}

export function withOscore(inner: RequestHandler, contexts: OscoreContexts | undefined): RequestHandler {
  if (contexts === undefined) return inner;
  return async (request, control) => {
    const { endpoint, message } = request;
    const values = optionValues(message.options, Opt.Oscore);
    if (values.length === 0) return inner(request, control);

    const header = values.length === 1 ? decodeOscoreOption(values[0]!) : undefined;
    if (header === undefined || header.partialIv === undefined || header.kid === undefined) {
      return oscoreError(CoapOnly.BadOption, 'Failed to decode COSE');
    }
    if (message.options.some((o) => OUTER_BLOCKWISE.has(o.number))) {
      // We do block-wise inside OSCORE (end to end); outer blocks would come from a fragmenting proxy.
      return oscoreError(CoapOnly.BadOption, 'Outer block-wise transfer is not supported; use inner Block options');
    }
    const recipient = contexts.find(header.kid, header.kidContext);
    if (recipient === undefined) return oscoreError('4.01', 'Security context not found');
    const sequenceNumber = decodePartialIv(header.partialIv);
    if (!recipient.isFresh(sequenceNumber)) return oscoreError('4.01', 'Replay detected');

    const opened = unprotectRequest(recipient.context, header.partialIv, message);
    if (!opened.ok && opened.reason === 'decryption-failed') return oscoreError('4.01', 'Decryption failed');
    // Authentic from here on: the sequence number is spent, whatever the request turns out to be.
    recipient.accept(sequenceNumber);
    if (!opened.ok) return oscoreError('4.00', 'Malformed inner message');

    const requester = recipient.requester(endpoint.address);
    if (requester === undefined) {
      contexts.forget(recipient);
      return oscoreError('4.01', 'Security context not found');
    }
    const parts = await inner(
      {
        endpoint: securedEndpoint(endpoint, recipient.key),
        message: { ...message, code: opened.request.code, options: withBoundRoom(opened.request.options, recipient.roomId), payload: opened.request.payload },
        requester,
        // Observe notifications (observe.ts): each with our own Partial IV (§4.1.3.5.2, §8.3), bound to
        // this registration request; the device is re-checked before every recomputation.
        security: {
          transportEndpoint: endpoint,
          protect: (parts) => protectResponse(recipient.context, opened.binding, parts, recipient.nextSenderSequence()),
          requester: () => recipient.requester(endpoint.address),
        },
      },
      control,
    );
    // A suppressed response (No-Response) is never sent, so there is nothing to protect.
    return parts.suppressed === true ? parts : protectResponse(recipient.context, opened.binding, parts);
  };
}
