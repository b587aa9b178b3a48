import { decodeBase64 } from '../core/base64.js';
import { canonicalJson, parseCanonicalCompatible } from '../core/canonical-json.js';
import { computeEventId, roomIdFromCreateEventId } from '../core/events/event-id.js';
import { redactEvent } from '../core/events/redaction.js';
import { addContentHash } from '../core/hashes.js';
import { isJsonObject, type JsonObject } from '../core/json.js';
import { DEFAULT_ROOM_VERSION, requireRoomVersion, type RoomVersion } from '../core/room-versions.js';
import { signJson, signingKeyFromSeed, verifyJsonSignature } from '../core/signing.js';
import { CliError, parseFlags, readStdin, requireFlag, type CliCommand, type CliIo } from './command.js';
import { resolveStateCommand } from './resolve-state.js';

/**
 * Operators' tools for debugging rooms: each reads JSON on stdin and prints canonical JSON on
 * stdout. Numbers are held to the strict (room v6+) rules unless a room version says otherwise.
 */

async function readObject(io: CliIo, version?: RoomVersion): Promise<JsonObject> {
  const value = parseCanonicalCompatible(await readStdin(io.stdin), { strict: version?.strictCanonicalJson ?? true });
  if (!isJsonObject(value)) throw new CliError('expected a JSON object on stdin');
  return value;
}

function print(io: CliIo, value: unknown, version?: RoomVersion): number {
  io.stdout.write(canonicalJson(value, { strict: version?.strictCanonicalJson ?? true }) + '\n');
  return 0;
}

function versionFlag(flags: Map<string, string[]>, fallback?: string): RoomVersion {
  const id = flags.get('room-version')?.[0] ?? fallback;
  if (id === undefined) throw new CliError('missing --room-version');
  return requireRoomVersion(id);
}

function decodeKeyBytes(text: string, what: string): Uint8Array {
  const bytes = decodeBase64(text);
  if (bytes.length !== 32) throw new CliError(`${what} must be 32 bytes of base64, got ${bytes.length}`);
  return bytes;
}

const canonicalJsonCommand: CliCommand = {
  name: 'canonical-json',
  summary: 'print the canonical form of the JSON on stdin',
  usage: 'lattice canonical-json < input.json',
  async run(args, io) {
    parseFlags(args, []);
    return print(io, parseCanonicalCompatible(await readStdin(io.stdin)));
  },
};

const signJsonCommand: CliCommand = {
  name: 'sign-json',
  summary: 'sign the JSON object on stdin',
  usage: 'lattice sign-json --seed <base64> --server <name> --key-id <ed25519:x> < object.json',
  async run(args, io) {
    const flags = parseFlags(args, ['seed', 'server', 'key-id']);
    const keyId = requireFlag(flags, 'key-id');
    if (!keyId.startsWith('ed25519:')) throw new CliError('--key-id must start with "ed25519:"');
    const key = signingKeyFromSeed(decodeKeyBytes(requireFlag(flags, 'seed'), '--seed'), keyId);
    return print(io, signJson(await readObject(io), requireFlag(flags, 'server'), key));
  },
};

const verifyJsonCommand: CliCommand = {
  name: 'verify-json',
  summary: "verify a server's signature on the JSON object on stdin",
  usage: 'lattice verify-json --server <name> --key <key_id>=<base64 public key> [--key ...] < object.json',
  async run(args, io) {
    const flags = parseFlags(args, ['server', 'key']);
    const server = requireFlag(flags, 'server');
    const keys = (flags.get('key') ?? []).map((spec) => {
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new CliError('--key must be <key_id>=<base64 public key>');
      return { keyId: spec.slice(0, eq), publicKey: decodeKeyBytes(spec.slice(eq + 1), `key ${spec.slice(0, eq)}`) };
    });
    if (keys.length === 0) throw new CliError('missing --key');
    const object = await readObject(io);
    // Every key given must have signed: an operator listing two keys means "both".
    for (const { keyId, publicKey } of keys) {
      if (!verifyJsonSignature(object, server, keyId, publicKey)) {
        throw new CliError(`no valid signature by ${server} with ${keyId}`);
      }
    }
    return print(io, { valid: true, server, key_ids: keys.map((k) => k.keyId) });
  },
};

const eventIdCommand: CliCommand = {
  name: 'event-id',
  summary: 'print the event ID of the PDU on stdin (and the room ID a v12 create event defines)',
  usage: 'lattice event-id --room-version <v> < pdu.json',
  async run(args, io) {
    const version = versionFlag(parseFlags(args, ['room-version']));
    const pdu = await readObject(io, version);
    const eventId = computeEventId(pdu, version);
    const derivedRoomId =
      version.roomIdFromCreateEvent && pdu.type === 'm.room.create' ? { room_id: roomIdFromCreateEventId(eventId) } : {};
    return print(io, { event_id: eventId, ...derivedRoomId }, version);
  },
};

const redactCommand: CliCommand = {
  name: 'redact',
  summary: 'print the event on stdin as the room version redacts it',
  usage: 'lattice redact --room-version <v> < event.json',
  async run(args, io) {
    const version = versionFlag(parseFlags(args, ['room-version']));
    return print(io, redactEvent(await readObject(io, version), version), version);
  },
};

const hashEventCommand: CliCommand = {
  name: 'hash-event',
  summary: 'print the event on stdin with its content hash filled in',
  usage: `lattice hash-event [--room-version <v>, default ${DEFAULT_ROOM_VERSION}] < event.json`,
  async run(args, io) {
    const version = versionFlag(parseFlags(args, ['room-version']), DEFAULT_ROOM_VERSION);
    return print(io, addContentHash(await readObject(io, version), version), version);
  },
};

export const protocolCommands: readonly CliCommand[] = [
  canonicalJsonCommand,
  signJsonCommand,
  verifyJsonCommand,
  eventIdCommand,
  redactCommand,
  hashEventCommand,
  resolveStateCommand,
];
