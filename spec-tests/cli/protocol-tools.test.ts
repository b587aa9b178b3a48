import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadVector, projectRoot, specRoot } from '../core/spec-vectors.js';

/**
 * The protocol tools as operators run them: the built CLI in a child process, JSON on stdin,
 * JSON on stdout, exit 1 and one line on stderr for bad input. `npm test` builds dist/ first.
 */
const cli = path.join(projectRoot, 'dist', 'src', 'main.js');

function run(args: string[], stdin: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { input: stdin, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function runJson(args: string[], stdin: unknown): unknown {
  const result = run(args, typeof stdin === 'string' ? stdin : JSON.stringify(stdin));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

function expectOneLineError(result: { code: number | null; stdout: string; stderr: string }): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
}

interface SigningVectors {
  signing_key: { seed_base64: string; server_name: string; key_id: string; derived_public_key_base64: string };
  json_signing: { name: string; input: object; expected: object }[];
}
interface EventSigningVectors {
  cases: {
    name: string;
    input: Record<string, unknown>;
    expected: { hashes: { sha256: string } };
    derived: {
      reference_hash_v1_to_v10_redaction?: { event_id_v3: string; event_id_v4_plus: string };
      reference_hash_v11_plus_redaction?: { event_id_v4_plus: string };
    };
  }[];
}

describe.runIf(existsSync(cli))('lattice protocol tools', () => {
  const signing = loadVector<SigningVectors>('signing.json');
  const key = signing.signing_key;

  it('canonical-json prints the spec examples exactly', () => {
    for (const vector of loadVector<{ input: string; expected: string }[]>('canonical-json.json')) {
      const result = run(['canonical-json'], vector.input);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(vector.expected + '\n');
    }
  });

  it('canonical-json refuses floats and out-of-range integers in one line', () => {
    for (const input of ['{"a":1.5}', '{"a":9007199254740992}', '{"a":-9007199254740992}', 'not json', '{"a":1']) {
      expectOneLineError(run(['canonical-json'], input));
    }
  });

  it('sign-json reproduces the spec signing vectors and verify-json accepts them', () => {
    for (const vector of signing.json_signing) {
      const signed = runJson(
        ['sign-json', '--seed', key.seed_base64, '--server', key.server_name, '--key-id', key.key_id],
        vector.input,
      );
      expect(signed).toEqual(vector.expected);
      const verified = runJson(
        ['verify-json', '--server', key.server_name, '--key', `${key.key_id}=${key.derived_public_key_base64}`],
        signed,
      );
      expect(verified).toMatchObject({ valid: true });
    }
  });

  it('verify-json exits 1 on a tampered object, a wrong key or a missing signature', () => {
    const signed = signing.json_signing[1]!.expected as Record<string, unknown>;
    const keyFlag = ['--server', key.server_name, '--key', `${key.key_id}=${key.derived_public_key_base64}`];
    expectOneLineError(run(['verify-json', ...keyFlag], JSON.stringify({ ...signed, two: 'Three' })));
    expectOneLineError(run(['verify-json', '--server', 'other.example', '--key', `${key.key_id}=${key.derived_public_key_base64}`], JSON.stringify(signed)));
    expectOneLineError(run(['verify-json', ...keyFlag], '{"one":1}'));
    expectOneLineError(run(['verify-json', '--server', key.server_name, '--key', 'garbage'], JSON.stringify(signed)));
  });

  it('hash-event fills in the spec content hashes', () => {
    for (const vector of loadVector<EventSigningVectors>('event-signing.json').cases) {
      const hashed = runJson(['hash-event', '--room-version', '10'], vector.input) as { hashes: { sha256: string } };
      expect(hashed.hashes.sha256).toBe(vector.expected.hashes.sha256);
    }
  });

  it('event-id gives the v3 and v4 formats of the spec vectors', () => {
    const vector = loadVector<EventSigningVectors>('event-signing.json').cases.find((c) => c.name === 'minimal-event')!;
    const before11 = vector.derived.reference_hash_v1_to_v10_redaction!;
    expect(runJson(['event-id', '--room-version', '3'], vector.expected)).toEqual({ event_id: before11.event_id_v3 });
    expect(runJson(['event-id', '--room-version', '10'], vector.expected)).toEqual({ event_id: before11.event_id_v4_plus });
    expect(runJson(['event-id', '--room-version', '11'], vector.expected)).toEqual({
      event_id: vector.derived.reference_hash_v11_plus_redaction!.event_id_v4_plus,
    });
  });

  it('event-id derives the v12 room ID from a create event', () => {
    const v12 = loadVector<{ derived_example: { signed_create_event: object; create_event_id: string; room_id: string } }>(
      'room-v12.json',
    );
    const example = v12.derived_example;
    expect(runJson(['event-id', '--room-version', '12'], example.signed_create_event)).toEqual({
      event_id: example.create_event_id,
      room_id: example.room_id,
    });
  });

  it('redact keeps what each rule set keeps', () => {
    const event = {
      type: 'm.room.join_rules',
      state_key: '',
      sender: '@a:x',
      room_id: '!r:x',
      origin: 'x',
      content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }], extra: 1 },
    };
    const v7 = runJson(['redact', '--room-version', '7'], event) as Record<string, unknown>;
    expect(v7.content).toEqual({ join_rule: 'restricted' });
    expect(v7.origin).toBe('x');
    const v11 = runJson(['redact', '--room-version', '11'], event) as Record<string, unknown>;
    expect(v11.content).toEqual({ join_rule: 'restricted', allow: event.content.allow });
    expect(v11).not.toHaveProperty('origin');
    expectOneLineError(run(['redact', '--room-version', '99'], JSON.stringify(event)));
    expectOneLineError(run(['redact'], JSON.stringify(event)));
  });

  it('resolve-state gives the expected state of every shared fixture', () => {
    const dir = path.join(specRoot, 'state-res');
    const fixtures = readdirSync(dir).filter((f) => f.startsWith('ruma-'));
    expect(fixtures.length).toBeGreaterThan(0);
    for (const file of fixtures) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const expected = (JSON.parse(text) as { expected_state: object }).expected_state;
      expect(runJson(['resolve-state'], text), file).toEqual(expected);
    }
  });

  it('resolve-state refuses input that is not a fixture', () => {
    expectOneLineError(run(['resolve-state'], '{"kind":"dag"}'));
    expectOneLineError(run(['resolve-state'], '[]'));
  });

  it('unknown commands and flags fail cleanly', () => {
    expect(run(['no-such-command'], '').code).toBe(1);
    expectOneLineError(run(['canonical-json', '--bogus', 'x'], '{}'));
  });
});
