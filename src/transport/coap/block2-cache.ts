/**
 * RFC 7959 Block2: serving a response larger than one block from one stored representation.
 *
 * node-coap 1.5.0 re-runs the request handler for every block (it keys by token and libcoap
 * changes tokens between blocks), so a /sync download could stitch blocks of different bodies.
 * Here the first request's whole response is stored, keyed by endpoint + method + target +
 * Accept (never the token), and later blocks are cut from it; its ETag (a hash of the body)
 * lets the client check every block belongs to the same representation.
 *
 * Observe notifications (observe.ts) put their body here too, under the key of the registration's
 * GET, so a client that fetches the rest of a large notification with GET + Block2 gets exactly
 * what was pushed (MSC3079 §OBSERVE).
 */

import { createHash } from 'node:crypto';
import type { CoapCode } from './codes.js';
import type { RawOption } from './options.js';

export interface StoredResponse {
  readonly code: CoapCode;
  /** Options of every block other than Block2/Size2/ETag (Content-Format, Max-Age...). */
  readonly options: readonly RawOption[];
  readonly payload: Buffer;
  readonly etag: Buffer;
  /** The Observe value of the notification this body was pushed in (observe.ts), if it was one. */
  readonly observe?: number;
}

interface Entry {
  readonly response: StoredResponse;
  readonly expiresAt: number;
}

export function etagFor(payload: Buffer): Buffer {
  // 4 bytes: enough to tell two representations apart during one transfer, and cheap on the air.
  return createHash('sha256').update(payload).digest().subarray(0, 4);
}

export class Block2Cache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly ttlMs: number,
    /** Total payload bytes kept; the oldest entries go first. */
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  put(key: string, response: Omit<StoredResponse, 'etag'>): StoredResponse {
    this.remove(key);
    const stored: StoredResponse = { ...response, etag: etagFor(response.payload) };
    this.entries.set(key, { response: stored, expiresAt: this.now() + this.ttlMs });
    this.bytes += stored.payload.length;
    while (this.bytes > this.maxBytes && this.entries.size > 1) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
    return stored;
  }

  get(key: string): StoredResponse | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    return entry.response;
  }

  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) break; // Map is in insertion order = expiry order
      this.remove(key);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.bytes -= entry.response.payload.length;
    this.entries.delete(key);
  }
}
