import type { Endpoint, HttpMethod } from './endpoint.js';

/**
 * Path-template matching shared by both transports: `/rooms/{roomId}/state/{eventType}` style
 * templates matched segment by segment against the raw (percent-encoded) path, so an encoded
 * `/` inside a parameter (`%2F`) never splits a segment. Parameters are decoded after matching.
 */

type Segment = { readonly literal: string } | { readonly param: string };

interface Route<E> {
  readonly endpoint: E;
  readonly method: string;
  readonly template: string;
  readonly segments: readonly Segment[];
}

export type RouteMatch<E> =
  | { readonly kind: 'found'; readonly endpoint: E; readonly params: Record<string, string>; readonly template: string }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'not-found' }
  /** The path matched a template but a parameter is not valid percent-encoding. */
  | { readonly kind: 'bad-path'; readonly message: string };

export function parseTemplate(template: string): Segment[] {
  if (!template.startsWith('/')) throw new Error(`path template must start with /: ${template}`);
  return template
    .slice(1)
    .split('/')
    .map((part) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
      if (m) return { param: m[1]! };
      if (part.includes('{') || part.includes('}')) throw new Error(`bad path template segment ${part} in ${template}`);
      return { literal: part };
    });
}

/** Literal segments beat parameters at the first position where two templates differ. */
function compareSpecificity(a: readonly Segment[], b: readonly Segment[]): number {
  for (let i = 0; i < a.length; i++) {
    const aLiteral = 'literal' in a[i]!;
    const bLiteral = 'literal' in b[i]!;
    if (aLiteral !== bLiteral) return aLiteral ? -1 : 1;
  }
  return 0;
}

/** Every (method, template) the table serves, primary paths and aliases alike. */
export function routesOf<E extends Pick<Endpoint, 'method' | 'path' | 'aliases'>>(
  table: readonly E[],
): { endpoint: E; method: HttpMethod; template: string }[] {
  return table.flatMap((endpoint) =>
    [endpoint.path, ...(endpoint.aliases ?? [])].map((template) => ({ endpoint, method: endpoint.method, template })),
  );
}

export class Router<E extends Pick<Endpoint, 'method' | 'path' | 'aliases'>> {
  /** Routes bucketed by segment count; within a bucket, most specific first. */
  private readonly bySegmentCount = new Map<number, Route<E>[]>();

  constructor(table: readonly E[]) {
    const seen = new Set<string>();
    for (const { endpoint, method, template } of routesOf(table)) {
      const segments = parseTemplate(template);
      const key = `${method} ${segments.map((s) => ('literal' in s ? s.literal : '{}')).join('/')}`;
      if (seen.has(key)) throw new Error(`duplicate route ${method} ${template}`);
      seen.add(key);
      const bucket = this.bySegmentCount.get(segments.length) ?? [];
      bucket.push({ endpoint, method, template, segments });
      this.bySegmentCount.set(segments.length, bucket);
    }
    for (const bucket of this.bySegmentCount.values()) bucket.sort((a, b) => compareSpecificity(a.segments, b.segments));
  }

  /** `path` is the raw request path without the query string. HEAD is served by GET routes. */
  match(method: string, path: string): RouteMatch<E> {
    const wanted = method === 'HEAD' ? 'GET' : method;
    if (!path.startsWith('/')) return { kind: 'not-found' };
    const parts = path.slice(1).split('/');
    const bucket = this.bySegmentCount.get(parts.length);
    if (!bucket) return { kind: 'not-found' };
    const allowed = new Set<string>();
    for (const route of bucket) {
      const raw = matchSegments(route.segments, parts);
      if (!raw) continue;
      if (route.method !== wanted) {
        allowed.add(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (const [name, value] of raw) {
        try {
          params[name] = decodeURIComponent(value);
        } catch {
          return { kind: 'bad-path', message: `Path parameter ${name} is not valid percent-encoding` };
        }
      }
      return { kind: 'found', endpoint: route.endpoint, params, template: route.template };
    }
    if (allowed.size > 0) return { kind: 'method-not-allowed', allowed: [...allowed].sort() };
    return { kind: 'not-found' };
  }
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): [string, string][] | undefined {
  const params: [string, string][] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if ('literal' in segment) {
      if (segment.literal !== parts[i]) return undefined;
    } else {
      params.push([segment.param, parts[i]!]);
    }
  }
  return params;
}
