/**
 * libcoap's command-line client with OpenSSL (Debian 12 libcoap3-bin: `coap-client-openssl`,
 * 4.3.1) as an unmodified sensor over CoAP over TLS-PSK (coaps+tcp). Like the -notls build it
 * exits 0 on error responses and prints "<code> <diagnostic>" on stderr, so tests read both.
 */

import { libcoap, type LibcoapRequest, type LibcoapResult } from '../../coap/support/libcoap.js';

export const LIBCOAP_TLS_CLIENT = 'coap-client-openssl';

export interface LibcoapTlsRequest extends Omit<LibcoapRequest, 'client' | 'psk' | 'options'> {
  readonly identity: string;
  readonly key: string;
}

export function libcoapTls(request: LibcoapTlsRequest): Promise<LibcoapResult> {
  const { identity, key, ...rest } = request;
  return libcoap({ ...rest, client: LIBCOAP_TLS_CLIENT, psk: { identity, key } });
}
