/**
 * RFC 7959 Block1: reassembling a request body sent in blocks.
 *
 * Keyed by endpoint + method + request target (+ Request-Tag), never by CoAP token: libcoap
 * sends every block with a new token, which is why Block1 uploads from libcoap fail against
 * node-coap 1.5.0 (it keys reassembly by token). Blocks must arrive in order; a gap, or a
 * continuation with nothing started, is 4.08 Request Entity Incomplete; a body over the limit is
 * 4.13 with Size1 telling the limit. A repeated last block (a client retry with a new message
 * ID) is acknowledged again without appending twice.
 */

import { blockSize, type BlockValue } from './block-option.js';
import { MAX_SZX } from './constants.js';

export type Block1Outcome =
  /** Send 2.31 Continue echoing `block`. */
  | { readonly kind: 'continue'; readonly block: BlockValue }
  /** The body is whole; echo `block` (M=0) on the final response. */
  | { readonly kind: 'complete'; readonly body: Buffer; readonly block: BlockValue }
  | { readonly kind: 'incomplete'; readonly reason: string }
  | { readonly kind: 'too-large'; readonly limit: number }
  | { readonly kind: 'bad-block'; readonly reason: string };

interface Assembly {
  readonly chunks: Buffer[];
  length: number;
  lastOffset: number;
  expiresAt: number;
}

export class Block1Assembler {
  private readonly assemblies = new Map<string, Assembly>();
  /** Bytes held by unfinished uploads. */
  private bytes = 0;

  constructor(
    private readonly maxBodyBytes: number,
    /** How long an unfinished upload is kept between blocks (matrix-org/lb uses 2 minutes). */
    private readonly ttlMs: number,
    private readonly maxAssemblies: number,
    /** Bound on bytes across all unfinished uploads; the least recently active go first. */
    private readonly maxTotalBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.assemblies.size;
  }

  accept(key: string, block: BlockValue, payload: Buffer, size1: number | undefined): Block1Outcome {
    if (block.szx > MAX_SZX) return { kind: 'bad-block', reason: 'SZX 7 (BERT) is only defined for CoAP over TCP' };
    const size = blockSize(block.szx);
    if (block.more && payload.length !== size) {
      return { kind: 'bad-block', reason: `Block ${block.num} has ${payload.length} bytes, SZX says ${size}` };
    }
    if (payload.length > size) return { kind: 'bad-block', reason: `Last block is larger than SZX allows (${size})` };
    const offset = block.num * size;

    let assembly: Assembly | undefined;
    if (block.num === 0) {
      if (size1 !== undefined && size1 > this.maxBodyBytes) return this.tooLarge(key);
      assembly = { chunks: [], length: 0, lastOffset: -1, expiresAt: 0 };
    } else {
      assembly = this.live(key);
      if (assembly === undefined) return { kind: 'incomplete', reason: `Block ${block.num} arrived without the blocks before it` };
      if (offset === assembly.lastOffset && offset + payload.length === assembly.length && block.more) {
        return { kind: 'continue', block }; // the same block again
      }
      if (offset !== assembly.length) {
        this.remove(key);
        return { kind: 'incomplete', reason: `Expected the block at byte ${assembly.length}, got byte ${offset}` };
      }
    }
    if (assembly.length + payload.length > this.maxBodyBytes) return this.tooLarge(key);

    this.remove(key);
    assembly.chunks.push(payload);
    assembly.length += payload.length;
    assembly.lastOffset = offset;
    assembly.expiresAt = this.now() + this.ttlMs;
    if (!block.more) return { kind: 'complete', body: Buffer.concat(assembly.chunks), block };
    this.assemblies.set(key, assembly);
    this.bytes += assembly.length;
    while (this.assemblies.size > this.maxAssemblies || this.bytes > this.maxTotalBytes) {
      const oldest = this.assemblies.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
    return { kind: 'continue', block };
  }

  sweep(): void {
    const now = this.now();
    for (const [key, assembly] of this.assemblies) {
      if (assembly.expiresAt > now) break; // Map is in last-update order
      this.remove(key);
    }
  }

  private remove(key: string): void {
    const assembly = this.assemblies.get(key);
    if (assembly === undefined) return;
    this.bytes -= assembly.length;
    this.assemblies.delete(key);
  }

  private live(key: string): Assembly | undefined {
    const assembly = this.assemblies.get(key);
    if (assembly !== undefined && assembly.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    return assembly;
  }

  private tooLarge(key: string): Block1Outcome {
    this.remove(key);
    return { kind: 'too-large', limit: this.maxBodyBytes };
  }
}
