import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROOM_VERSION,
  requireRoomVersion,
  roomVersion,
  SUPPORTED_ROOM_VERSIONS,
  UnsupportedRoomVersionError,
} from '../../src/core/room-versions.js';
import { loadVector } from './spec-vectors.js';

interface VersionRecord {
  room_version: string;
  event_id_in_pdu: boolean;
  event_id_format: string;
  prev_events_auth_events_format: string;
  max_depth: string;
  redaction_rules: string;
  state_resolution: string;
  redactions_in_auth_rules: boolean;
  signing_key_validity_enforced: boolean;
  canonical_json_strictly_enforced: boolean;
  m_room_aliases_auth_rule: boolean;
  power_levels_notifications_checked_in_auth: boolean;
  power_levels_values_may_be_strings: boolean;
  power_levels_values_may_be_floats: boolean;
  power_levels_integers_only: boolean;
  knocking: boolean;
  restricted_join_rule: boolean;
  knock_restricted_join_rule: boolean;
  room_creator: string;
  redacts_property: string;
  create_event_in_auth_events: boolean;
  create_event_has_room_id: boolean;
}

const data = loadVector<{ default_room_version: string; versions: VersionRecord[] }>('room-versions.json');

describe('room-version table agrees with room-versions.json', () => {
  it('supports exactly versions 1-12, default 12', () => {
    expect([...SUPPORTED_ROOM_VERSIONS]).toEqual(data.versions.map((v) => v.room_version));
    expect(DEFAULT_ROOM_VERSION).toBe(data.default_room_version);
  });

  for (const record of data.versions) {
    it(`room version ${record.room_version}`, () => {
      const v = requireRoomVersion(record.room_version);
      expect(v.id).toBe(record.room_version);

      const expectedIdFormat = record.event_id_in_pdu
        ? 'explicit'
        : record.event_id_format.includes('URL-safe')
          ? 'hash-base64url'
          : 'hash-base64';
      expect(v.eventIdFormat).toBe(expectedIdFormat);
      expect(v.eventRefsArePairs).toBe(record.prev_events_auth_events_format.includes('pairs'));
      expect(v.maxDepth).toBe(record.max_depth === '2^63 - 1' ? 2 ** 63 - 1 : 2 ** 53 - 1);
      expect(v.redaction).toBe(record.redaction_rules);
      expect(v.stateRes).toBe(record.state_resolution.split(' ')[0]);
      expect(v.redactionDomainAuthRule).toBe(record.redactions_in_auth_rules);
      expect(v.enforceKeyValidity).toBe(record.signing_key_validity_enforced);
      expect(v.strictCanonicalJson).toBe(record.canonical_json_strictly_enforced);
      expect(v.aliasesAuthRule).toBe(record.m_room_aliases_auth_rule);
      expect(v.notificationsInPowerLevelAuth).toBe(record.power_levels_notifications_checked_in_auth);
      expect(v.integerPowerLevels).toBe(record.power_levels_integers_only);
      expect(v.integerPowerLevels).toBe(!record.power_levels_values_may_be_strings);
      expect(v.knocking).toBe(record.knocking);
      expect(v.restrictedJoins).toBe(record.restricted_join_rule);
      expect(v.knockRestricted).toBe(record.knock_restricted_join_rule);
      expect(v.creatorIsSender).toBe(record.room_creator.startsWith('sender'));
      expect(v.redactsInContent).toBe(record.redacts_property === 'content.redacts');
      expect(v.roomIdFromCreateEvent).toBe(!record.create_event_has_room_id);
      expect(v.roomIdFromCreateEvent).toBe(!record.create_event_in_auth_events);
      expect(v.privilegedCreators).toBe(record.room_creator.includes('infinite power'));
      // Floats in power levels are only possible where canonical JSON is not enforced.
      expect(record.power_levels_values_may_be_floats).toBe(!v.strictCanonicalJson);
    });
  }

  it('rejects unknown versions', () => {
    expect(roomVersion('13')).toBeUndefined();
    expect(() => requireRoomVersion('org.example.custom')).toThrow(UnsupportedRoomVersionError);
  });
});
