import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveFixture, resolveStateCommand } from '../../src/cli/resolve-state.js';
import { formatFixtureStateMap, parseStateResFixture } from '../../src/cli/state-res-fixture.js';
import type { JsonValue } from '../../src/core/json.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const specDir = path.resolve(projectRoot, '..', 'shared', 'spec', 'state-res');
const fixtureFiles = readdirSync(specDir)
  .filter((name) => name.endsWith('.json') && name !== 'primitives.json')
  .sort();

function load(name: string): JsonValue {
  return JSON.parse(readFileSync(path.join(specDir, name), 'utf8')) as JsonValue;
}

describe('shared/spec/state-res fixtures', () => {
  it('finds the fixtures, of both kinds', () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(13);
    const kinds = new Set(fixtureFiles.map((name) => parseStateResFixture(load(name)).kind));
    expect(kinds).toEqual(new Set(['dag', 'state_sets']));
  });

  for (const name of fixtureFiles) {
    it(name, () => {
      const fixture = parseStateResFixture(load(name));
      expect(fixture.expectedState).toBeDefined();
      const resolved = resolveFixture(fixture);
      expect(formatFixtureStateMap(resolved)).toEqual(formatFixtureStateMap(fixture.expectedState!));
    });
  }
});

async function runCommand(stdin: string, args: string[] = []): Promise<{ code: number; stdout: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  input.end(stdin);
  const code = await resolveStateCommand.run(args, { stdin: input, stdout: output, stderr: errors });
  return { code, stdout: Buffer.concat(chunks).toString('utf8') };
}

describe('lattice resolve-state', () => {
  it('prints the expected state of a DAG fixture and of a state_sets fixture', async () => {
    for (const name of ['ruma-topic-vs-ban.json', 'ruma-msc4297-problem-b-state-res-v2-1.json']) {
      const text = readFileSync(path.join(specDir, name), 'utf8');
      const { code, stdout } = await runCommand(text);
      expect(code).toBe(0);
      const expected = (JSON.parse(text) as { expected_state: Record<string, string> }).expected_state;
      expect(JSON.parse(stdout)).toEqual(expected);
      // Keys come out sorted, so the output is stable.
      const keys = Object.keys(JSON.parse(stdout) as Record<string, string>);
      expect(keys).toEqual([...keys].sort());
    }
  });

  it('rejects bad input with a CliError', async () => {
    await expect(runCommand('not json')).rejects.toThrow(/not JSON/);
    await expect(runCommand('{"kind":"dag","room_version":"99","events":[]}')).rejects.toThrow(/unsupported room_version/);
    await expect(runCommand('{"kind":"tree","room_version":"10","events":[]}')).rejects.toThrow(/kind/);
    await expect(runCommand('{"kind":"dag","room_version":"10","events":[]}')).rejects.toThrow(/needs events/);
    await expect(
      runCommand('{"kind":"state_sets","room_version":"10","events":[{"id":"$a","type":"m.room.topic"}],"state_sets":[]}'),
    ).rejects.toThrow(/events\[0\]\.sender/);
    await expect(runCommand('{"kind":"state_sets","room_version":"10","events":[],"state_sets":[{"nobar":"$x"}]}')).rejects.toThrow(
      /not "type\|state_key"/,
    );
    await expect(runCommand('{}', ['--x'])).rejects.toThrow(/unexpected argument/);
  });

  it('converts fixture events: id, implied v12 create room_id, default depth', () => {
    const fixture = parseStateResFixture(load('ruma-msc4297-problem-a-state-res-v2-1.json'));
    const create = fixture.events.find((event) => event.type === 'm.room.create')!;
    expect(create.event_id).toBe('$00-m-room-create');
    expect(create.room_id).toBe('!00-m-room-create');
    expect(create.depth).toBe(0);
    expect(create.state_key).toBe('');
    expect(fixture.roomVersion.stateRes).toBe('v2.1');
  });
});
