import { eventSourceOf, resolveDag, resolveState } from '../core/state-res/index.js';
import type { StateMap } from '../core/events/room-event.js';
import type { JsonValue } from '../core/json.js';
import { CliError, readStdin, type CliCommand } from './command.js';
import { formatFixtureStateMap, parseStateResFixture, type StateResFixture } from './state-res-fixture.js';

/** Resolves a fixture: its state_sets, or the forward extremities of its DAG. */
export function resolveFixture(fixture: StateResFixture): StateMap {
  if (fixture.kind === 'dag') {
    if (fixture.events.length === 0) throw new CliError('a "dag" fixture needs events');
    return resolveDag(fixture.roomVersion, fixture.events);
  }
  return resolveState(fixture.roomVersion, fixture.stateSets, eventSourceOf(fixture.events));
}

export const resolveStateCommand: CliCommand = {
  name: 'resolve-state',
  summary: 'resolve the room state of a state-resolution fixture (JSON on stdin)',
  usage: 'lattice resolve-state < fixture.json   (format: shared/spec/state-res/README.md)',
  async run(args, io) {
    if (args.length > 0) throw new CliError(`unexpected argument ${args[0]}`);
    const text = await readStdin(io.stdin);
    let value: JsonValue;
    try {
      value = JSON.parse(text) as JsonValue;
    } catch (err) {
      throw new CliError(`stdin is not JSON: ${(err as Error).message}`);
    }
    const resolved = resolveFixture(parseStateResFixture(value));
    io.stdout.write(JSON.stringify(formatFixtureStateMap(resolved), null, 2) + '\n');
    return 0;
  },
};
