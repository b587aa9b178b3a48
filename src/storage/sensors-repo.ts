import type { Db } from './database.js';

/** A sensor's OSCORE context row (migrations/0005_sensors.sql). */
export interface OscoreContextRow {
  readonly id: number;
  readonly userId: string;
  readonly deviceId: string;
  readonly recipientId: Buffer;
  readonly senderId: Buffer;
  readonly masterSecret: Buffer;
  readonly masterSalt: Buffer;
  readonly roomId: string | null;
  readonly createdTs: number;
  readonly replayHighest: number;
  readonly replayBitmap: number;
  readonly senderSeqReserved: number;
}

/** The session a sensor device acts under: its live access token and its account's flags. */
export interface DeviceSession {
  readonly accessTokenId: number;
  readonly isAdmin: boolean;
}

interface Row {
  id: number;
  user_id: string;
  device_id: string;
  recipient_id: Buffer;
  sender_id: Buffer;
  master_secret: Buffer;
  master_salt: Buffer;
  room_id: string | null;
  created_ts: number;
  replay_highest: number;
  replay_bitmap: number;
  sender_seq_reserved: number;
}

const toContext = (r: Row): OscoreContextRow => ({
  id: r.id,
  userId: r.user_id,
  deviceId: r.device_id,
  recipientId: r.recipient_id,
  senderId: r.sender_id,
  masterSecret: r.master_secret,
  masterSalt: r.master_salt,
  roomId: r.room_id,
  createdTs: r.created_ts,
  replayHighest: r.replay_highest,
  replayBitmap: r.replay_bitmap,
  senderSeqReserved: r.sender_seq_reserved,
});

/** Sensor OSCORE contexts; rows go with their device (foreign key cascade). */
export class SensorsRepo {
  private readonly byRecipientStmt;
  private readonly byDeviceStmt;
  private readonly insertStmt;
  private readonly replayStmt;
  private readonly reserveStmt;
  private readonly sessionStmt;

  constructor(db: Db) {
    this.byRecipientStmt = db.prepare<[Buffer], Row>('SELECT * FROM oscore_contexts WHERE recipient_id = ?');
    this.byDeviceStmt = db.prepare<[string, string], Row>('SELECT * FROM oscore_contexts WHERE user_id = ? AND device_id = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO oscore_contexts (user_id, device_id, recipient_id, sender_id, master_secret, master_salt, room_id, created_ts)
       VALUES (@userId, @deviceId, @recipientId, @senderId, @masterSecret, @masterSalt, @roomId, @createdTs) ON CONFLICT (recipient_id) DO NOTHING`,
    );
    this.replayStmt = db.prepare('UPDATE oscore_contexts SET replay_highest = ?, replay_bitmap = ? WHERE id = ?');
    this.reserveStmt = db.prepare('UPDATE oscore_contexts SET sender_seq_reserved = ? WHERE id = ? AND sender_seq_reserved < ?');
    // The device's newest unexpired access token, unless the account is deactivated.
    this.sessionStmt = db.prepare<[string, string, number], { id: number; is_admin: number }>(
      `SELECT t.id, a.is_admin FROM access_tokens t JOIN accounts a ON a.user_id = t.user_id
       WHERE t.user_id = ? AND t.device_id = ? AND a.deactivated = 0 AND (t.expires_ts IS NULL OR t.expires_ts > ?)
       ORDER BY t.id DESC LIMIT 1`,
    );
  }

  findByRecipientId(recipientId: Buffer): OscoreContextRow | undefined {
    const row = this.byRecipientStmt.get(recipientId);
    return row && toContext(row);
  }

  listForDevice(userId: string, deviceId: string): OscoreContextRow[] {
    return this.byDeviceStmt.all(userId, deviceId).map(toContext);
  }

  /** Inserts the context; returns its id, or undefined when the Recipient ID is taken. */
  insert(row: Omit<OscoreContextRow, 'id' | 'replayHighest' | 'replayBitmap' | 'senderSeqReserved'>): number | undefined {
    const result = this.insertStmt.run(row);
    return result.changes === 1 ? Number(result.lastInsertRowid) : undefined;
  }

  saveReplayWindow(id: number, highest: number, bitmap: number): void {
    this.replayStmt.run(highest, bitmap, id);
  }

  /** Raises the persisted sequence-number reservation (never lowers it). */
  reserveSenderSequence(id: number, upTo: number): void {
    this.reserveStmt.run(upTo, id, upTo);
  }

  deviceSession(userId: string, deviceId: string, now: number): DeviceSession | undefined {
    const row = this.sessionStmt.get(userId, deviceId, now);
    return row && { accessTokenId: row.id, isAdmin: row.is_admin === 1 };
  }
}
