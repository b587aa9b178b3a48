import { invalidParam } from '../errors.js';
import { tryParseSyncToken } from '../sync/token.js';
import type { TopoPosition } from '../../storage/timeline-repo.js';

/**
 * /messages tokens. Pagination walks a room in topological order, (depth, stream_ordering), and a
 * token is a position between events: `t<depth>_<stream>` means "after the event at (depth,
 * stream)": paginating backwards from it returns that event first. Sync's prev_batch is such a
 * token (just before the timeline's first event); a sync next_batch (`s...`) is accepted too and
 * means "after the room's last event at that stream position".
 */

export type PaginationToken = { readonly kind: 'topo'; readonly pos: TopoPosition } | { readonly kind: 'stream'; readonly stream: number };

const TOPO = /^t(-?\d{1,16})_(-?\d{1,16})$/;

export function topoToken(pos: TopoPosition): string {
  return `t${pos.depth}_${pos.stream}`;
}

/** The position just before an event: its predecessor in (depth, stream) order sorts at or before it. */
export function positionBefore(event: { readonly depth: number; readonly streamOrdering: number }): TopoPosition {
  return { depth: event.depth, stream: event.streamOrdering - 1 };
}

export function positionAt(event: { readonly depth: number; readonly streamOrdering: number }): TopoPosition {
  return { depth: event.depth, stream: event.streamOrdering };
}

export function parsePaginationToken(text: string): PaginationToken {
  const m = TOPO.exec(text);
  if (m) return { kind: 'topo', pos: { depth: Number(m[1]), stream: Number(m[2]) } };
  const sync = tryParseSyncToken(text);
  if (sync) return { kind: 'stream', stream: sync.events };
  throw invalidParam('Invalid pagination token');
}
