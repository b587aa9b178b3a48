// Key material for the end-to-end encryption tests: real ed25519 keys and signatures, made the
// way clients make them (signed canonical JSON), so the server's checks are exercised for real.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { encodeBase64 } from '../../src/core/base64.js';
import type { JsonObject } from '../../src/core/json.js';
import { signableJson, signBytes, signingKeyFromSeed, withSignature, type SigningKey } from '../../src/core/signing.js';
import { openapiRoot } from '../support/openapi.js';

export interface Ed25519 {
  readonly key: SigningKey;
  /** Unpadded base64 public key. */
  readonly pub: string;
}

export function ed25519(): Ed25519 {
  // The key ID only names the key for signingKeyFromSeed; signatures below carry their own.
  const key = signingKeyFromSeed(randomBytes(32), 'ed25519:test');
  return { key, pub: key.publicKeyBase64 };
}

/** `object` with `signatures[signer][keyId]` added, signed with `key`. */
export function sign<T extends JsonObject>(object: T, signer: string, keyId: string, key: Ed25519): T & { signatures: JsonObject } {
  const signature = encodeBase64(signBytes(key.key, Buffer.from(signableJson(object), 'utf8')));
  return withSignature(object, signer, keyId, signature);
}

/** A client device: its identity keys, one-time and fallback keys, signed with its ed25519 key. */
export class TestDevice {
  readonly signing = ed25519();
  readonly curve = encodeBase64(randomBytes(32));
  private otkCounter = 0;

  constructor(
    readonly userId: string,
    readonly deviceId: string,
  ) {}

  get signingKeyId(): string {
    return `ed25519:${this.deviceId}`;
  }

  deviceKeys(): JsonObject {
    return sign(
      {
        user_id: this.userId,
        device_id: this.deviceId,
        algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
        keys: { [`curve25519:${this.deviceId}`]: this.curve, [`ed25519:${this.deviceId}`]: this.signing.pub },
      },
      this.userId,
      this.signingKeyId,
      this.signing,
    );
  }

  /** `n` new signed_curve25519 keys, IDs in upload order (AAAAAQ, AAAAAg, ...). */
  oneTimeKeys(n: number): Record<string, JsonObject> {
    const out: Record<string, JsonObject> = {};
    for (let i = 0; i < n; i++) {
      const id = Buffer.from([0, 0, 0, ++this.otkCounter]).toString('base64').replace(/=+$/, '');
      out[`signed_curve25519:${id}`] = sign({ key: encodeBase64(randomBytes(32)) }, this.userId, this.signingKeyId, this.signing);
    }
    return out;
  }

  fallbackKey(id: string): Record<string, JsonObject> {
    return { [`signed_curve25519:${id}`]: sign({ key: encodeBase64(randomBytes(32)), fallback: true }, this.userId, this.signingKeyId, this.signing) };
  }
}

/** A user's cross-signing keys: self-signing and user-signing keys signed by the master key. */
export class TestCrossSigning {
  readonly master = ed25519();
  readonly selfSigning = ed25519();
  readonly userSigning = ed25519();

  constructor(readonly userId: string) {}

  masterKey(): JsonObject {
    return { user_id: this.userId, usage: ['master'], keys: { [`ed25519:${this.master.pub}`]: this.master.pub } };
  }

  selfSigningKey(): JsonObject {
    return this.signedByMaster({ user_id: this.userId, usage: ['self_signing'], keys: { [`ed25519:${this.selfSigning.pub}`]: this.selfSigning.pub } });
  }

  userSigningKey(): JsonObject {
    return this.signedByMaster({ user_id: this.userId, usage: ['user_signing'], keys: { [`ed25519:${this.userSigning.pub}`]: this.userSigning.pub } });
  }

  all(): JsonObject {
    return { master_key: this.masterKey(), self_signing_key: this.selfSigningKey(), user_signing_key: this.userSigningKey() };
  }

  /** A device's keys signed by the self-signing key (what /keys/signatures/upload takes). */
  signDevice(deviceKeys: JsonObject): JsonObject {
    return sign(deviceKeys, this.userId, `ed25519:${this.selfSigning.pub}`, this.selfSigning);
  }

  /** Another user's master key signed by this user's user-signing key. */
  signUser(masterKey: JsonObject): JsonObject {
    return sign(masterKey, this.userId, `ed25519:${this.userSigning.pub}`, this.userSigning);
  }

  private signedByMaster(key: JsonObject): JsonObject {
    return sign(key, this.userId, `ed25519:${this.master.pub}`, this.master);
  }
}

const authResponse = new Ajv2020({ strict: false }).compile(
  parseYaml(readFileSync(path.join(openapiRoot, 'data', 'api', 'client-server', 'definitions', 'auth_response.yaml'), 'utf8')) as object,
);

/**
 * A request answered with a user-interactive-auth 401. cross_signing.yaml lists no 401 although
 * the endpoint uses UIA, so the TestClient would demand a plain Matrix error; the body is checked
 * here against the spec's own schema for UIA challenges (definitions/auth_response.yaml).
 */
export async function uiaChallenge(baseUrl: string, apiPath: string, token: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(new URL(apiPath, baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const parsed = (await res.body.json()) as Record<string, unknown>;
  if (res.statusCode === 401 && !authResponse(parsed)) {
    throw new Error(`${apiPath} → 401 does not match auth_response.yaml: ${JSON.stringify(authResponse.errors)}`);
  }
  return { status: res.statusCode, body: parsed };
}
