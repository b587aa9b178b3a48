import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json.js';
import { badJson, invalidParam, MatrixError, missingParam, notJson } from '../services/errors.js';

/**
 * Request-body validation: TypeBox schemas compiled by ajv once per endpoint (when the
 * dispatcher is built), and ajv's first error turned into the Matrix error that names the field.
 */

export type BodyValidator = (value: JsonValue | undefined) => JsonObject;

export function createAjv(): Ajv {
  // No coercion, no defaults: handlers see exactly what the client sent, or an error.
  return new Ajv({ allErrors: false, strict: true, coerceTypes: false, useDefaults: false });
}

export function compileBodyValidator(ajv: Ajv, schema: TSchema): BodyValidator {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => {
    // An absent body is an empty object: clients POST /logout or /join without one.
    const body = value === undefined ? {} : value;
    if (!isJsonObject(body)) throw notJson('Content must be a JSON object');
    if (!validate(body)) throw errorFromAjv(validate.errors ?? []);
    return body;
  };
}

/** `/auth/identifier` → `auth.identifier` (JSON-pointer unescaped). */
function fieldName(instancePath: string, child?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  return parts.join('.');
}

export function errorFromAjv(errors: readonly ErrorObject[]): MatrixError {
  const error = errors[0];
  if (!error) return badJson('Invalid request body');
  switch (error.keyword) {
    case 'required': {
      const missing = String((error.params as { missingProperty?: string }).missingProperty ?? '');
      return missingParam(`Missing '${fieldName(error.instancePath, missing)}'`);
    }
    case 'type': {
      const field = fieldName(error.instancePath);
      const expected = String((error.params as { type?: string }).type ?? 'another type');
      return badJson(field ? `'${field}' must be ${article(expected)} ${expected}` : `Body must be ${expected}`);
    }
    case 'const':
    case 'enum':
    case 'anyOf': {
      const allowed = errors
        .filter((e) => e.instancePath === error.instancePath && e.keyword === 'const')
        .map((e) => JSON.stringify((e.params as { allowedValue?: unknown }).allowedValue));
      const suffix = allowed.length > 0 ? ` (one of ${allowed.join(', ')})` : '';
      return invalidParam(`'${fieldName(error.instancePath)}' has an unsupported value${suffix}`);
    }
    default:
      return invalidParam(`'${fieldName(error.instancePath) || 'body'}' ${error.message ?? 'is invalid'}`);
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
