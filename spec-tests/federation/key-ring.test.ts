// The key ring against a scripted federation client: batching of concurrent fetches, the
// refetch guard, the notary fallback and its signature checks. Storage is a real SQLite database.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { signJson, signingKeyFromSeed, type SigningKey } from '../../src/core/signing.js';
import { DestinationUnreachableError, type FederationClient, type FederationRequest } from '../../src/services/federation/federation-client.js';
import { KeyRing } from '../../src/services/federation/keys.js';
import { OwnServerKeys } from '../../src/services/federation/own-keys.js';
import { silentLogger } from '../../src/services/logger.js';
import { openDatabase } from '../../src/storage/database.js';
import { ServerKeysRepo } from '../../src/storage/server-keys-repo.js';
import { TestClock } from '../support/server.js';

const DAY = 86_400_000;
const key = (n: number, id: string): SigningKey => signingKeyFromSeed(new Uint8Array(32).fill(n), id);
const keys: Record<string, SigningKey> = {
  'one.test': key(1, 'ed25519:one'),
  'two.test': key(2, 'ed25519:two'),
  'three.test': key(3, 'ed25519:three'),
  'notary.test': key(4, 'ed25519:notary'),
};

function keyResponse(server: string, now: number, signer = keys[server]!): JsonObject {
  const k = keys[server]!;
  return signJson({ server_name: server, valid_until_ts: now + DAY, verify_keys: { [k.keyId]: { key: k.publicKeyBase64 } }, old_verify_keys: {} }, server, signer);
}

class ScriptedClient implements FederationClient {
  readonly log: string[] = [];
  readonly up = new Set<string>();
  notarySigner: SigningKey = keys['notary.test']!;
  /** Forge the relayed responses' origin signatures. */
  forgeOrigin = false;
  constructor(private readonly clock: TestClock) {}

  async request(destination: string, req: FederationRequest): Promise<JsonObject> {
    this.log.push(`${req.method} ${destination} ${req.path}${req.body ? ' ' + JSON.stringify(req.body) : ''}`);
    await new Promise((r) => setTimeout(r, 5));
    if (!this.up.has(destination)) throw new DestinationUnreachableError(destination, 'down');
    if (req.path === '/_matrix/key/v2/server') return keyResponse(destination, this.clock.now());
    const wanted = Object.keys((req.body?.['server_keys'] ?? {}) as JsonObject);
    const relayed = wanted
      .filter((s) => keys[s])
      .map((s) => signJson(keyResponse(s, this.clock.now(), this.forgeOrigin ? key(99, keys[s]!.keyId) : keys[s]!), destination, this.notarySigner));
    return { server_keys: relayed };
  }
  async close(): Promise<void> {}
}

function setup(options: { notaryKeysInConfig?: boolean } = {}) {
  const notaryVerifyKeys = options.notaryKeysInConfig === false ? undefined : { [keys['notary.test']!.keyId]: keys['notary.test']!.publicKeyBase64 };
  const clock = new TestClock();
  const client = new ScriptedClient(clock);
  const own = new OwnServerKeys('me.test', key(5, 'ed25519:me'), [], DAY, clock);
  const repo = new ServerKeysRepo(openDatabase({ path: ':memory:', synchronous: 'normal' }));
  const ring = new KeyRing({ ownKeys: own, repo, client, clock, log: silentLogger, trustedKeyServers: [{ serverName: 'notary.test', verifyKeys: notaryVerifyKeys }] });
  return { clock, client, ring, own };
}

describe('KeyRing', () => {
  it('answers for our own keys without any request', async () => {
    const { ring, client, own, clock } = setup();
    expect(await ring.getVerifyKey('me.test', 'ed25519:me', clock.now())).toEqual(own.signingKey.publicKey);
    expect(client.log).toEqual([]);
  });

  it('batches concurrent fetches: one request per server, however many callers', async () => {
    const { ring, client, clock } = setup();
    client.up.add('one.test').add('two.test');
    const now = clock.now();
    const results = await Promise.all(
      ['one.test', 'two.test', 'one.test', 'two.test', 'one.test'].map((s) => ring.getVerifyKey(s, keys[s]!.keyId, now)),
    );
    expect(results.map((r) => r !== undefined)).toEqual([true, true, true, true, true]);
    expect(client.log.sort()).toEqual(['GET one.test /_matrix/key/v2/server', 'GET two.test /_matrix/key/v2/server']);
    // Cached from now on.
    await ring.getVerifyKey('one.test', keys['one.test']!.keyId, now);
    expect(client.log).toHaveLength(2);
  });

  it('asks the notary once for every server that could not be reached', async () => {
    const { ring, client, clock } = setup();
    client.up.add('notary.test');
    const now = clock.now();
    const [k2, k3] = await Promise.all([ring.getVerifyKey('two.test', 'ed25519:two', now), ring.getVerifyKey('three.test', 'ed25519:three', now)]);
    expect(k2).toEqual(keys['two.test']!.publicKey);
    expect(k3).toEqual(keys['three.test']!.publicKey);
    const notaryCalls = client.log.filter((l) => l.startsWith('POST notary.test'));
    expect(notaryCalls).toHaveLength(1);
    expect(JSON.parse(notaryCalls[0]!.slice(notaryCalls[0]!.indexOf('{')))).toEqual({
      server_keys: { 'two.test': { 'ed25519:two': { minimum_valid_until_ts: now } }, 'three.test': { 'ed25519:three': { minimum_valid_until_ts: now } } },
    });
  });

  it('rejects notary answers the notary did not sign', async () => {
    const { ring, client, clock } = setup();
    client.up.add('notary.test');
    client.notarySigner = key(42, 'ed25519:notary');
    expect(await ring.getVerifyKey('two.test', 'ed25519:two', clock.now())).toBeUndefined();
  });

  it('rejects relayed keys whose origin signature is forged', async () => {
    const { ring, client, clock } = setup();
    client.up.add('notary.test');
    client.forgeOrigin = true;
    expect(await ring.getVerifyKey('two.test', 'ed25519:two', clock.now())).toBeUndefined();
  });

  it('fetches the notary\'s own keys when the config gives none', async () => {
    const { ring, client, clock } = setup({ notaryKeysInConfig: false });
    client.up.add('notary.test');
    expect(await ring.getVerifyKey('two.test', 'ed25519:two', clock.now())).toEqual(keys['two.test']!.publicKey);
    expect(client.log).toContain('GET notary.test /_matrix/key/v2/server');
  });

  it('does not ask a server again right after it answered without the key', async () => {
    const { ring, client, clock } = setup();
    client.up.add('one.test');
    expect(await ring.getVerifyKey('one.test', 'ed25519:made_up_1', clock.now())).toBeUndefined();
    expect(await ring.getVerifyKey('one.test', 'ed25519:made_up_2', clock.now())).toBeUndefined();
    expect(client.log.filter((l) => l.startsWith('GET one.test'))).toHaveLength(1);
    clock.advance(31_000);
    await ring.getVerifyKey('one.test', 'ed25519:made_up_3', clock.now());
    expect(client.log.filter((l) => l.startsWith('GET one.test'))).toHaveLength(2);
  });

  it('keeps serving the last responses of a server that went down (notary duty)', async () => {
    const { ring, client, clock } = setup();
    client.up.add('one.test');
    await ring.getVerifyKey('one.test', 'ed25519:one', clock.now());
    client.up.delete('one.test');
    clock.advance(2 * DAY);
    const responses = await ring.storedResponses('one.test', [], clock.now());
    expect(responses.map((r) => r['server_name'])).toEqual(['one.test']);
  });
});
