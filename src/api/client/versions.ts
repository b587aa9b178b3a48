import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/**
 * Spec versions we claim. A version is listed once what clients rely on from it works; v1.11
 * (authenticated media) is not yet, so clients keep using the older media paths.
 */
export const SUPPORTED_SPEC_VERSIONS = ['v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10'];

export const getVersions = endpoint({
  id: 'getVersions',
  method: 'GET',
  path: '/_matrix/client/versions',
  auth: 'none',
  rateLimit: 'none',
  async handler({ services }) {
    const lowBandwidth = services.address.lowBandwidth;
    return ok({
      versions: SUPPORTED_SPEC_VERSIONS,
      // The spec types unstable_features values as booleans, so the MSC3079 details (which the
      // MSC puts under its feature name) go in a top-level member of the same name.
      unstable_features: { 'org.matrix.msc3079.low_bandwidth': lowBandwidth !== undefined },
      ...(lowBandwidth && {
        'org.matrix.msc3079.low_bandwidth': {
          coap: lowBandwidth.coapPorts[0]!,
          coap_ports: [...lowBandwidth.coapPorts],
          cbor_enum_version: lowBandwidth.cborKeyTableVersion,
          coap_enum_version: lowBandwidth.pathEnumVersion,
        },
      }),
    });
  },
});

export const versionsEndpoints = [getVersions];
