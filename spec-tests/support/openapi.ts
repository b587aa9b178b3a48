import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { Router } from '../../src/api/routes.js';
import type { HttpMethod } from '../../src/api/endpoint.js';

/**
 * The spec's OpenAPI documents (shared/spec/openapi, read in place, never copied) as a response
 * validator: given (method, concrete path, status), find the operation by its path template and
 * check the body against the documented schema. OpenAPI 3.1 schemas are JSON Schema 2020-12;
 * `$ref`s between files resolve because every YAML file is registered under its file URL.
 */

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const openapiRoot = path.resolve(projectRoot, '..', 'shared', 'spec', 'openapi');
const dataRoot = path.join(openapiRoot, 'data');

// ajv-formats is CommonJS with `exports.default`; under NodeNext TypeScript sees the module
// namespace, whose `default` is the plugin function.
const addFormats = addFormatsModule.default;

interface Operation {
  readonly method: HttpMethod;
  readonly path: string;
  readonly aliases?: readonly string[];
  readonly operationId: string;
  readonly schemaRef: (status: number) => string | undefined;
  /** The JSON request body's schema, when the operation documents one. */
  readonly requestRef: string | undefined;
}

/** Checks the custom `mx-*` formats the spec defines (data/string-formats.yaml). */
const MX_FORMATS: Record<string, RegExp> = {
  'mx-user-id': /^@/,
  'mx-room-id': /^!/,
  'mx-event-id': /^\$/,
  'mx-room-alias': /^#/,
  'mx-mxc-uri': /^mxc:\/\//,
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return entry.name.endsWith('.yaml') || entry.name.endsWith('.yml') ? [full] : [];
  });
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Where the spec's schemas contradict the spec itself, the definition of the data wins: the
 * membership endpoints (send_join, send_leave, send_knock, invite, make_*) still list `origin`
 * as a required property of the event, but `origin` was removed from the PDU format in v1.12
 * (matrix-spec PR 998, issue 374; every pdu_v*.yaml here omits it, and Synapse stopped sending
 * it). A missing `origin` on an event of those operations is therefore not a violation.
 */
const PDU_ORIGIN_ERRATA = new Set(['makeJoin', 'sendJoinV2', 'makeLeave', 'sendLeaveV2', 'makeKnock', 'sendKnock', 'sendInviteV2', 'sendInviteV1']);

function isErratum(operationId: string | undefined, error: ErrorObject): boolean {
  return (
    operationId !== undefined &&
    PDU_ORIGIN_ERRATA.has(operationId) &&
    error.keyword === 'required' &&
    (error.params as { missingProperty?: string }).missingProperty === 'origin'
  );
}

export class OpenApiValidator {
  private readonly ajv: Ajv2020;
  private readonly router: Router<Operation>;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly errorSchemaRef: string;

