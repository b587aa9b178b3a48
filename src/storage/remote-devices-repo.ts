import type { Db } from './database.js';

/**
 * What we know of remote users' device lists: their devices (remote_device_lists, migrations/0006)
 * and, per user, the origin's stream position we are up to and whether the list is complete
 * (remote_device_list_users, 0010). Filled from m.device_list_update EDUs, user/devices resyncs
 * and key-query answers; read to answer key queries while the user shares a room with ours.
 */

export interface RemoteDevice {
  readonly deviceId: string;
  readonly displayName: string | null;
  /** The device_keys object (canonical JSON), null when the device has none. */
  readonly keysJson: string | null;
}

export interface RemoteDeviceListState {
  /** The origin's stream position of the last update applied; null when unknown. */
  readonly streamId: number | null;
  /** Every device of the user is known (after a resync or a full key query). */
  readonly complete: boolean;
}

export class RemoteDevicesRepo {
  private readonly stateStmt;
  private readonly putStateStmt;
  private readonly deleteStateStmt;
  private readonly devicesStmt;
  private readonly putDeviceStmt;
  private readonly deleteDeviceStmt;
  private readonly deleteDevicesStmt;

  constructor(db: Db) {
    this.stateStmt = db.prepare<[string], { stream_id: number | null; complete: number }>(
      'SELECT stream_id, complete FROM remote_device_list_users WHERE user_id = ?',
    );
    this.putStateStmt = db.prepare(
      `INSERT INTO remote_device_list_users (user_id, stream_id, complete, updated_ts) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id, complete = excluded.complete, updated_ts = excluded.updated_ts`,
    );
    this.deleteStateStmt = db.prepare('DELETE FROM remote_device_list_users WHERE user_id = ?');
    this.devicesStmt = db.prepare<[string], { device_id: string; display_name: string | null; keys_json: string | null }>(
      'SELECT device_id, display_name, keys_json FROM remote_device_lists WHERE user_id = ? AND deleted = 0 ORDER BY device_id',
    );
    this.putDeviceStmt = db.prepare(
      `INSERT INTO remote_device_lists (user_id, device_id, stream_id, deleted, display_name, keys_json, updated_ts)
       VALUES (@userId, @deviceId, @streamId, 0, @displayName, @keysJson, @updatedTs)
       ON CONFLICT (user_id, device_id) DO UPDATE SET stream_id = excluded.stream_id, deleted = 0,
         display_name = excluded.display_name, keys_json = excluded.keys_json, updated_ts = excluded.updated_ts`,
    );
    this.deleteDeviceStmt = db.prepare('DELETE FROM remote_device_lists WHERE user_id = ? AND device_id = ?');
    this.deleteDevicesStmt = db.prepare('DELETE FROM remote_device_lists WHERE user_id = ?');
  }

  state(userId: string): RemoteDeviceListState | undefined {
    const row = this.stateStmt.get(userId);
    return row && { streamId: row.stream_id, complete: row.complete === 1 };
  }

  setState(userId: string, state: RemoteDeviceListState, ts: number): void {
    this.putStateStmt.run(userId, state.streamId, state.complete ? 1 : 0, ts);
  }

  devices(userId: string): RemoteDevice[] {
    return this.devicesStmt.all(userId).map((r) => ({ deviceId: r.device_id, displayName: r.display_name, keysJson: r.keys_json }));
  }

  /** One device added or changed (an m.device_list_update); `streamId` is the update's. */
  putDevice(userId: string, device: RemoteDevice, streamId: number, ts: number): void {
    this.putDeviceStmt.run({ userId, deviceId: device.deviceId, streamId, displayName: device.displayName, keysJson: device.keysJson, updatedTs: ts });
  }

  deleteDevice(userId: string, deviceId: string): void {
    this.deleteDeviceStmt.run(userId, deviceId);
  }

  /** The whole list replaced (a resync or a full key query). */
  replaceDevices(userId: string, devices: readonly RemoteDevice[], streamId: number, ts: number): void {
    this.deleteDevicesStmt.run(userId);
    for (const device of devices) this.putDevice(userId, device, streamId, ts);
  }

  /** Forgets the user's devices (we no longer share a room, so no updates would reach us). */
  forget(userId: string): void {
    this.deleteDevicesStmt.run(userId);
    this.deleteStateStmt.run(userId);
  }
}
