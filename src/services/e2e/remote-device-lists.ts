import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { RemoteDevice } from '../../storage/remote-devices-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import type { FederationClient } from '../federation/federation-client.js';
import type { Logger } from '../logger.js';
import { serverOfUserId } from '../user-ids.js';
import type { DeviceListStream } from './device-list-stream.js';
import { remoteCrossSigningKey, remoteDeviceKeys, type CrossSigningKey } from './key-objects.js';

/**
 * What we know of remote users' device lists, for users who share a room with one of ours
 * ("tracked": their server sends us their changes). Kept from m.device_list_update and
 * m.signing_key_update EDUs; when an update does not follow the last one we applied (its prev_id
 * names another position), a full copy is fetched with GET /user/devices (a resync), as Synapse
 * does. Every change is a device-list change row, so our users' syncs show the user as changed.
 */

export interface DeviceListUpdate {
  readonly userId: string;
  readonly deviceId: string;
  readonly streamId: number;
  readonly prevIds: readonly number[];
  readonly deleted: boolean;
  readonly displayName: string | null;
  /** The device_keys object as sent (checked here). */
  readonly keys: JsonObject | undefined;
}

export interface SigningKeyUpdate {
  readonly userId: string;
  readonly masterKey: JsonObject | undefined;
  readonly selfSigningKey: JsonObject | undefined;
}

/** What the inbound EDU handlers hand updates to. */
export interface InboundDeviceLists {
  deviceListUpdate(update: DeviceListUpdate): void;
  signingKeyUpdate(update: SigningKeyUpdate): void;
}

/** A user's answer from a remote server: devices and cross-signing keys. */
export interface RemoteUserKeys {
  readonly devices: readonly RemoteDevice[];
  readonly master: CrossSigningKey | undefined;
  readonly selfSigning: CrossSigningKey | undefined;
}

/** Resyncs running at once at most; more wait for the next update of their user. */
const MAX_RESYNCS = 100;
const MAX_DEVICES = 10_000;

export class RemoteDeviceLists implements InboundDeviceLists {
  /** Users being resynced; `again`: an update asked for another resync meanwhile. */
  private readonly resyncing = new Map<string, { again: boolean }>();

