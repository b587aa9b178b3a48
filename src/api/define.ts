import { Type, type TUnsafe } from '@sinclair/typebox';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { Services } from '../services/services.js';
import { endpointsFor } from './endpoint.js';

/** `endpoint({...})`: declares one table entry against our Services (see endpoint.ts). */
export const endpoint = endpointsFor<Services>();

/** Any JSON value (the static type is JsonValue, not unknown). */
export const AnyJson = (): TUnsafe<JsonValue> => Type.Unsafe<JsonValue>({});

/** A JSON object with any members. */
export const AnyObject = (): TUnsafe<JsonObject> => Type.Unsafe<JsonObject>({ type: 'object' });

/** The UIA `auth` field (spec AuthenticationData): type and session checked, the rest stage-specific. */
export const AuthData = (): TUnsafe<JsonObject> =>
  Type.Unsafe<JsonObject>(
    Type.Object({
      type: Type.Optional(Type.String()),
      session: Type.Optional(Type.String()),
    }),
  );

/** A query parameter's single value (the last one if repeated), or undefined. */
export function queryParam(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  return values.length > 0 ? values[values.length - 1] : undefined;
}
