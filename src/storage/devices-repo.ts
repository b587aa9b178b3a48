import type { Db } from './database.js';

export interface Device {
  readonly userId: string;
  readonly deviceId: string;
  readonly displayName: string | null;
  readonly lastSeenTs: number | null;
  readonly lastSeenIp: string | null;
  readonly createdTs: number;
}

interface DeviceRow {
  user_id: string;
  device_id: string;
  display_name: string | null;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
  created_ts: number;
}

const toDevice = (r: DeviceRow): Device => ({
  userId: r.user_id,
  deviceId: r.device_id,
  displayName: r.display_name,
  lastSeenTs: r.last_seen_ts,
  lastSeenIp: r.last_seen_ip,
  createdTs: r.created_ts,
});

/** Devices; deleting one cascades to its access and refresh tokens (foreign keys). */
export class DevicesRepo {
  private readonly getStmt;
  private readonly listStmt;
  private readonly insertStmt;
  private readonly renameStmt;
  private readonly deleteStmt;
  private readonly deleteAllStmt;
  private readonly deleteAllExceptStmt;
  private readonly touchStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string, string], DeviceRow>('SELECT * FROM devices WHERE user_id = ? AND device_id = ?');
    this.listStmt = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE user_id = ? ORDER BY created_ts, device_id');
    this.insertStmt = db.prepare(
      `INSERT INTO devices (user_id, device_id, display_name, created_ts, last_seen_ts, last_seen_ip)
       VALUES (@userId, @deviceId, @displayName, @createdTs, @createdTs, @ip) ON CONFLICT DO NOTHING`,
    );
    this.renameStmt = db.prepare('UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?');
    this.deleteStmt = db.prepare('DELETE FROM devices WHERE user_id = ? AND device_id = ?');
    this.deleteAllStmt = db.prepare('DELETE FROM devices WHERE user_id = ?');
    this.deleteAllExceptStmt = db.prepare('DELETE FROM devices WHERE user_id = ? AND device_id != ?');
    this.touchStmt = db.prepare('UPDATE devices SET last_seen_ts = ?, last_seen_ip = ? WHERE user_id = ? AND device_id = ?');
  }

  get(userId: string, deviceId: string): Device | undefined {
    const row = this.getStmt.get(userId, deviceId);
    return row && toDevice(row);
  }

  list(userId: string): Device[] {
    return this.listStmt.all(userId).map(toDevice);
  }

  /** Creates the device if it does not exist; returns whether it was created. */
  ensure(device: { userId: string; deviceId: string; displayName: string | null; createdTs: number; ip: string | null }): boolean {
    return this.insertStmt.run(device).changes === 1;
  }

  setDisplayName(userId: string, deviceId: string, displayName: string | null): boolean {
    return this.renameStmt.run(displayName, userId, deviceId).changes === 1;
  }

  delete(userId: string, deviceId: string): boolean {
    return this.deleteStmt.run(userId, deviceId).changes === 1;
  }

  /** Deletes every device of the user, or every one but `exceptDeviceId`. */
  deleteAll(userId: string, exceptDeviceId?: string): number {
    return exceptDeviceId === undefined
      ? this.deleteAllStmt.run(userId).changes
      : this.deleteAllExceptStmt.run(userId, exceptDeviceId).changes;
  }

  touch(userId: string, deviceId: string, ts: number, ip: string): void {
    this.touchStmt.run(ts, ip, userId, deviceId);
  }
}