  constructor(
    private readonly storage: Storage,
    private readonly client: FederationClient,
    private readonly stream: DeviceListStream,
    private readonly serverName: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** A local user shares a room with this remote user, so their server keeps us up to date. */
  tracked(userId: string): boolean {
    return this.storage.deviceLists.hasLocalRoomMate(userId, this.serverName);
  }

  deviceListUpdate(update: DeviceListUpdate): void {
    const { userId } = update;
    if (!this.tracked(userId)) return;
    const { remoteDevices } = this.storage;
    const now = this.clock.now();
    const outcome = this.storage.transaction((): 'old' | 'applied' | 'resync' => {
      const state = remoteDevices.state(userId);
      if (state?.streamId != null && update.streamId <= state.streamId) return 'old';
      if (update.deleted) remoteDevices.deleteDevice(userId, update.deviceId);
      else {
        const keysJson = remoteDeviceKeys(update.keys, userId, update.deviceId) ?? null;
        remoteDevices.putDevice(userId, { deviceId: update.deviceId, displayName: update.displayName, keysJson }, update.streamId, now);
      }
      // The update follows what we hold only if it names our position as its predecessor;
      // otherwise updates were missed (or we never had the list) and only a resync is certain.
      const follows = state?.streamId != null && update.prevIds.length > 0 && update.prevIds.every((p) => p === state.streamId);
      if (follows) {
        remoteDevices.setState(userId, { streamId: update.streamId, complete: state.complete }, now);
        return 'applied';
      }
      remoteDevices.setState(userId, { streamId: state?.streamId ?? null, complete: false }, now);
      return 'resync';
    });
    if (outcome === 'old') return;
    this.stream.remoteChanged(userId);
    if (outcome === 'resync') this.resyncSoon(userId);
  }

  signingKeyUpdate(update: SigningKeyUpdate): void {
    const { userId } = update;
    if (!this.tracked(userId)) return;
    const master = update.masterKey && remoteCrossSigningKey(update.masterKey, userId, 'master');
    const selfSigning = update.selfSigningKey && remoteCrossSigningKey(update.selfSigningKey, userId, 'self_signing');
    if (!master && !selfSigning) return;
    const changed = this.storage.transaction(() => this.storeCrossSigning(userId, master, selfSigning));
    if (changed) this.stream.remoteChanged(userId);
  }

  /**
   * The user's devices when we hold the complete list and still share a room (else undefined:
   * ask their server). A list we no longer hear updates for is forgotten.
   */
  cachedDevices(userId: string): readonly RemoteDevice[] | undefined {
    const state = this.storage.remoteDevices.state(userId);
    if (!state) return undefined;
    if (!this.tracked(userId)) {
      this.storage.remoteDevices.forget(userId);
      return undefined;
    }
    return state.complete ? this.storage.remoteDevices.devices(userId) : undefined;
  }

  /**
   * A full answer (every device) for a user, from a key query: kept while they share a room
   * with ours. The origin's stream position is unknown, so the next update starts a resync.
   */
  storeFullAnswer(userId: string, keys: RemoteUserKeys): void {
    const tracked = this.tracked(userId);
    const now = this.clock.now();
    this.storage.transaction(() => {
      if (tracked) {
        const state = this.storage.remoteDevices.state(userId);
        this.storage.remoteDevices.replaceDevices(userId, keys.devices, state?.streamId ?? 0, now);
        this.storage.remoteDevices.setState(userId, { streamId: null, complete: true }, now);
      }
      this.storeCrossSigning(userId, keys.master, keys.selfSigning);
    });
  }

  /** Cross-signing keys are public and needed to check signatures of them: kept whoever the user is. */
  storeCrossSigningKeys(userId: string, master: CrossSigningKey | undefined, selfSigning: CrossSigningKey | undefined): void {
    this.storage.transaction(() => this.storeCrossSigning(userId, master, selfSigning));
  }

  /** GET /user/devices/{userId} from the user's server, checked; throws when it cannot be had. */
  async fetch(userId: string, timeoutMs?: number): Promise<RemoteUserKeys & { streamId: number }> {
    const server = serverOfUserId(userId);
    if (server === undefined || server === this.serverName) throw new Error(`${userId} is not a remote user`);
    const body = await this.client.request(server, {
      method: 'GET',
      path: `/_matrix/federation/v1/user/devices/${encodeURIComponent(userId)}`,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    const streamId = body['stream_id'];
    const list = body['devices'];
    if (body['user_id'] !== userId || typeof streamId !== 'number' || !Number.isSafeInteger(streamId) || !Array.isArray(list)) {
      throw new Error(`${server} sent an unusable device list for ${userId}`);
    }
    const devices: RemoteDevice[] = [];
    for (const entry of list.slice(0, MAX_DEVICES)) {
      if (!isJsonObject(entry)) continue;
      const deviceId = entry['device_id'];
      if (typeof deviceId !== 'string' || deviceId.length > 255) continue;
      const name = entry['device_display_name'];
      devices.push({
        deviceId,
        displayName: typeof name === 'string' && name.length <= 1024 ? name : null,
        keysJson: remoteDeviceKeys(entry['keys'], userId, deviceId) ?? null,
      });
    }
    return {
      streamId,
      devices,
      master: remoteCrossSigningKey(body['master_key'], userId, 'master'),
      selfSigning: remoteCrossSigningKey(body['self_signing_key'], userId, 'self_signing'),
    };
  }

  /** One resync per user at a time; an update arriving meanwhile runs one more afterwards. */
  private resyncSoon(userId: string): void {
    const running = this.resyncing.get(userId);
    if (running) {
      running.again = true;
      return;
    }
    if (this.resyncing.size >= MAX_RESYNCS) return;
    const entry = { again: false };
    this.resyncing.set(userId, entry);
    void (async () => {
      try {
        do {
          entry.again = false;
          await this.resync(userId);
        } while (entry.again);
      } finally {
        this.resyncing.delete(userId);
      }
    })();
  }

  private async resync(userId: string): Promise<void> {
    let answer: Awaited<ReturnType<RemoteDeviceLists['fetch']>>;
    try {
      answer = await this.fetch(userId);
    } catch (err) {
      // The list stays incomplete: key queries ask the server, the next update tries again.
      this.log.info({ userId, err: err instanceof Error ? err.message : String(err) }, 'device list resync failed');
      return;
    }
    try {
      if (!this.tracked(userId)) return;
      const now = this.clock.now();
      this.storage.transaction(() => {
        this.storage.remoteDevices.replaceDevices(userId, answer.devices, answer.streamId, now);
        this.storage.remoteDevices.setState(userId, { streamId: answer.streamId, complete: true }, now);
        this.storeCrossSigning(userId, answer.master, answer.selfSigning);
      });
      this.stream.remoteChanged(userId);
    } catch (err) {
      this.log.error({ err, userId }, 'storing a resynced device list failed');
    }
  }

  private storeCrossSigning(userId: string, master: CrossSigningKey | undefined, selfSigning: CrossSigningKey | undefined): boolean {
    const now = this.clock.now();
    let changed = false;
    for (const key of [master, selfSigning]) {
      if (key && this.storage.crossSigning.put({ userId, type: key.type, publicKey: key.publicKey, keyJson: key.json }, now)) changed = true;
    }
    return changed;
  }
}
