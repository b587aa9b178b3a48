import { Type } from '@sinclair/typebox';
import { deviceJson } from '../../services/devices.js';
import { ok } from '../endpoint.js';
import { AuthData, endpoint } from '../define.js';

export const getDevices = endpoint({
  id: 'getDevices',
  method: 'GET',
  path: '/_matrix/client/v3/devices',
  aliases: ['/_matrix/client/r0/devices'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester }) {
    return ok({ devices: services.devices.list(requester.userId).map(deviceJson) });
  },
});

export const getDevice = endpoint({
  id: 'getDevice',
  method: 'GET',
  path: '/_matrix/client/v3/devices/{deviceId}',
  aliases: ['/_matrix/client/r0/devices/{deviceId}'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok(deviceJson(services.devices.get(requester.userId, params['deviceId']!)));
  },
});

export const updateDevice = endpoint({
  id: 'updateDevice',
  method: 'PUT',
  path: '/_matrix/client/v3/devices/{deviceId}',
  aliases: ['/_matrix/client/r0/devices/{deviceId}'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ display_name: Type.Optional(Type.String({ maxLength: 512 })) }),
  async handler({ services, requester, params, body }) {
    // An absent display_name leaves the name as it is.
    if (body.display_name !== undefined) services.devices.rename(requester.userId, params['deviceId']!, body.display_name);
    else services.devices.get(requester.userId, params['deviceId']!);
    return ok({});
  },
});

export const deleteDevice = endpoint({
  id: 'deleteDevice',
  method: 'DELETE',
  path: '/_matrix/client/v3/devices/{deviceId}',
  aliases: ['/_matrix/client/r0/devices/{deviceId}'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ auth: Type.Optional(AuthData()) }),
  async handler({ services, requester, params, body, clientIp }) {
    await services.devices.deleteWithAuth(requester, [params['deviceId']!], body.auth, clientIp, 'deleteDevice');
    return ok({});
  },
});

export const deleteDevices = endpoint({
  id: 'deleteDevices',
  method: 'POST',
  path: '/_matrix/client/v3/delete_devices',
  aliases: ['/_matrix/client/r0/delete_devices'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    devices: Type.Array(Type.String(), { maxItems: 1000 }),
    auth: Type.Optional(AuthData()),
  }),
  async handler({ services, requester, body, clientIp }) {
    await services.devices.deleteWithAuth(requester, body.devices, body.auth, clientIp, 'deleteDevices');
    return ok({});
  },
});

export const deviceManagementEndpoints = [getDevices, getDevice, updateDevice, deleteDevice, deleteDevices];
