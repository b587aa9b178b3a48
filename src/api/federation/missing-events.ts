import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/** POST /get_missing_events/{roomId} (backfill.yaml): the events filling a gap in the asker's DAG. */
export const getMissingPreviousEvents = endpoint({
  id: 'getMissingPreviousEvents',
  method: 'POST',
  path: '/_matrix/federation/v1/get_missing_events/{roomId}',
  auth: 'server',
  rateLimit: 'none',
  body: Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 0 })),
    min_depth: Type.Optional(Type.Integer({ minimum: 0 })),
    earliest_events: Type.Array(Type.String()),
    latest_events: Type.Array(Type.String()),
  }),
  async handler({ services, origin, params, body }) {
    return ok(
      services.federationEvents.missingEvents.missingEvents(origin, params['roomId']!, {
        earliest: body.earliest_events,
        latest: body.latest_events,
        limit: body.limit ?? 10,
        minDepth: body.min_depth ?? 0,
      }),
    );
  },
});

export const missingEventsEndpoints = [getMissingPreviousEvents];
