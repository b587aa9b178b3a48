import type { AuthGraph } from './graph.js';
import { compareEventIds } from './order.js';

const POWER_LEVELS = 'm.room.power_levels';

/**
 * The mainline of a power levels event P₀: [P₀, P₁, …], each Pᵢ₊₁ being the power levels event
 * among Pᵢ's auth events. Returned as event ID → index i.
 */
export function mainlineOf(graph: AuthGraph, powerLevelsId: string | undefined): Map<string, number> {
  const mainline = new Map<string, number>();
  let current = powerLevelsId !== undefined && graph.event(powerLevelsId) !== undefined ? powerLevelsId : undefined;
  while (current !== undefined && !mainline.has(current)) {
    mainline.set(current, mainline.size);
    current = graph.authEventOfType(current, POWER_LEVELS)?.event_id;
  }
  return mainline;
}

/**
 * Mainline positions relative to a mainline, memoising every power levels event walked through,
 * so events sharing an ancestry cost one walk between them.
 */
export class MainlinePositions {
  private readonly anchor = new Map<string, number>();

  constructor(
    private readonly graph: AuthGraph,
    private readonly mainline: ReadonlyMap<string, number>,
  ) {}

  /**
   * The mainline position of event e: the index i of the first of e₁, e₂, … (the chain of power
   * levels auth events, e itself excluded) that is on the mainline, Pᵢ; Infinity when none is,
   * including when e cites no power levels event at all.
   */
  position(eventId: string): number {
    const path: string[] = [];
    let current = this.graph.authEventOfType(eventId, POWER_LEVELS)?.event_id;
    let found = Infinity;
    const onPath = new Set<string>();
    while (current !== undefined) {
      const onMainline = this.mainline.get(current);
      if (onMainline !== undefined) {
        found = onMainline;
        break;
      }
      const known = this.anchor.get(current);
      if (known !== undefined) {
        found = known;
        break;
      }
      if (onPath.has(current)) break; // a cycle: only hostile input makes one
      onPath.add(current);
      path.push(current);
      current = this.graph.authEventOfType(current, POWER_LEVELS)?.event_id;
    }
    // Every power levels event on the way leads to the same mainline event.
    for (const id of path) this.anchor.set(id, found);
    return found;
  }
}

/**
 * The mainline ordering based on `powerLevelsId` (the partially resolved power levels; may be
 * absent, then every position is Infinity): larger mainline position first (events based on an
 * older power level come first; events with no power levels ancestor on the mainline first of
 * all), then smaller origin_server_ts, then smaller event ID. Unknown events are dropped.
 */
export function mainlineSort(graph: AuthGraph, eventIds: Iterable<string>, powerLevelsId: string | undefined): string[] {
  const ids = [...new Set(eventIds)].filter((id) => graph.event(id) !== undefined);
  if (ids.length === 0) return ids;
  const positions = new MainlinePositions(graph, mainlineOf(graph, powerLevelsId));
  const position = new Map<string, number>();
  const ts = new Map<string, number>();
  for (const id of ids) {
    position.set(id, positions.position(id));
    ts.set(id, graph.event(id)!.origin_server_ts);
  }
  return ids.sort((a, b) => {
    const pa = position.get(a)!;
    const pb = position.get(b)!;
    if (pa !== pb) return pa > pb ? -1 : 1;
    const ta = ts.get(a)!;
    const tb = ts.get(b)!;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return compareEventIds(a, b);
  });
}