  constructor() {
    this.ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    const stringFormats = parseYaml(readFileSync(path.join(dataRoot, 'string-formats.yaml'), 'utf8')) as Record<string, unknown>;
    for (const name of Object.keys(stringFormats)) {
      if (this.ajv.formats[name] !== undefined) continue;
      const regex = MX_FORMATS[name];
      // Formats without a usable regex in the spec are accepted as any string.
      this.ajv.addFormat(name, regex ?? true);
    }
    for (const extra of ['int64', 'int32', 'byte', 'binary', 'password']) if (this.ajv.formats[extra] === undefined) this.ajv.addFormat(extra, true);

    const operations: Operation[] = [];
    const seen = new Set<string>();
    for (const file of yamlFiles(dataRoot)) {
      const doc: unknown = parseYaml(readFileSync(file, 'utf8'));
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) continue;
      const id = pathToFileURL(file).href;
      // The id goes inside the document (not only as ajv's key): ajv resolves relative $refs
      // in a referenced file against that file's own $id.
      this.ajv.addSchema({ ...(doc as object), $id: id });
      if (!file.startsWith(path.join(dataRoot, 'api') + path.sep)) continue;
      operations.push(...this.operationsOf(doc as Record<string, unknown>, id, seen));
    }
    this.router = new Router(operations);
    this.errorSchemaRef = pathToFileURL(path.join(dataRoot, 'api', 'client-server', 'definitions', 'errors', 'error.yaml')).href;
  }

  private operationsOf(doc: Record<string, unknown>, id: string, seen: Set<string>): Operation[] {
    const paths = doc['paths'] as Record<string, Record<string, unknown>> | undefined;
    if (!paths) return [];
    const servers = doc['servers'] as { variables?: { basePath?: { default?: string } } }[] | undefined;
    const basePath = servers?.[0]?.variables?.basePath?.default ?? '';
    const out: Operation[] = [];
    for (const [apiPath, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        const upper = method.toUpperCase();
        if (!['GET', 'PUT', 'POST', 'DELETE'].includes(upper)) continue;
        const operation = op as {
          operationId?: string;
          responses?: Record<string, { content?: Record<string, unknown> }>;
          requestBody?: { content?: Record<string, unknown> };
        };
        const fullPath = basePath + apiPath;
        const key = `${upper} ${fullPath.replace(/\{[^}]+\}/g, '{}')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const responses = operation.responses ?? {};
        const pointerOf = (...segments: string[]): string => `${id}#/${['paths', apiPath, method, ...segments].map(escapePointer).join('/')}`;
        out.push({
          method: upper as HttpMethod,
          path: fullPath,
          operationId: operation.operationId ?? key,
          schemaRef: (status) => {
            const response = responses[String(status)];
            if (!response) return undefined;
            if (!response.content?.['application/json']) return '';
            return pointerOf('responses', String(status), 'content', 'application/json', 'schema');
          },
          requestRef: operation.requestBody?.content?.['application/json'] ? pointerOf('requestBody', 'content', 'application/json', 'schema') : undefined,
        });
      }
    }
    return out;
  }

  private validator(ref: string): ValidateFunction {
    let v = this.compiled.get(ref);
    if (!v) {
      const found = this.ajv.getSchema(ref);
      if (!found) throw new Error(`cannot resolve schema ${ref}`);
      v = found;
      this.compiled.set(ref, v);
    }
    return v;
  }

  /** The spec's operation for a concrete path, if any (its operationId). */
  operationId(method: string, rawPath: string): string | undefined {
    const match = this.router.match(method, rawPath);
    return match.kind === 'found' ? match.endpoint.operationId : undefined;
  }

  /**
   * Validates one JSON request body against the operation's documented request schema. Throws
   * when the path is no operation of the spec or the body does not match; operations without a
   * documented JSON body accept anything.
   */
  checkRequest(method: string, rawPath: string, body: unknown): void {
    const match = this.router.match(method, rawPath);
    const where = `${method} ${rawPath} (request)`;
    if (match.kind !== 'found') throw new Error(`${where}: no operation in the spec for this path`);
    const ref = match.endpoint.requestRef;
    if (ref === undefined) return;
    const validate = this.validator(ref);
    const errors = validate(body) ? [] : (validate.errors ?? []).filter((e) => !isErratum(match.endpoint.operationId, e));
    if (errors.length > 0) {
      const details = errors.slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`).join('; ');
      throw new Error(`${where}: request body does not match the spec schema: ${details}\nbody: ${JSON.stringify(body).slice(0, 500)}`);
    }
  }

  /**
   * Validates one JSON response. Throws (failing the test) when the body does not match the
   * documented schema, or when a success status is not documented for the operation. Error
   * statuses the operation does not list (413, 405, 429 ...) must still be Matrix errors.
   * Paths outside the spec are accepted only under `allowedNonSpecPrefixes`.
   */
  check(method: string, rawPath: string, status: number, body: unknown, allowedNonSpecPrefixes: readonly string[] = []): void {
    const match = this.router.match(method, rawPath);
    const where = `${method} ${rawPath} → ${status}`;
    let ref: string | undefined;
    if (match.kind === 'found') {
      ref = match.endpoint.schemaRef(status);
      if (ref === '') return; // documented without a JSON body
      if (ref === undefined) {
        if (status < 400) throw new Error(`${where}: status ${status} is not documented for ${match.endpoint.operationId}`);
        ref = this.errorSchemaRef;
      }
    } else {
      if (status < 400 && !allowedNonSpecPrefixes.some((p) => rawPath.startsWith(p))) {
        throw new Error(`${where}: no operation in the spec for this path`);
      }
      if (status < 400) return;
      ref = this.errorSchemaRef;
    }
    const validate = this.validator(ref);
    const operationId = match.kind === 'found' ? match.endpoint.operationId : undefined;
    const errors = validate(body) ? [] : (validate.errors ?? []).filter((e) => !isErratum(operationId, e));
    if (errors.length > 0) {
      const details = errors.slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`).join('; ');
      throw new Error(`${where}: response does not match the spec schema (${ref.split('#')[1] ?? ref}): ${details}\nbody: ${JSON.stringify(body).slice(0, 500)}`);
    }
  }
}
