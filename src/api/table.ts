import { adminRegisterEndpoints } from './admin/register.js';
import { accountDeactivationEndpoints } from './client/account_deactivation.js';
import { capabilitiesEndpoints } from './client/capabilities.js';
import { deviceManagementEndpoints } from './client/device_management.js';
import { filterEndpoints } from './client/filter.js';
import { loginEndpoints } from './client/login.js';
import { logoutEndpoints } from './client/logout.js';
import { passwordManagementEndpoints } from './client/password_management.js';
import { profileEndpoints } from './client/profile.js';
import { refreshEndpoints } from './client/refresh.js';
import { registrationEndpoints } from './client/registration.js';
import { registrationTokensEndpoints } from './client/registration_tokens.js';
import { versionsEndpoints } from './client/versions.js';
import { wellknownEndpoints } from './client/wellknown.js';
import { whoamiEndpoints } from './client/whoami.js';
import type { AnyEndpoint } from './dispatch.js';

/**
 * THE endpoint table: every endpoint the homeserver serves, on every transport. Each spec
 * module (src/api/client/<spec file>.ts) exports its list; add new modules here.
 */
export const endpointTable: readonly AnyEndpoint[] = [
  ...versionsEndpoints,
  ...wellknownEndpoints,
  ...capabilitiesEndpoints,
  ...registrationEndpoints,
  ...registrationTokensEndpoints,
  ...loginEndpoints,
  ...refreshEndpoints,
  ...logoutEndpoints,
  ...whoamiEndpoints,
  ...passwordManagementEndpoints,
  ...accountDeactivationEndpoints,
  ...deviceManagementEndpoints,
  ...profileEndpoints,
  ...filterEndpoints,
  ...adminRegisterEndpoints,
];
