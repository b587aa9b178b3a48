/**
 * What the Observe layer (observe.ts) needs from around it, as interfaces, so the transport never
 * reaches into services: the security layer's way to protect notifications, and the device
 * service's "these devices are gone" event (wired in by src/homeserver.ts).
 */

import type { Requester } from './dispatch-contract.js';
import type { CoapEndpoint } from './endpoint.js';
import type { ResponseParts } from './message-layer.js';

/**
 * Handed down by the OSCORE layer with a request it decrypted. A registration made under OSCORE
 * keeps it: every notification is protected with the context's own Sender Sequence Number
 * (RFC 8613 §4.1.3.5.2, §8.3), and the device is re-checked before each recomputation.
 */
export interface NotificationSecurity {
  /** The peer as the socket sees it: where notifications go and where their ACK/RST come from. */
  readonly transportEndpoint: CoapEndpoint;
  /** Protects one notification with a fresh Partial IV of ours (never the registration's nonce). */
  protect(parts: ResponseParts): ResponseParts;
  /** The context's device now; undefined once it was revoked (device deleted, logged out). */
  requester(): Requester | undefined;
}

/** DeviceService.onDeleted has this shape: device deletion, logout, logout/all, deactivation. */
export interface DeviceEvents {
  onDeleted(listener: (userId: string, deviceIds: readonly string[]) => void): void;
}
