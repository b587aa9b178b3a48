import type { Db } from './database.js';

export interface RoomRecord {
  readonly roomId: string;
  readonly roomVersion: string;
  readonly creator: string | null;
  /** Published in the room directory. */
  readonly isPublic: boolean;
  readonly createdTs: number;
  /** The state group equal to the room's current state (null until the create event is in). */
  readonly currentStateGroup: number | null;
}

interface RoomRow {
  room_id: string;
  room_version: string;
  creator: string | null;
  is_public: number;
  created_ts: number;
  current_state_group: number | null;
}

function fromRow(r: RoomRow): RoomRecord {
  return {
    roomId: r.room_id,
    roomVersion: r.room_version,
    creator: r.creator,
    isPublic: r.is_public === 1,
    createdTs: r.created_ts,
    currentStateGroup: r.current_state_group,
  };
}

/** Rooms we know: version, creator, directory visibility, and the current state group. */
export class RoomsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly setGroupStmt;
  private readonly setPublicStmt;
  private readonly publicStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO rooms (room_id, room_version, creator, is_public, created_ts) VALUES (@roomId, @roomVersion, @creator, 0, @createdTs)
       ON CONFLICT (room_id) DO NOTHING`,
    );
    this.getStmt = db.prepare<[string], RoomRow>(
      'SELECT room_id, room_version, creator, is_public, created_ts, current_state_group FROM rooms WHERE room_id = ?',
    );
    this.setGroupStmt = db.prepare('UPDATE rooms SET current_state_group = ? WHERE room_id = ?');
    this.setPublicStmt = db.prepare('UPDATE rooms SET is_public = ? WHERE room_id = ?');
    // Largest rooms first, then by ID: a stable order the directory's paging tokens index into.
    this.publicStmt = db.prepare<[], { room_id: string; joined: number }>(
      `SELECT r.room_id,
         (SELECT COUNT(*) FROM current_state c WHERE c.room_id = r.room_id AND c.type = 'm.room.member' AND c.membership = 'join') AS joined
       FROM rooms r WHERE r.is_public = 1 ORDER BY joined DESC, r.room_id`,
    );
  }

  insert(room: { roomId: string; roomVersion: string; creator: string | null; createdTs: number }): void {
    this.insertStmt.run(room);
  }

  get(roomId: string): RoomRecord | undefined {
    const row = this.getStmt.get(roomId);
    return row && fromRow(row);
  }

  setCurrentStateGroup(roomId: string, group: number): void {
    this.setGroupStmt.run(group, roomId);
  }

  setPublic(roomId: string, isPublic: boolean): void {
    this.setPublicStmt.run(isPublic ? 1 : 0, roomId);
  }

  /** Published rooms with their joined-member counts, in directory order. */
  publicRooms(): { roomId: string; joinedMembers: number }[] {
    return this.publicStmt.all().map((r) => ({ roomId: r.room_id, joinedMembers: r.joined }));
  }
}
