/**
 * CoAP codes: the "c.dd" strings coap-packet speaks, the request methods we mount, and the
 * HTTP status → CoAP response code mapping (shared/reference/coap-status-map-proposal.json, a
 * proposal built from RFC 7252 §5.9, RFC 8075 §7, RFC 8132, RFC 8516 and RFC 7959; kept here as
 * data and checked against the reference by spec-tests/coap/tables.test.ts).
 *
 * 200 → 2.05 Content for every method, as matrix-org/lb does, so its clients keep working.
 */

export type CoapCode = string;

export const EMPTY = '0.00';

/** Request codes → the HTTP method the endpoint table knows. FETCH/PATCH/iPATCH are not mounted. */
export const METHOD_BY_CODE: ReadonlyMap<CoapCode, 'GET' | 'POST' | 'PUT' | 'DELETE'> = new Map([
  ['0.01', 'GET'],
  ['0.02', 'POST'],
  ['0.03', 'PUT'],
  ['0.04', 'DELETE'],
] as const);

export const HTTP_TO_COAP: ReadonlyMap<number, CoapCode> = new Map([
  [200, '2.05'], [201, '2.01'], [204, '2.04'],
  [400, '4.00'], [401, '4.01'], [403, '4.03'], [404, '4.04'], [405, '4.05'], [406, '4.06'],
  [409, '4.09'], [412, '4.12'], [413, '4.13'], [415, '4.15'], [422, '4.22'], [429, '4.29'],
  [500, '5.00'], [501, '5.01'], [502, '5.02'], [503, '5.03'], [504, '5.04'],
]);

/** Codes that exist only on the CoAP side (block-wise and option errors). */
export const CoapOnly = {
  Continue: '2.31',
  BadOption: '4.02',
  RequestEntityIncomplete: '4.08',
  RequestEntityTooLarge: '4.13',
  ProxyingNotSupported: '5.05',
} as const;

/** HTTP status → CoAP code; unmapped 2xx → 2.05, 4xx → 4.00, anything else → 5.00. */
export function coapCodeForHttpStatus(status: number): CoapCode {
  const mapped = HTTP_TO_COAP.get(status);
  if (mapped !== undefined) return mapped;
  if (status >= 200 && status < 300) return '2.05';
  if (status >= 400 && status < 500) return '4.00';
  return '5.00';
}

/** RFC 7252 §12.1: class 0 detail 1..31 is a request, class 2/4/5 a response. */
export function codeClass(code: CoapCode): number {
  return Number.parseInt(code.slice(0, code.indexOf('.')), 10);
}

export function isRequestCode(code: CoapCode): boolean {
  return codeClass(code) === 0 && code !== EMPTY;
}

export function isResponseCode(code: CoapCode): boolean {
  const cls = codeClass(code);
  return cls === 2 || cls === 4 || cls === 5;
}
