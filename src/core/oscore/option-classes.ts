/**
 * Which options OSCORE encrypts (Class E, "inner") and which stay readable for proxies (Class U,
 * "outer"), RFC 8613 §4.1 Figure 5. Every option not listed as outer is Class E — including
 * options the RFC does not know, such as MSC3079's 256 (access token) and 257 (CBOR key table),
 * which must never be readable on the wire.
 *
 * Observe is both (§4.1.3.5): a request carries it inside and outside with the same value, so a
 * proxy can see the registration; a response carries it outside only.
 *
 * Block1/Block2/Size1/Size2 and Max-Age may be inner or outer. We use them INNER only
 * (§4.1.3.4.1, end-to-end block-wise): every block is its own OSCORE exchange, authenticated on
 * arrival, so a forged or damaged block is refused at once and the server never buffers
 * unauthenticated fragments. Outer block options exist for proxies that fragment an OSCORE
 * message (§4.1.3.4.2); there are none between a sensor and us, so an outer Block option is
 * refused with 4.02 rather than assembled.
 */

export const OSCORE_OPTION = 9;
export const OBSERVE_OPTION = 6;

/** Class U: Uri-Host, Uri-Port, OSCORE, Hop-Limit (RFC 8768), Proxy-Uri, Proxy-Scheme. */
const OUTER_ONLY: ReadonlySet<number> = new Set([3, 7, OSCORE_OPTION, 16, 35, 39]);

/** Outer options a proxy may add and we do not assemble: Block2, Block1, Size2, Size1. */
export const OUTER_BLOCKWISE: ReadonlySet<number> = new Set([23, 27, 28, 60]);

export function isOuterOnly(optionNumber: number): boolean {
  return OUTER_ONLY.has(optionNumber);
}
