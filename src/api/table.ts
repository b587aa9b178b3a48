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
import { sensorEndpoints } from './client/sensors.js';
import { accountDataEndpoints } from './client/account-data.js';
import { eventContextEndpoints } from './client/event_context.js';
import { messagePaginationEndpoints } from './client/message_pagination.js';
import { relationsEndpoints } from './client/relations.js';
import { searchEndpoints } from './client/search.js';
import { threadsListEndpoints } from './client/threads_list.js';
import { presenceEndpoints } from './client/presence.js';
import { readMarkersEndpoints } from './client/read_markers.js';
import { receiptsEndpoints } from './client/receipts.js';
import { reportContentEndpoints } from './client/report_content.js';
import { roomEventByTimestampEndpoints } from './client/room_event_by_timestamp.js';
import { syncEndpoints } from './client/sync.js';
import { tagsEndpoints } from './client/tags.js';
import { typingEndpoints } from './client/typing.js';
import { usersEndpoints } from './client/users.js';
import { pushRulesEndpoints } from './client/pushrules.js';
import { notificationsEndpoints } from './client/notifications.js';
import { pusherEndpoints } from './client/pusher.js';
import { banningEndpoints } from './client/banning.js';
import { createRoomEndpoints } from './client/create_room.js';
import { directoryEndpoints } from './client/directory.js';
import { invitingEndpoints } from './client/inviting.js';
import { joiningEndpoints } from './client/joining.js';
import { kickingEndpoints } from './client/kicking.js';
import { knockingEndpoints } from './client/knocking.js';
import { leavingEndpoints } from './client/leaving.js';
import { listJoinedRoomsEndpoints } from './client/list_joined_rooms.js';
import { listPublicRoomsEndpoints } from './client/list_public_rooms.js';
import { redactionEndpoints } from './client/redaction.js';
import { roomSendEndpoints } from './client/room_send.js';
import { roomStateEndpoints } from './client/room_state.js';
import { roomUpgradesEndpoints } from './client/room_upgrades.js';
import { roomsEndpoints } from './client/rooms.js';
import { spaceHierarchyEndpoints } from './client/space_hierarchy.js';
import { roomSummaryEndpoints } from './client/room_summary.js';
import { toDeviceEndpoints } from './client/to_device.js';
import { keysEndpoints as clientKeysEndpoints } from './client/keys.js';
import { crossSigningEndpoints } from './client/cross_signing.js';
import { keyBackupEndpoints } from './client/key_backup.js';
import type { AnyEndpoint } from './dispatch.js';
import { keysEndpoints } from './federation/keys.js';
import { queryEndpoints } from './federation/query.js';
import { versionEndpoints } from './federation/version.js';
import { serverWellKnownEndpoints } from './federation/wellknown.js';
import { transactionEndpoints } from './federation/transactions.js';
import { eventEndpoints } from './federation/events.js';
import { backfillEndpoints } from './federation/backfill.js';
import { missingEventsEndpoints } from './federation/missing-events.js';
import { timestampEndpoints } from './federation/timestamp.js';
import { directoryEndpoints as federationDirectoryEndpoints } from './federation/directory.js';
import { hierarchyEndpoints } from './federation/hierarchy.js';
import { invitesEndpoints } from './federation/invites.js';
import { joinsEndpoints } from './federation/joins.js';
import { knocksEndpoints } from './federation/knocks.js';
import { leavesEndpoints } from './federation/leaves.js';
import { mediaEndpoints as federationMediaEndpoints } from './federation/media.js';
import { openIdEndpoints as federationOpenIdEndpoints } from './federation/openid.js';
import { publicRoomsEndpoints as federationPublicRoomsEndpoints } from './federation/public-rooms.js';
import { thirdPartyEndpoints } from './federation/third-party.js';
import { userEndpoints as federationUserEndpoints } from './federation/user.js';
import { openIdEndpoints } from './client/openid.js';
import { contentRepoEndpoints } from './client/content-repo.js';
import { authedContentRepoEndpoints } from './client/authed-content-repo.js';

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
  // Rooms: creation, membership, sending, state, redaction, aliases, directory, upgrades.
  ...createRoomEndpoints,
  ...roomSendEndpoints,
  ...roomStateEndpoints,
  ...roomsEndpoints,
  ...spaceHierarchyEndpoints,
  ...roomSummaryEndpoints,
  ...joiningEndpoints,
  ...knockingEndpoints,
  ...leavingEndpoints,
  ...invitingEndpoints,
  ...kickingEndpoints,
  ...banningEndpoints,
  ...redactionEndpoints,
  ...listJoinedRoomsEndpoints,
  ...directoryEndpoints,
  ...listPublicRoomsEndpoints,
  ...roomUpgradesEndpoints,
  // The read side: sync, history, ephemeral streams, user data.
  ...syncEndpoints,
  ...toDeviceEndpoints,
  // End-to-end encryption: device, one-time and fallback keys; cross-signing; server-side key backups.
  ...clientKeysEndpoints,
  ...crossSigningEndpoints,
  ...keyBackupEndpoints,
  ...messagePaginationEndpoints,
  ...eventContextEndpoints,
  ...relationsEndpoints,
  ...searchEndpoints,
  ...threadsListEndpoints,
  ...roomEventByTimestampEndpoints,
  ...typingEndpoints,
  ...receiptsEndpoints,
  ...readMarkersEndpoints,
  ...accountDataEndpoints,
  ...tagsEndpoints,
  ...presenceEndpoints,
  ...usersEndpoints,
  ...openIdEndpoints,
  // The media repository: upload, downloads (legacy and authenticated), thumbnails, config.
  ...contentRepoEndpoints,
  ...authedContentRepoEndpoints,
  ...reportContentEndpoints,
  ...pushRulesEndpoints,
  ...notificationsEndpoints,
  ...pusherEndpoints,
  ...adminRegisterEndpoints,
  // Lattice's own: sensor devices with OSCORE credentials (CoAP security).
  ...sensorEndpoints,
  // Server-server API (src/api/federation/<area>.ts).
  ...keysEndpoints,
  ...queryEndpoints,
  ...versionEndpoints,
  ...serverWellKnownEndpoints,
  // Room events: transactions in, and the reads other servers catch up with.
  ...transactionEndpoints,
  ...eventEndpoints,
  ...backfillEndpoints,
  ...missingEventsEndpoints,
  ...timestampEndpoints,
  // Membership across servers, and what other servers ask about our rooms and users.
  ...joinsEndpoints,
  ...leavesEndpoints,
  ...knocksEndpoints,
  ...invitesEndpoints,
  ...federationDirectoryEndpoints,
  ...federationPublicRoomsEndpoints,
  ...hierarchyEndpoints,
  ...federationUserEndpoints,
  ...federationOpenIdEndpoints,
  ...federationMediaEndpoints,
  ...thirdPartyEndpoints,
];
