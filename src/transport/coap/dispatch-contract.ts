/**
 * The dispatcher contract this transport mounts (src/api/dispatch.ts), re-exported so the rest
 * of the CoAP transport imports it from one place. Type-only: the transport never pulls the
 * endpoint table or services in; src/homeserver.ts hands it a `Dispatch`.
 */

export type { Dispatch, IncomingRequest } from '../../api/dispatch.js';
export type { EndpointResponse, Requester } from '../../api/endpoint.js';
export { jsonObjectBody } from '../../api/endpoint.js';
