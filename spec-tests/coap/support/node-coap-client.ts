/** node `coap` (the client side only) wrapped in a promise, with its own agent per call site. */

import { createSocket } from 'node:dgram';
import { Agent, request, type CoapRequestParams, type IncomingMessage } from 'coap';

export interface CoapReply {
  readonly code: string;
  readonly payload: Buffer;
  readonly options: ReadonlyArray<{ readonly name: string | number; readonly value: unknown }>;
  /** As node-coap converts it: Content-Format → 'application/cbor', Max-Age → number, unknown → Buffer. */
  option(name: string | number): unknown;
}

export interface RequestSpec {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly pathname: string;
  readonly query?: string;
  readonly payload?: Buffer;
  /** Raw options by number or name, e.g. { 256: Buffer.from(token), 'Content-Format': Buffer.of(60) }. */
  readonly options?: Readonly<Record<string, Buffer>>;
  readonly confirmable?: boolean;
}

export function coapRequest(agent: Agent, host: string, port: number, spec: RequestSpec): Promise<CoapReply> {
  const params: CoapRequestParams = {
    hostname: host,
    port,
    method: spec.method ?? 'GET',
    pathname: spec.pathname,
    confirmable: spec.confirmable ?? true,
    agent,
    ...(spec.query === undefined ? {} : { query: spec.query }),
  };
  return new Promise<CoapReply>((resolve, reject) => {
    const req = request(params);
    for (const [name, value] of Object.entries(spec.options ?? {})) req.setOption(name, value);
    req.on('response', (res: IncomingMessage) => {
      const options = (res._packet.options ?? []).map((o) => ({ name: o.name, value: o.value }));
      resolve({
        code: res.code,
        payload: res.payload,
        options,
        option: (name) => options.find((o) => String(o.name) === String(name))?.value,
      });
    });
    req.on('error', reject);
    req.on('timeout', reject);
    req.end(spec.payload);
  });
}

/**
 * An agent on a socket of our own: node-coap closes the sockets it creates whenever no request
 * is in flight, so each request would come from a new port (a new CoAP endpoint). A sensor keeps
 * its socket; so do we, which is what makes token stickiness observable.
 */
export function newAgent(family: 'udp4' | 'udp6' = 'udp4'): { agent: Agent; close(): void } {
  const socket = createSocket(family);
  const agent = new Agent({ type: family, socket });
  return {
    agent,
    close: () => {
      agent.close();
      socket.close();
    },
  };
}
