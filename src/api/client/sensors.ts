import { Type } from '@sinclair/typebox';
import { MatrixError, ErrCode } from '../../services/errors.js';
import { credentialsToJson } from '../../services/oscore/credentials.js';
import { advertisedCoapAddress } from '../../services/sensors.js';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/**
 * Lattice's own: `lattice sensor add` for clients. Creates a sensor device for the requester
 * and returns its OSCORE credentials (JSON, with the CBOR blob under `cbor`); see
 * src/transport/coap/README.md "For sensor owners". The response is the only time the Master
 * Secret is shown; deleting the device revokes it.
 */
export const addSensor = endpoint({
  id: 'org.lattice.addSensor',
  method: 'POST',
  path: '/_matrix/client/unstable/org.lattice.sensors',
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    device_name: Type.String({ minLength: 1, maxLength: 512 }),
    room_id: Type.Optional(Type.String({ maxLength: 255 })),
  }),
  async handler({ services, requester, body }) {
    const coap = advertisedCoapAddress(services.config, services.address);
    if (coap === undefined) throw new MatrixError(404, ErrCode.UNRECOGNIZED, 'This server has no CoAP listener for sensors');
    const credentials = services.sensors.add({ userId: requester.userId, deviceName: body.device_name, roomId: body.room_id, coap });
    return ok(credentialsToJson(credentials));
  },
});

export const sensorEndpoints = [addSensor];
