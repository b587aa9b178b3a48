/**
 * RFC 7252 §4.8 transmission parameters and the size limits we hold ourselves to.
 * Timing values are defaults; the message layer takes a `CoapTiming` so tests can shrink them.
 */

export interface CoapTiming {
  /** ACK_TIMEOUT: first retransmission of a CON after [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR]. */
  readonly ackTimeoutMs: number;
  readonly ackRandomFactor: number;
  /** MAX_RETRANSMIT: retransmissions after the first transmission before giving up. */
  readonly maxRetransmit: number;
  /** EXCHANGE_LIFETIME: how long a message ID is remembered for deduplication (247 s by default). */
  readonly exchangeLifetimeMs: number;
}

export const DEFAULT_TIMING: CoapTiming = {
  ackTimeoutMs: 2_000,
  ackRandomFactor: 1.5,
  maxRetransmit: 4,
  // MAX_TRANSMIT_SPAN (45 s) + 2 × MAX_LATENCY (100 s) + PROCESSING_DELAY (2 s).
  exchangeLifetimeMs: 247_000,
};

/**
 * RFC 7252 §4.6: without Path MTU knowledge a message should not exceed 1152 bytes (1280-byte
 * IPv6 minimum MTU minus headers). Every datagram we send respects it; larger bodies go block-wise.
 */
export const MAX_DATAGRAM_BYTES = 1152;

/** RFC 7959 SZX 6 = 1024-byte blocks: the largest block that fits 1152 with our options. SZX 7 is BERT (TCP only). */
export const MAX_SZX = 6;

/** RFC 7252 §5.3.1: tokens are 0..8 bytes (TKL 9..15 is a message format error without RFC 8974). */
export const MAX_TOKEN_BYTES = 8;
