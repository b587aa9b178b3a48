import { PduFormatError, toRoomEvent, validatePdu, type Pdu } from '../../../core/events/pdu.js';
import { redactEvent } from '../../../core/events/redaction.js';
import { requiredSigningServers, verifyEventSignatures } from '../../../core/events/signing.js';
import { contentHashMatches } from '../../../core/hashes.js';
import { isJsonObject } from '../../../core/json.js';
import type { Logger } from '../../logger.js';
import type { KeyRing } from '../keys.js';
import { PduDroppedError, type IncomingPdu } from './incoming-pdu.js';

/**
 * Checks 2 and 3 of "Checks performed on receipt of a PDU": the signatures of every server that
 * must have signed (the sender's; v1/v2 the event ID's; a restricted join's authorising server),
 * with the keys they held at origin_server_ts in room v5+; then the content hash. A bad
 * signature drops the PDU. A content hash that does not match means someone tampered with (or
 * redacted) unprotected content on the way: the event is kept, but only in its redacted form.
 *
 * Keys are gathered first (the key ring batches and caches the fetches), then every check runs
 * synchronously, so the verification cost is the ed25519 verify and one canonical serialisation.
 */

/** A hostile PDU could list many key IDs; more than this per server are not looked up. */
const MAX_KEYS_PER_SERVER = 4;
/** 3pid invites name no required server; at most this many signing servers are tried. */
const MAX_SERVERS = 4;

export class PduVerifier {
  constructor(
    private readonly keyRing: KeyRing,
    private readonly log: Logger,
  ) {}

  async verify(p: IncomingPdu): Promise<IncomingPdu> {
    if (p.verified) return p;
    const { pdu, version } = p;
    const required = requiredSigningServers(pdu, version);
    if (typeof required === 'string') throw new PduDroppedError(`Bad signatures: ${required}`);
    const signatures = pdu.signatures;
    const servers = (required.length > 0 ? required : Object.keys(signatures)).slice(0, MAX_SERVERS);

    const minimumValidUntil = version.enforceKeyValidity ? pdu.origin_server_ts : 0;
    const keys = new Map<string, Uint8Array>();
    await Promise.all(
      servers.flatMap((server) => {
        const bySigner = Object.hasOwn(signatures, server) ? signatures[server] : undefined;
        if (!isJsonObject(bySigner)) return [];
        return Object.keys(bySigner)
          .filter((keyId) => keyId.startsWith('ed25519:'))
          .slice(0, MAX_KEYS_PER_SERVER)
          .map(async (keyId) => {
            try {
              const key = await this.keyRing.getVerifyKey(server, keyId, minimumValidUntil);
              if (key) keys.set(`${server}\n${keyId}`, key);
            } catch (err) {
              this.log.debug({ err, server, keyId }, 'key lookup failed');
            }
          });
      }),
    );

    const check = verifyEventSignatures(pdu, version, (server, keyId) => keys.get(`${server}\n${keyId}`));
    if (!check.ok) throw new PduDroppedError(`Bad signature: ${check.reason}`);

    if (contentHashMatches(pdu, version)) return { ...p, verified: true };
    return { ...redactedCopy(p), verified: true };
  }
}

/** The redacted form of an event whose content hash did not match (same event ID: v3+ IDs hash the redacted form). */
function redactedCopy(p: IncomingPdu): IncomingPdu {
  let pdu: Pdu;
  try {
    pdu = validatePdu(redactEvent(p.pdu, p.version), p.version);
  } catch (err) {
    if (err instanceof PduFormatError) throw new PduDroppedError(`Content hash mismatch, and the redacted event is invalid: ${err.message}`);
    throw err;
  }
  return { ...p, pdu, event: toRoomEvent(pdu, p.version, p.eventId), redactedForHash: true };
}
